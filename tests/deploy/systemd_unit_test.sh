#!/usr/bin/env bash
# The shipped systemd unit: `systemd-analyze verify` accepts it, and its
# exposure score (`systemd-analyze security`) stays at or below 1.5 of 10.
# Usage: systemd_unit_test.sh UNIT_FILE HUB_BINARY
set -euo pipefail
unit=${1:?unit file}
hub=${2:?hub binary}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Verify needs ExecStart to exist: point it at the binary just built.
sed "s|/usr/bin/ketenhub|$hub|" "$unit" >"$work/ketenhub.service"
if ! out=$(systemd-analyze verify "$work/ketenhub.service" 2>&1) || [ -n "$out" ]; then
  echo "systemd-analyze verify complained:"; echo "$out"; exit 1
fi
score=$(systemd-analyze security --offline=true "$work/ketenhub.service" 2>&1 |
  sed -n 's/.*Overall exposure level for ketenhub.service: \([0-9.]*\).*/\1/p')
echo "exposure level: ${score:-unknown}"
[ -n "$score" ] || { echo "no exposure level printed"; exit 1; }
systemd-analyze security --offline=true --threshold=15 "$work/ketenhub.service" >/dev/null ||
  { echo "exposure $score is above 1.5"; exit 1; }
for setting in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
    PrivateTmp=yes PrivateDevices=yes StateDirectory=ketenhub \
    'CapabilityBoundingSet=$' RestrictAddressFamilies= \
    SystemCallFilter=@system-service MemoryDenyWriteExecute=yes \
    'ExecReload=/bin/kill -HUP'; do
  grep -q "^$setting" "$unit" || { echo "missing: $setting"; exit 1; }
done
echo "ok"
