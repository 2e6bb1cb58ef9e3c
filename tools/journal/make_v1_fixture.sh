#!/usr/bin/env bash
# Writes tests/data/journal/v1: a trader journal of schema version 1 with its scan files and
# config, for the migration test (tests/integration/trader/journal_migration_test.cc). It was
# run once with a `dolphin` built at commit 33b7bb4, the last one before the journal's schema
# version 2; the files it made are committed and never regenerated with a newer build (that
# would write the newer schema and test nothing).
#
#   tools/journal/make_v1_fixture.sh PATH/TO/OLD/dolphin [OUT_DIR]
set -euo pipefail
dolphin=${1:?usage: make_v1_fixture.sh PATH/TO/OLD/dolphin [OUT_DIR]}
out=${2:-tests/data/journal/v1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/dolphin.toml" <<'TOML'
# The config the fixture journal was written with (its [trader.BLUE] is what --parity replays).
[api]
listen = "127.0.0.1:0"
[sim]
enabled = true
interval_ms = 20
assets = 8
count = 90
seed = 23
[trader.BLUE]
posture = "APEX"
fill_price = "next_scan"
entry_threshold = -0.001
exit_threshold = 0.001
max_hold_scans = 3
max_scan_age_s = 1e9
max_orders_per_minute = 100000
[health]
enabled = false
[scheduler]
enabled = false
TOML
(cd "$work" && timeout 20 "$dolphin" run -c dolphin.toml > run.log 2>&1) || true
test -s "$work/var/journal/trader_BLUE.sqlite"
# A clean stop checkpoints the WAL into the file: a WAL left behind would hold commits the copy misses.
if [ -s "$work/var/journal/trader_BLUE.sqlite-wal" ]; then echo "the journal's WAL was not checkpointed" >&2; exit 1; fi
rm -rf "$out"
mkdir -p "$out"
cp "$work/dolphin.toml" "$out/dolphin.toml"
cp "$work/var/journal/trader_BLUE.sqlite" "$out/trader_BLUE.sqlite"
cp -r "$work/var/scans" "$out/scans"
echo "fixture written to $out: $(find "$out/scans" -name '*.arrow' | wc -l) scan files"
