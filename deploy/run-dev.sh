#!/usr/bin/env bash
# make run: the hub and the console on their development configurations,
# in the foreground; Ctrl-C stops both.
# Usage: deploy/run-dev.sh BUILD_DIR
set -euo pipefail
build=${1:?build dir}
cd "$(dirname "$0")/.."
mkdir -p var/data
"$build/server/ketenhub" --config deploy/ketenhub-dev.textproto &
hub=$!
trap 'kill $hub ${console:-} 2>/dev/null; wait' INT TERM EXIT
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/50051) 2>/dev/null && break
  sleep 0.1
done
"$build/console/ketenconsole" --config deploy/console-dev.textproto &
console=$!
cat >&2 <<TEXT

  KetenHub runs on 127.0.0.1:50051 (gRPC, mutual TLS).
  The console: https://127.0.0.1:8443/
  Import var/dev-pki/people/regisseur-1.p12 (empty password) into your
  browser to sign in as chain director Anna de Vries, or
  zorgcoordinator-1.p12 as care coordinator Eva Smit; the dev CA is in no
  browser's trust store, so accept the certificate warning (or trust
  var/dev-pki/ca.pem). Ctrl-C stops both.

TEXT
wait $hub
