#!/usr/bin/env bash
# Sets up what running needs (idempotent; scripts/setup.sh --run: no JDK, npm, venv or test
# libraries), builds the Release binary, and runs `dolphin run` on the embedded bus.
# Extra args go to `dolphin run` (e.g. --duration 30, -c dolphin.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --run
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc 2>/dev/null || echo 2)"
exec build/release/apps/dolphin/dolphin run "$@"
