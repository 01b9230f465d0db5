#!/usr/bin/env bash
# Starts a hub on a fresh data folder and the dev PKI, then measures submit
# throughput and latency at 1, 16, 64 and 256 signals in flight.
# Usage: bench/run-submit-bench.sh [BUILD_DIR]   (make bench)
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill $hub_pid 2>/dev/null; wait $hub_pid 2>/dev/null; rm -rf "$work"' EXIT

[ -f "$root/var/dev-pki/ca.pem" ] || "$root/certs/gen-dev-pki.sh" "$root/var/dev-pki"
"$root/bench/dev-hub-config.sh" 127.0.0.1:50151 "$work/data" >"$work/hub.textproto"
"$root/$build/server/ketenhub" --config "$work/hub.textproto" 2>"$work/hub.log" &
hub_pid=$!
for _ in $(seq 50); do grep -q '"listening"' "$work/hub.log" && break; sleep 0.1; done

load="$root/$build/bench/ketenhub_submit_load --hub 127.0.0.1:50151 --pki-dir $root/var/dev-pki"
echo "KetenHub submit benchmark: $(nproc) cores, durable (fsync) receipts over mutual TLS"
$load --in-flight 1 --connections 1 --count 2000
$load --in-flight 16 --count 10000
$load --in-flight 64 --count 20000
$load --in-flight 256 --count 20000
echo "SubmitBatch streams (one per connection), 32 signals per message:"
$load --batch 32 --in-flight 256 --count 40000
$load --batch 32 --in-flight 1024 --count 80000
