#!/usr/bin/env bash
# The console in a real browser: starts the real hub and ketenconsole over
# mutual TLS with the test PKI, submits signals with ketenctl, and runs
# console_test.mjs (Playwright, Debian's chromium) against them.
# Usage: run-console-test.sh BUILD_DIR PKI_DIR
set -euo pipefail
build=$(realpath "${1:?build dir}")
pki=$(realpath "${2:?test PKI dir}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
hub_port=$(free_port)
console_port=$(free_port)

sed -e "/^metrics_address/d" -e "s|\"../var/dev-pki/|\"$pki/|" \
    -e "s|\"policy-example.textproto\"|\"$root/deploy/policy-example.textproto\"|" \
    -e "s|\"../var/data\"|\"$work/data\"|" \
    -e "s|127.0.0.1:50051|127.0.0.1:$hub_port|" \
    "$root/deploy/ketenhub-dev.textproto" >"$work/hub.textproto"
"$build/server/ketenhub" --config "$work/hub.textproto" 2>"$work/hub.log" &
pids+=($!)
for _ in $(seq 100); do grep -q '"listening"' "$work/hub.log" && break; sleep 0.1; done
grep -q '"listening"' "$work/hub.log" || { cat "$work/hub.log"; exit 1; }

ketenctl() { "$build/tools/ketenctl/ketenctl" --hub "127.0.0.1:$hub_port" --pki-dir "$pki" "$@"; }
# A person signalled by the police and the GGD (a match), and a signal
# whose summary tries to be markup.
ketenctl --as politie submit "$root/deploy/examples/signal-politie.json" >/dev/null
ketenctl --as ggd submit "$root/deploy/examples/signal-ggd.json" >/dev/null
sed -e 's|"clientRef": *"[^"]*"|"clientRef": "script-1"|' \
    -e 's|"summary": *"[^"]*"|"summary": "<script>alert(1)</script> probeer"|' \
    "$root/deploy/examples/signal-veilig-thuis.json" >"$work/script.json"
ketenctl --as veilig-thuis submit "$work/script.json" >/dev/null
# One more, submitted by the test while a worklist is open.
sed -e 's|"clientRef": *"[^"]*"|"clientRef": "live-1"|' \
    -e 's|"bsn": *"[^"]*"|"bsn": "999990032"|' \
    "$root/deploy/examples/signal-politie.json" >"$work/live.json"

cat >"$work/console.textproto" <<CONFIG
listen_address: "127.0.0.1:$console_port"
tls_cert_file: "$pki/hub.pem"
tls_key_file: "$pki/hub-key.pem"
people_ca_file: "$pki/people/ca.pem"
hub_target: "127.0.0.1:$hub_port"
hub_cert_file: "$pki/ketenregisseur.pem"
hub_key_file: "$pki/ketenregisseur-key.pem"
hub_ca_file: "$pki/ca.pem"
templates_dir: "$root/console/templates"
audit_cert_file: "$pki/auditor.pem"
audit_key_file: "$pki/auditor-key.pem"
hub_audit_key_file: "$work/data/keys/audit-signing.pub"
people { employee_id: "regisseur-1" name: "Anna de Vries" function: "procesregisseur" role: ROLE_CHAIN_DIRECTOR }
people { employee_id: "regisseur-2" name: "Bram Jansen" function: "procesregisseur" role: ROLE_CHAIN_DIRECTOR }
people { employee_id: "zorg-1" name: "Eva Smit" function: "zorgcoordinator mensenhandel" role: ROLE_CARE_COORDINATOR }
people { employee_id: "privacy-1" name: "Carla Bakker" function: "privacy officer" role: ROLE_AUDITOR }
care_cert_file: "$pki/zorgcoordinator.pem"
care_key_file: "$pki/zorgcoordinator-key.pem"
chain_director_partner: "ketenregisseur"
care_coordinator_partner: "zorgcoordinator"
partners: ["politie", "ggd", "veilig-thuis", "gemeente-hilversum"]
CONFIG
"$build/console/ketenconsole" --config "$work/console.textproto" 2>"$work/console.log" &
pids+=($!)
for _ in $(seq 100); do grep -q '"listening"' "$work/console.log" && break; sleep 0.1; done
grep -q '"listening"' "$work/console.log" || { cat "$work/console.log"; exit 1; }

[ -d "$here/node_modules/playwright-core" ] || (cd "$here" && npm ci --silent --no-audit --no-fund)
CONSOLE_URL="https://127.0.0.1:$console_port" PKI_DIR="$pki" \
  KETENCTL="$build/tools/ketenctl/ketenctl" HUB="127.0.0.1:$hub_port" \
  LIVE_SIGNAL="$work/live.json" \
  ADVERT_SIGNAL="$root/deploy/examples/signal-politie-advert.json" \
  PHONE_SIGNAL="$root/deploy/examples/signal-ggd-phone.json" \
  POLICE_SIGNAL="$root/deploy/examples/signal-politie.json" \
  ARTIFACTS="$build/test-artifacts" HUB_LOG="$work/hub.log" \
  node "$here/console_test.mjs"
