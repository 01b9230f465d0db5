#!/usr/bin/env bash
# Chain-director stream figures on fresh hubs (make bench):
#  1. receipt -> event latency on an idle subscriber;
#  2. hub memory (RSS) after 10,000 submits, without and with a subscriber
#     that stalls (never reads) during them;
#  3. catch-up: a subscriber reading a backlog of STREAM_BACKLOG events
#     (default 1,000,000) from the start.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
hub_pid=
cleanup() { [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
[ -f "$root/var/dev-pki/ca.pem" ] || "$root/certs/gen-dev-pki.sh" "$root/var/dev-pki"
addr=127.0.0.1:50152
pki="--hub $addr --pki-dir $root/var/dev-pki"

start_hub() {
  rm -rf "$work/data"
  "$root/bench/dev-hub-config.sh" "$addr" "$work/data" >"$work/hub.textproto"
  "$root/$build/server/ketenhub" --config "$work/hub.textproto" 2>"$work/hub.log" &
  hub_pid=$!
  for _ in $(seq 50); do grep -q '"listening"' "$work/hub.log" && break; sleep 0.1; done
}
stop_hub() { kill "$hub_pid"; wait "$hub_pid" 2>/dev/null || true; hub_pid=; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$hub_pid/status"; }

start_hub
"$root/$build/bench/ketenhub_stream_bench" $pki latency --count 10000 --rate 1000
stop_hub

for stalled in no yes; do
  start_hub
  before=$(rss_kb)
  if [ $stalled = yes ]; then
    "$root/$build/bench/ketenhub_stream_bench" $pki stall --seconds 60 & stall_pid=$!
    sleep 0.5
  fi
  "$root/$build/bench/ketenhub_submit_load" $pki --in-flight 64 --count 10000 >/dev/null
  after=$(rss_kb)
  [ $stalled = yes ] && kill $stall_pid 2>/dev/null
  echo "hub RSS with stalled subscriber=$stalled: ${before} kB at start, ${after} kB after 10,000 submits"
  stop_hub
done

backlog=${STREAM_BACKLOG:-1000000}
start_hub
echo "filling a backlog of $backlog signals..."
"$root/$build/bench/ketenhub_submit_load" $pki --batch 32 --in-flight 1024 --count "$backlog"
"$root/$build/bench/ketenhub_stream_bench" $pki catchup --count "$backlog"
stop_hub
