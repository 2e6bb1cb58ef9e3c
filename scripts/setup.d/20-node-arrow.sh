#!/usr/bin/env bash
# apache-arrow (JS) for the Arrow interop tests, installed into tests/interop/node/node_modules
# from the committed package-lock.json. Node.js and npm come from Debian (packages nodejs and
# npm) when they are not on PATH. Idempotent: does nothing when the lock file is unchanged.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/debian-packages.sh
ensure_command node nodejs
ensure_command npm npm
cd tests/interop/node
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -d node_modules/apache-arrow && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "setup: tests/interop/node up to date"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "setup: apache-arrow $(node -p 'require("./node_modules/apache-arrow/package.json").version') ready in tests/interop/node"
