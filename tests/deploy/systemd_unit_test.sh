#!/usr/bin/env bash
# The shipped systemd unit: `systemd-analyze verify` accepts it, and its
# exposure score (`systemd-analyze security`) stays at or below 1.5 of 10.
# Also the witness's unit, with its binary, by the same measure.
# Usage: systemd_unit_test.sh UNIT_FILE HUB_BINARY [OTHER_UNIT OTHER_BINARY]...
# (the console's and the witness's)
set -euo pipefail
unit=${1:?unit file}
hub=${2:?hub binary}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# check UNIT BINARY NAME SETTINGS...
check() {
  local unit=$1 binary=$2 name=$3; shift 3
  # Verify needs ExecStart to exist: point it at the binary just built.
  sed "s|/usr/bin/$name|$binary|" "$unit" >"$work/$name.service"
  if ! out=$(systemd-analyze verify "$work/$name.service" 2>&1) || [ -n "$out" ]; then
    echo "$name: systemd-analyze verify complained:"; echo "$out"; exit 1
  fi
  score=$(systemd-analyze security --offline=true "$work/$name.service" 2>&1 |
    sed -n "s/.*Overall exposure level for $name.service: \\([0-9.]*\\).*/\\1/p")
  echo "$name exposure level: ${score:-unknown}"
  [ -n "$score" ] || { echo "no exposure level printed"; exit 1; }
  systemd-analyze security --offline=true --threshold=15 "$work/$name.service" >/dev/null ||
    { echo "$name: exposure $score is above 1.5"; exit 1; }
  for setting in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
      PrivateTmp=yes PrivateDevices=yes 'CapabilityBoundingSet=$' \
      RestrictAddressFamilies= SystemCallFilter=@system-service \
      MemoryDenyWriteExecute=yes LimitCORE=0 "$@"; do
    grep -q "^$setting" "$unit" || { echo "$name: missing: $setting"; exit 1; }
  done
}
check "$unit" "$hub" ketenhub StateDirectory=ketenhub 'ExecReload=/bin/kill -HUP'
shift 2
while [ $# -ge 2 ]; do
  name=$(basename "$1" .service)
  check "$1" "$2" "$name"
  shift 2
done
echo "ok"
