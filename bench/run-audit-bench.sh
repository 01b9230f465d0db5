#!/usr/bin/env bash
# Audit figures: fills a fresh hub data folder with RECORDS audit records
# (default 1,000,000), measures a query for one person and the offline
# verification in-process, then starts a real hub on that folder and times
# what an auditor runs: `ketenctl audit query --bsn` over mutual TLS and
# `ketenhub-admin audit verify --data-dir` on the stopped hub's folder.
# Usage: bench/run-audit-bench.sh [BUILD_DIR] [RECORDS]   (make bench)
set -euo pipefail
build=${1:-build}
records=${2:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
hub_pid=
trap '[ -n "$hub_pid" ] && kill $hub_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

[ -f "$root/var/dev-pki/ca.pem" ] || "$root/certs/gen-dev-pki.sh" "$root/var/dev-pki"
echo "KetenHub audit benchmark: $(nproc) cores, $records records"
"$root/$build/bench/ketenhub_audit_bench" --data-dir "$work/data" --records "$records"

"$root/bench/dev-hub-config.sh" 127.0.0.1:50152 "$work/data" >"$work/hub.textproto"
start=$(date +%s%N)
"$root/$build/server/ketenhub" --config "$work/hub.textproto" 2>"$work/hub.log" &
hub_pid=$!
for _ in $(seq 300); do grep -q '"listening"' "$work/hub.log" && break; sleep 0.05; done
echo "  hub start-up on the filled folder: $(( ($(date +%s%N) - start) / 1000000 )) ms"

ctl="$root/$build/tools/ketenctl/ketenctl --hub 127.0.0.1:50152 --pki-dir $root/var/dev-pki --as auditor --user bench-1 --user-role auditor"
times=()
for _ in 1 2 3 4 5 6 7; do
  t0=$(date +%s%N)
  $ctl audit query --bsn 999990019 --json >"$work/query.jsonl"
  times+=($(( ($(date +%s%N) - t0) / 1000 )))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
echo "  ketenctl audit query --bsn (whole process, mTLS, $(wc -l <"$work/query.jsonl") records): median $(echo $sorted | cut -d' ' -f4) us over 7 runs (all: $sorted)"

kill "$hub_pid"; wait "$hub_pid" 2>/dev/null || true; hub_pid=
t0=$(date +%s%N)
"$root/$build/tools/ketenhub_admin/ketenhub-admin" audit verify --data-dir "$work/data" --public-key "$work/data/keys/audit-signing.pub" 2>/dev/null
echo "  ketenhub-admin audit verify --data-dir (whole process): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
