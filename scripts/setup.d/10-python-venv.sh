#!/usr/bin/env bash
# Project-local Python venv (.venv) for interop tests: pyarrow, hazelcast-python-client, and
# ephem (the esof fixtures, tools/indicators/make_esof_fixture.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
req=scripts/requirements-interop.txt
stamp=.venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [[ -x .venv/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "setup: .venv up to date"
  exit 0
fi
# Debian's python3 first (a fresh Debian 12 machine), whatever python3 is on PATH otherwise.
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3)
[[ -x .venv/bin/python ]] || "$py" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
echo "setup: .venv ready ($(.venv/bin/python -c 'import pyarrow, hazelcast; print("pyarrow", pyarrow.__version__, "hazelcast", hazelcast.__version__)'))"
