#!/usr/bin/env bash
# Installs the Debian 12 packages KetenHub needs to build, run and test, and only
# those that are missing. Runs apt-get as root, or through sudo otherwise.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache openssl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev librocksdb-dev libssl-dev libcli11-dev
  libgtest-dev libgmock-dev libcpp-httplib-dev
  libjemalloc-dev  # the hub's allocator (see server/CMakeLists.txt)
  clang libclang-rt-14-dev llvm  # the fuzz targets: make fuzz, make fuzz-smoke
  systemd  # systemd-analyze, to check the service unit
  python3-grpcio python3-protobuf  # the Python example client and its test
  groff-base  # renders ketenctl's generated man page in its test
  file  # cpack's Debian generator reads the binaries' type with it
  libctemplate-dev  # the console's autoescaping HTML templates
  chromium  # the console's browser tests (driven by playwright-core)
  # Keys in a PKCS#11 token: p11-kit loads the token's module and parses
  # pkcs11: URIs; SoftHSM2 is the token of development and the tests.
  libp11-kit-dev softhsm2
)
# Node.js and npm drive the browser tests; any install of them will do
# (Debian's nodejs and npm when there is none).
command -v npm >/dev/null || packages+=(nodejs npm)

# The browser tests' npm packages, as the committed lock file pins them.
browser_tests() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
  [ -d "$dir/node_modules/playwright-core" ] ||
    (cd "$dir" && npm ci --silent --no-audit --no-fund)
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then browser_tests; exit 0; fi

echo "Installing missing packages: ${missing[*]}"
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}"
browser_tests
