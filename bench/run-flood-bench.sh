#!/usr/bin/env bash
# Fairness under a flood: GGD's latency alone, then while politie floods the
# hub far beyond its submit rate (1,000 signals a second in this run's
# policy). Prints both, for comparison.
# Usage: bench/run-flood-bench.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
hub_pid=
trap '[ -n "$hub_pid" ] && kill $hub_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

[ -f "$root/var/dev-pki/ca.pem" ] || "$root/certs/gen-dev-pki.sh" "$root/var/dev-pki"
sed -e 's|^  id: "politie"|  id: "politie"\n  submit_rate { per_second: 1000 burst: 1000 }|' \
  "$root/deploy/policy-example.textproto" >"$work/policy.textproto"
"$root/bench/dev-hub-config.sh" 127.0.0.1:50153 "$work/data" "$work/policy.textproto" \
  >"$work/hub.textproto"
"$root/$build/server/ketenhub" --config "$work/hub.textproto" 2>"$work/hub.log" &
hub_pid=$!
for _ in $(seq 50); do grep -q '"listening"' "$work/hub.log" && break; sleep 0.1; done

load="$root/$build/bench/ketenhub_submit_load --hub 127.0.0.1:50153 --pki-dir $root/var/dev-pki"
echo "KetenHub flood benchmark: $(nproc) cores; politie limited to 1,000 signals/s"
echo -n "ggd alone:            "; $load --partners ggd --in-flight 4 --connections 1 --count 5000
$load --partners politie --in-flight 256 --connections 4 --count 100000 >"$work/flood.txt" 2>&1 &
flood=$!
sleep 1
echo -n "ggd during the flood: "; $load --partners ggd --in-flight 4 --connections 1 --count 5000
kill $flood 2>/dev/null || true; wait $flood 2>/dev/null || true
accepted=$(grep '"event":"submit","partner":"politie"' "$work/hub.log" | grep -c '"signal_id"' || true)
refused=$(grep -c 'submit rate' "$work/hub.log" || true)
echo "politie's flood: $accepted submits accepted, $refused refused by its rate (RESOURCE_EXHAUSTED)"
