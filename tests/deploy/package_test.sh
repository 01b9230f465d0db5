#!/usr/bin/env bash
# The Debian package on this machine: builds it, installs it, checks the
# service user, file modes and ownership, that the installed hub runs and
# refuses the unconfigured example, that systemd accepts the installed
# unit, then purges it. Needs root (or passwordless sudo); refuses to touch
# a machine where KetenHub is already installed.
# Usage: package_test.sh BUILD_DIR
set -euo pipefail
build=${1:?build dir}
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  sudo -n true 2>/dev/null || { echo "needs root or passwordless sudo"; exit 1; }
  as_root=(sudo -n)
fi
if dpkg -s ketenhub >/dev/null 2>&1 || [ -e /var/lib/ketenhub ]; then
  echo "KetenHub is already installed here; this test will not touch it"; exit 1
fi
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls "$build"/ketenhub_*_amd64.deb | head -1)
cleanup() {
  "${as_root[@]}" dpkg --purge ketenhub >/dev/null 2>&1 || true
  "${as_root[@]}" rm -rf /var/lib/ketenhub
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }
expect_mode() {  # path "mode user group"
  local got; got=$(stat -c '%a %U %G' "$1")
  [ "$got" = "$2" ] || fail "$1 is '$got', expected '$2'"
}

"${as_root[@]}" dpkg -i "$deb" >/dev/null
getent passwd ketenhub >/dev/null || fail "no ketenhub user"
[ "$(getent passwd ketenhub | cut -d: -f7)" = /usr/sbin/nologin ] ||
  fail "the ketenhub user can log in"
expect_mode /var/lib/ketenhub "700 ketenhub ketenhub"
expect_mode /etc/ketenhub "750 root ketenhub"
expect_mode /etc/ketenhub/ketenhub.textproto.example "640 root ketenhub"
expect_mode /usr/bin/ketenhub "755 root root"
[ ! -e /etc/ketenhub/ketenhub.textproto ] || fail "a live config was installed"
/usr/bin/ketenctl --help >/dev/null || fail "ketenctl --help"
expect_mode /usr/share/man/man1/ketenctl.1.gz "644 root root"
expect_mode /usr/share/bash-completion/completions/ketenctl "644 root root"
if out=$("${as_root[@]}" runuser -u ketenhub -- /usr/bin/ketenhub \
    --config /etc/ketenhub/ketenhub.textproto.example 2>&1); then
  fail "the hub started on the example without certificates"
fi
grep -q 'cannot read' <<<"$out" || fail "unclear refusal: $out"
systemd-analyze verify /usr/lib/systemd/system/ketenhub.service ||
  fail "systemd-analyze verify on the installed unit"

"${as_root[@]}" dpkg --purge ketenhub >/dev/null
[ ! -e /usr/bin/ketenhub ] || fail "purge left /usr/bin/ketenhub"
! getent passwd ketenhub >/dev/null || fail "purge left the ketenhub user"
[ -d /var/lib/ketenhub ] || fail "purge removed the data folder"
echo "ok: installed, checked and purged $(basename "$deb")"
