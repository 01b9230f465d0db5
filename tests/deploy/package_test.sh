#!/usr/bin/env bash
# The Debian packages on this machine: builds them, installs them, checks the
# service user, file modes and ownership, that the installed hub refuses the
# unconfigured example, that systemd accepts the installed unit, that once
# configured per the operator guide it runs as ketenhub, takes a signal and
# serves metrics; that a partner program builds against the installed
# ketenhub-client package alone (pkg-config) and submits to that hub; then
# purges both. Needs root (or passwordless sudo); refuses to touch a machine
# where KetenHub is already installed.
# Usage: package_test.sh BUILD_DIR
set -euo pipefail
build=${1:?build dir}
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  sudo -n true 2>/dev/null || { echo "needs root or passwordless sudo"; exit 1; }
  as_root=(sudo -n)
fi
if dpkg -s ketenhub >/dev/null 2>&1 || dpkg -s ketenhub-client >/dev/null 2>&1 ||
   [ -e /var/lib/ketenhub ]; then
  echo "KetenHub is already installed here; this test will not touch it"; exit 1
fi
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls "$build"/ketenhub_*_amd64.deb | head -1)
client_deb=$(ls "$build"/ketenhub-client_*_amd64.deb | head -1)
cleanup() {
  "${as_root[@]}" pkill -u ketenhub -x ketenhub 2>/dev/null || true
  "${as_root[@]}" dpkg --purge ketenhub >/dev/null 2>&1 || true
  "${as_root[@]}" dpkg --purge ketenhub-client >/dev/null 2>&1 || true
  "${as_root[@]}" rm -rf /var/lib/ketenhub /etc/ketenhub
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }
expect_mode() {  # path "mode user group"
  local got; got=$(stat -c '%a %U %G' "$1")
  [ "$got" = "$2" ] || fail "$1 is '$got', expected '$2'"
}

"${as_root[@]}" dpkg -i "$client_deb" "$deb" >/dev/null
getent passwd ketenhub >/dev/null || fail "no ketenhub user"
[ "$(getent passwd ketenhub | cut -d: -f7)" = /usr/sbin/nologin ] ||
  fail "the ketenhub user can log in"
expect_mode /var/lib/ketenhub "700 ketenhub ketenhub"
expect_mode /etc/ketenhub "750 root ketenhub"
expect_mode /etc/ketenhub/ketenhub.textproto.example "640 root ketenhub"
expect_mode /usr/bin/ketenhub "755 root root"
expect_mode /usr/bin/ketenhub-admin "755 root root"
/usr/bin/ketenhub-admin --help >/dev/null || fail "ketenhub-admin --help"
[ ! -e /etc/ketenhub/ketenhub.textproto ] || fail "a live config was installed"
/usr/bin/ketenctl --help >/dev/null || fail "ketenctl --help"
/usr/bin/ketenwitness --help >/dev/null || fail "ketenwitness --help"
/usr/bin/ketenconsole --help >/dev/null || fail "ketenconsole --help"
[ -f /usr/share/ketenhub/console/werklijst.tpl ] || fail "no console templates"
tmp_console=$(mktemp)
# The installed console finds its installed templates: with a config that
# names none, it gets as far as the port (here: one it cannot have).
printf '%s\n' 'listen_address: "127.0.0.1:1"' 'tls_cert_file: "/nonexistent.pem"' \
  'tls_key_file: "/nonexistent-key.pem"' 'people_ca_file: "/nonexistent-ca.pem"' \
  'hub_target: "127.0.0.1:2"' 'hub_cert_file: "x"' 'hub_key_file: "y"' \
  'hub_ca_file: "z"' >"$tmp_console"
console_out=$(/usr/bin/ketenconsole --config "$tmp_console" 2>&1 || true)
grep -q "templates_dir" <<<"$console_out" &&
  fail "the installed console does not find its templates: $console_out"
rm -f "$tmp_console"
[ -f /usr/lib/systemd/system/ketenconsole.service ] || fail "no ketenconsole unit"
[ -f /usr/lib/systemd/system/ketenwitness.service ] ||
  fail "no ketenwitness unit"
expect_mode /usr/share/man/man1/ketenctl.1.gz "644 root root"
expect_mode /usr/share/bash-completion/completions/ketenctl "644 root root"
if out=$("${as_root[@]}" runuser -u ketenhub -- /usr/bin/ketenhub \
    --config /etc/ketenhub/ketenhub.textproto.example 2>&1); then
  fail "the hub started on the example without certificates"
fi
grep -q 'cannot read' <<<"$out" || fail "unclear refusal: $out"
systemd-analyze verify /usr/lib/systemd/system/ketenhub.service ||
  fail "systemd-analyze verify on the installed unit"

