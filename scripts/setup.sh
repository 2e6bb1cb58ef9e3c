#!/usr/bin/env bash
# Idempotent setup for a fresh Debian 12 machine (run as root, or with sudo available).
# Installs every Debian package the build, the tests and the benchmarks need.
# Later pieces extend it (Hazelcast member jar from Maven Central, the .venv for interop tests).
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  build-essential g++ cmake ninja-build pkg-config git ca-certificates curl
  libtomlplusplus-dev nlohmann-json3-dev libfmt-dev libcli11-dev libsqlite3-dev libsimdjson-dev
  libcurl4-openssl-dev libeigen3-dev libcpp-httplib-dev liblz4-dev libzstd-dev libsystemd-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  python3 python3-venv
)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "setup: installing ${#missing[@]} Debian package(s): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#DEB_PACKAGES[@]} Debian packages present"
fi

# Optional pieces added by later work hook in here.
for extra in scripts/setup.d/*.sh; do
  [[ -e "$extra" ]] || continue
  echo "setup: running $extra"
  bash "$extra"
done
