#!/usr/bin/env bash
# Prints the dev hub configuration (deploy/ketenhub-dev.textproto) for a
# benchmark's own hub: absolute paths to the dev PKI and a policy, its own
# data folder and address, no metrics port.
# Usage: bench/dev-hub-config.sh ADDRESS DATA_DIR [POLICY_FILE] > hub.textproto
set -euo pipefail
address=${1:?address host:port}
data=${2:?data folder}
root=$(cd "$(dirname "$0")/.." && pwd)
policy=${3:-$root/deploy/policy-example.textproto}
sed -e "/^metrics_address/d" -e "s|\"../var/dev-pki/|\"$root/var/dev-pki/|" \
    -e "s|\"policy-example.textproto\"|\"$policy\"|" \
    -e "s|\"../var/data\"|\"$data\"|" \
    -e "s|127.0.0.1:50051|$address|" \
    "$root/deploy/ketenhub-dev.textproto"
