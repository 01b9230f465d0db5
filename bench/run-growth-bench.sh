#!/usr/bin/env bash
# Growth: how submit throughput, hub memory and start-up change as the store
# fills. Starts a hub on a fresh data folder, fills it with SubmitBatch in
# steps up to GROWTH_TARGET signals (default 5,000,000), and at 0 and after
# each step measures unary submit throughput at 64 in flight and the hub's
# resident memory; at the end it restarts the hub and times the start-up.
# Long (about half an hour for 5M on 2 cores): not part of `make bench`.
# Usage: bench/run-growth-bench.sh [BUILD_DIR]   (make bench-growth)
#   GROWTH_TARGET=5000000  GROWTH_STEP=1000000
set -euo pipefail
build=${1:-build}
target=${GROWTH_TARGET:-5000000}
step=${GROWTH_STEP:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
hub_pid=""
stop_hub() {
  [ -n "$hub_pid" ] || return 0
  kill "$hub_pid" 2>/dev/null || true
  wait "$hub_pid" 2>/dev/null || true
  hub_pid=""
}
trap 'stop_hub; rm -rf "$work"' EXIT

[ -f "$root/var/dev-pki/ca.pem" ] || "$root/certs/gen-dev-pki.sh" "$root/var/dev-pki"
"$root/bench/dev-hub-config.sh" 127.0.0.1:50181 "$work/data" >"$work/hub.textproto"

# Starts the hub; sets startup_seconds to the time until it listens.
start_hub() {
  : >"$work/hub.log"
  local start
  start=$(date +%s%N)
  "$root/$build/server/ketenhub" --config "$work/hub.textproto" >/dev/null 2>"$work/hub.log" &
  hub_pid=$!
  for _ in $(seq 600); do grep -q '"listening"' "$work/hub.log" && break; sleep 0.01; done
  local ms=$(( ($(date +%s%N) - start) / 1000000 ))
  startup_seconds=$(printf '%d.%03d' $(( ms / 1000 )) $(( ms % 1000 )))
}
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$hub_pid/status"; }
load="$root/$build/bench/ketenhub_submit_load --hub 127.0.0.1:50181 --pki-dir $root/var/dev-pki"
measure() {  # stored
  local out
  out=$($load --in-flight 64 --count 20000 --json)
  echo "$out" | python3 -c '
import json, sys
j = json.load(sys.stdin)
print("%9s stored: unary at 64 in flight %6.0f signals/s, p99 %5.1f ms; hub RSS %s MB; %d errors"
      % (format(int(sys.argv[1]), ","), j["per_second"], j["p99_ms"], sys.argv[2], j["errors"]))
sys.exit(1 if j["errors"] else 0)' "$1" "$(rss_mb)" || { echo "errors: the figures are not valid"; exit 1; }
}

start_hub
echo "KetenHub growth benchmark: $(nproc) cores, filling to $target signals"
stored=0
measure $stored
stored=20000
while [ "$stored" -lt "$target" ]; do
  next=$(( stored + step > target ? target : stored + step ))
  fill_start=$(date +%s)
  fill=$($load --batch 32 --in-flight 1024 --count $(( next - stored )) --json)
  grep -q '"errors":0,' <<<"$fill" || { echo "the fill had errors: $fill"; exit 1; }
  echo "  filled $(( next - stored )) in $(( $(date +%s) - fill_start )) s"
  stored=$next
  measure $stored
  stored=$(( stored + 20000 ))
done
stop_hub
start_hub
echo "start-up with $stored signals stored: $startup_seconds s; RSS after start $(rss_mb) MB"
echo "data folder: $(du -sh "$work/data" | cut -f1)"
