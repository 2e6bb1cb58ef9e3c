#!/usr/bin/env bash
# apache-arrow (JS) for the Arrow interop tests, installed into tests/interop/node/node_modules
# from the committed package-lock.json. Idempotent: does nothing when the lock file is unchanged.
set -euo pipefail
cd "$(dirname "$0")/../../tests/interop/node"
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm not found; install Node.js 20 + npm for the Arrow JS interop tests" >&2
  exit 1
fi
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -d node_modules/apache-arrow && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "setup: tests/interop/node up to date"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "setup: apache-arrow $(node -p 'require("./node_modules/apache-arrow/package.json").version') ready in tests/interop/node"
