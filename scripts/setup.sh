#!/usr/bin/env bash
# Idempotent setup for a fresh Debian 12 machine (run as root, or with sudo available).
#
#   bash scripts/setup.sh --run   what building (Release) and running the dolphin binary needs:
#                                 the C++ toolchain and the libraries dolphin links
#                                 (cmake/DolphinDeps.cmake). scripts/run.sh uses this.
#   bash scripts/setup.sh         the run part, then the test part: GoogleTest/gmock, Google
#                                 Benchmark, clang (fuzz preset), clang-format, Python 3 + venv,
#                                 and the hooks in scripts/setup.d/ (the .venv with pyarrow and
#                                 the Hazelcast Python client, Node.js + apache-arrow JS, a Java
#                                 runtime + Maven + the Hazelcast member jar). scripts/test.sh uses this.
#
# Packages are installed by Debian name; `apt-get update` runs only when one is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/debian-packages.sh

mode=test
case "${1:-}" in
  --run) mode=run ;;
  --test | "") mode=test ;;
  *) echo "usage: scripts/setup.sh [--run | --test]" >&2; exit 2 ;;
esac

# Building and running: toolchain + every library the dolphin binary links.
RUN_PACKAGES=(
  build-essential g++ cmake ninja-build pkg-config
  libtomlplusplus-dev nlohmann-json3-dev libfmt-dev libcli11-dev libsqlite3-dev libsimdjson-dev
  libeigen3-dev libcpp-httplib-dev liblz4-dev libzstd-dev libsystemd-dev
  libcurl4-openssl-dev
  prometheus-cpp-dev  # GET /metrics: registry + text serializer (libs/metrics)
  libjs-chart.js  # the dashboard's charts, embedded at build time (libs/api)
)
# Tests, benchmarks and fuzzing (the hooks in scripts/setup.d/ add Node.js, Java and Maven).
TEST_PACKAGES=(
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  clang-format  # scripts/check_format.sh (CI) and scripts/format_tree.sh; .clang-format is for v14
  python3 python3-venv ca-certificates
  systemd  # systemd-analyze verify checks the generated units (tests)
  prometheus  # promtool check metrics/rules and a real Prometheus server scraping dolphin (tests)
  chromium  # the dashboard in headless Chromium (tests)
)

packages=("${RUN_PACKAGES[@]}")
if [[ $mode == test ]]; then packages+=("${TEST_PACKAGES[@]}"); fi
ensure_debian_packages "${packages[@]}"
echo "setup: all ${#packages[@]} Debian packages for $mode present"

if [[ $mode == run ]]; then exit 0; fi

# The test part's hooks: each is idempotent on its own.
for extra in scripts/setup.d/*.sh; do
  [[ -e "$extra" ]] || continue
  echo "setup: running $extra"
  bash "$extra"
done
