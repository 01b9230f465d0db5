#!/usr/bin/env bash
# Proves the README's two commands on a fresh Debian 12: builds a minimal
# Debian 12 root with debootstrap (kept in var/fresh-root between runs, so
# the next run skips the download), adds only git and make, clones this
# repository's committed HEAD into it, and runs `make test`, then `make run`
# until the hub answers. Needs root (chroot and mounts). Not part of
# `make test`: run it whenever the dependency list or the set-up changes.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
root=${FRESH_ROOT:-$top/var/fresh-root}
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}

[ "$(id -u)" -eq 0 ] || { echo "check-fresh: needs root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap
}

if [ ! -x "$root/usr/bin/apt-get" ]; then
  echo "check-fresh: building a minimal Debian 12 root in $root"
  mkdir -p "$root"
  debootstrap --variant=minbase bookworm "$root" "$mirror"
fi

mounts=()
cleanup() {
  # Every process still running inside the root (the hub of make run).
  for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && kill "${proc#/proc/}" 2>/dev/null
  done
  [ -n "${hub_pid:-}" ] && kill "$hub_pid" 2>/dev/null || true
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
for fs in proc sys dev dev/pts; do
  mkdir -p "$root/$fs"
  mount --bind "/$fs" "$root/$fs"
  mounts+=("$root/$fs")
done
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The host's own trust anchors, as its network may need them (a proxy that
# inspects TLS): the root trusts what the host trusts, npm included.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
# A chroot runs no services: packages' scripts must not try to start any
# (polkitd's, which chromium brings, fails without a system bus), as
# Debian's policy-rc.d convention allows.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt bash -c "$1"; }

in_root "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git make ca-certificates && update-ca-certificates >/dev/null"
rm -rf "$root/src/ketenhub"
mkdir -p "$root/src"
git clone -q "$top" "$root/src/ketenhub"

echo "check-fresh: make test in the fresh root"
in_root "cd /src/ketenhub && make test"

echo "check-fresh: make run in the fresh root, until the hub answers"
in_root "cd /src/ketenhub && exec make run" >"$root/src/run.log" 2>&1 &
hub_pid=$!
for _ in $(seq 1 600); do
  if grep -q '"event":"listening"' "$root/src/run.log"; then
    echo "check-fresh: the hub is listening; both commands work on a fresh Debian 12"
    exit 0
  fi
  kill -0 "$hub_pid" 2>/dev/null || break
  sleep 1
done
echo "check-fresh: make run did not bring the hub up:" >&2
tail -n 30 "$root/src/run.log" >&2
exit 1
