#!/usr/bin/env bash
# Figures for the council: seeds a hub on a fresh data folder with
# REPORT_SIGNALS signals (default 100,000, batch submits), then times five
# `ketenctl report` calls for this year by month, category, source and
# municipality (the whole call: every signal record is read), and prints
# the hub's peak memory before and after.
# Usage: bench/run-report-bench.sh [BUILD_DIR]   (make bench)
set -euo pipefail
build=${1:-build}
count=${REPORT_SIGNALS:-100000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill $hub_pid 2>/dev/null; wait $hub_pid 2>/dev/null; rm -rf "$work"' EXIT

[ -f "$root/var/dev-pki/ca.pem" ] || "$root/certs/gen-dev-pki.sh" "$root/var/dev-pki"
"$root/bench/dev-hub-config.sh" 127.0.0.1:50153 "$work/data" >"$work/hub.textproto"
"$root/$build/server/ketenhub" --config "$work/hub.textproto" 2>"$work/hub.log" &
hub_pid=$!
for _ in $(seq 50); do grep -q '"listening"' "$work/hub.log" && break; sleep 0.1; done

echo "KetenHub report benchmark: $(nproc) cores, $count signals"
"$root/$build/bench/ketenhub_submit_load" --hub 127.0.0.1:50153 \
  --pki-dir "$root/var/dev-pki" --batch 32 --in-flight 256 --count "$count"
peak() { sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$hub_pid/status"; }
echo "hub peak memory after the load: $(peak)"
year=$(date -u +%Y)
for run in 1 2 3 4 5; do
  start=$(date +%s.%N)
  "$root/$build/tools/ketenctl/ketenctl" --hub 127.0.0.1:50153 \
    --pki-dir "$root/var/dev-pki" --as operator --user bench \
    --user-role applicatiebeheerder report --from "$year-01-01" \
    --to "$year-12-31" --period month --by category,source,municipality \
    >"$work/report.txt"
  took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  echo "report $run: $took s, $(wc -l <"$work/report.txt") lines"
done
echo "hub peak memory after the reports: $(peak)"