# Configured as the operator guide says (certificates in /etc/ketenhub/tls,
# the example config and policy copied into place), the installed hub runs
# as the ketenhub user, takes a signal from the installed ketenctl, and
# serves metrics on loopback. (As the unit would start it; this machine may
# have no systemd as PID 1.)
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
pki=$(mktemp -d)
"$source_dir/certs/gen-dev-pki.sh" "$pki" >/dev/null
tls=/etc/ketenhub/tls
"${as_root[@]}" install -d -m 750 -o root -g ketenhub "$tls"
"${as_root[@]}" install -m 644 -o root -g ketenhub "$pki/hub.pem" "$tls/hub.pem"
"${as_root[@]}" install -m 600 -o ketenhub -g ketenhub "$pki/hub-key.pem" "$tls/hub-key.pem"
"${as_root[@]}" install -m 644 -o root -g ketenhub "$pki/ca.pem" "$tls/partners-ca.pem"
"${as_root[@]}" install -m 644 -o root -g ketenhub "$pki/crl.pem" "$tls/partners-ca.crl"
"${as_root[@]}" install -m 640 -o root -g ketenhub \
  /etc/ketenhub/policy.textproto.example /etc/ketenhub/policy.textproto
sed -e 's|0.0.0.0:50051|127.0.0.1:0|' -e 's|127.0.0.1:9464|127.0.0.1:0|' \
  /etc/ketenhub/ketenhub.textproto.example >"$pki/ketenhub.textproto"
"${as_root[@]}" install -m 640 -o root -g ketenhub "$pki/ketenhub.textproto" \
  /etc/ketenhub/ketenhub.textproto
log=$pki/hub.log
"${as_root[@]}" runuser -u ketenhub -- /usr/bin/ketenhub \
  --config /etc/ketenhub/ketenhub.textproto 2>"$log" &
hub=$!
for _ in $(seq 100); do grep -q '"listening"' "$log" && break; sleep 0.1; done
port=$(sed -n 's/.*"event":"listening".*"port":\([0-9]*\).*/\1/p' "$log")
metrics=$(sed -n 's/.*"event":"metrics_listening".*"port":\([0-9]*\).*/\1/p' "$log")
[ -n "$port" ] || { cat "$log"; fail "the configured hub did not start"; }
/usr/bin/ketenctl --hub "127.0.0.1:$port" --pki-dir "$pki" --as politie \
  submit "$source_dir/deploy/examples/signal-politie.json" >"$pki/submit.out" 2>&1 ||
  { cat "$pki/submit.out"; fail "the installed ketenctl could not submit"; }
grep -q "is stored by the hub" "$pki/submit.out" || fail "no receipt"

# A partner's own program against the installed client package alone: its
# headers and library found by pkg-config, nothing from this source tree
# but the program's one file.
pkg-config --exists ketenhub-client || fail "no pkg-config file for ketenhub-client"
partner=$pki/partner
g++ -std=c++20 -o "$partner" "$source_dir/tests/deploy/partner_program.cc" \
  $(pkg-config --cflags --libs ketenhub-client) 2>"$pki/partner-build.log" ||
  { cat "$pki/partner-build.log"; fail "the partner program does not build against the package"; }
ldd "$partner" | grep -Eq "libketenhub-client\.so\.0 => (/usr)?/lib/libketenhub-client" ||
  fail "the partner program does not use the installed library"
"$partner" "127.0.0.1:$port" "$pki/politie.pem" "$pki/politie-key.pem" \
  "$pki/ca.pem" >"$pki/partner.out" 2>&1 ||
  { cat "$pki/partner.out"; fail "the partner program could not submit"; }
grep -q "^stored .* as sequence 2$" "$pki/partner.out" ||
  fail "unexpected partner output: $(cat "$pki/partner.out")"
python3 -c "import sys, urllib.request
body = urllib.request.urlopen('http://127.0.0.1:%s/metrics' % sys.argv[1]).read().decode()
sys.exit(0 if 'ketenhub_submits_total{partner=\"politie\"' in body else 1)" "$metrics" ||
  fail "metrics do not show the submit"
"${as_root[@]}" pkill -TERM -u ketenhub -x ketenhub
wait "$hub" || fail "the hub did not stop cleanly"
expect_mode /var/lib/ketenhub/data "700 ketenhub ketenhub"
"${as_root[@]}" rm -rf "$tls" "$pki" /etc/ketenhub/ketenhub.textproto \
  /etc/ketenhub/policy.textproto

"${as_root[@]}" dpkg --purge ketenhub ketenhub-client >/dev/null
[ ! -e /usr/bin/ketenhub ] || fail "purge left /usr/bin/ketenhub"
[ ! -e /usr/lib/libketenhub-client.so ] || fail "purge left the client library"
! getent passwd ketenhub >/dev/null || fail "purge left the ketenhub user"
[ -d /var/lib/ketenhub ] || fail "purge removed the data folder"
echo "ok: installed, checked and purged $(basename "$deb") and $(basename "$client_deb")"
