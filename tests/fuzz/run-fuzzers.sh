#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz and runs
# each for SECONDS, as many at once as there are cores. Kept inputs
# (tests/fuzz/corpus/<target>, example files from deploy/) seed each run;
# what a run learns stays in build-fuzz/fuzz-corpus for the next one.
# Prints executions per target; exits 1 on any finding.
#   tests/fuzz/run-fuzzers.sh SECONDS [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:?usage: run-fuzzers.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] &&
  targets=(signal_validation policy config audit_proof ketenctl_json audit_line)
build=build-fuzz
jobs=$(nproc)

if [ ! -f $build/build.ninja ]; then
  cmake -S . -B $build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DKETENHUB_FUZZ=ON >/dev/null
fi
cmake --build $build --target fuzzers

seeds_of() {
  case $1 in
    policy) echo deploy/policy-example.textproto ;;
    config) echo deploy/ketenhub-dev.textproto ;;
    ketenctl_json) echo deploy/examples/*.json ;;
  esac
}

run_one() {
  local t=$1 seeds=$build/fuzz-seeds/$1
  rm -rf "$seeds" && mkdir -p "$seeds" $build/fuzz-corpus/$t $build/fuzz-findings $build/fuzz-logs
  cp tests/fuzz/corpus/$t/* $(seeds_of $t) "$seeds"/ 2>/dev/null || true
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    $build/tests/fuzz/${t}_fuzzer -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2560 -print_final_stats=1 \
    -artifact_prefix=$build/fuzz-findings/$t- \
    $build/fuzz-corpus/$t "$seeds" >$build/fuzz-logs/$t.log 2>&1
}

echo "Fuzzing ${#targets[@]} targets for ${seconds} s each, $jobs at a time."
declare -A result
running=0
for t in "${targets[@]}"; do
  (run_one "$t") & pids[$!]=$t
  running=$((running + 1))
  if [ $running -ge "$jobs" ]; then
    wait -n -p done_pid && status=0 || status=$?
    result[${pids[$done_pid]}]=$status
    running=$((running - 1))
  fi
done
while [ $running -gt 0 ]; do
  wait -n -p done_pid && status=0 || status=$?
  result[${pids[$done_pid]}]=$status
  running=$((running - 1))
done

failed=0
printf '%-20s %12s %10s %8s  %s\n' target executions 'per s' corpus result
for t in "${targets[@]}"; do
  log=$build/fuzz-logs/$t.log
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find $build/fuzz-corpus/$t -type f | wc -l)
  if [ "${result[$t]}" -eq 0 ]; then
    verdict=ok
  else
    verdict="FINDING, see $log"
    failed=1
  fi
  printf '%-20s %12s %10s %8s  %s\n' "$t" "${runs:-?}" "${rate:-?}" "$corpus" "$verdict"
done
if [ $failed -ne 0 ]; then
  echo "A finding's input is in $build/fuzz-findings/. Fix the cause, then keep"
  echo "the input as a regression test: copy it into tests/fuzz/corpus/<target>/."
fi
exit $failed
