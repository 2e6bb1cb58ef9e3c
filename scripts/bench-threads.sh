#!/usr/bin/env bash
# Threads per dolphin service at steady state (docs/services.md §2): TasksMax= / pids.max count
# every thread, and the original units allow 50 tasks, so each process must stay well inside
# (budget: 25). Starts a Hazelcast member on a free port, then, one after the other with a
# simulator feeding scans:
#   dolphin run (trader BLUE + GREEN, bridge, sim, health; embedded bus)
#   dolphin serve bridge | serve trader --color BLUE | serve health | serve sim  (hazelcast bus)
# waits until each is up plus DOLPHIN_THREADS_SETTLE_S (default 8) seconds, samples
# /proc/<pid>/task 5 times a second apart and appends one JSON line per process
# (docs/architecture.md §10 format: n = samples, p50/p99/max = thread counts, floor_p99 = null,
# ratio = max / 25, the budget) to $DOLPHIN_BENCH_OUT (default bench/results/results.jsonl).
# The threads by name go to stderr. Usage: scripts/bench-threads.sh [path/to/dolphin]
# (default: build/release/apps/dolphin/dolphin, else build/asan/apps/dolphin/dolphin).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=${1:-}
if [[ -z $bin ]]; then
  for b in build/release/apps/dolphin/dolphin build/asan/apps/dolphin/dolphin; do
    [[ -x $b ]] && { bin=$b; break; }
  done
fi
[[ -x $bin ]] || { echo "bench-threads.sh: no dolphin binary (build one, or pass its path)" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
out=${DOLPHIN_BENCH_OUT:-$root/bench/results/results.jsonl}
mkdir -p "$(dirname "$out")"
settle=${DOLPHIN_THREADS_SETTLE_S:-8}
budget=25

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d /tmp/dolphin-threads-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  scripts/hazelcast.sh stop --port "$port" --dir "$dir/hz" >/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
scripts/hazelcast.sh start --port "$port" --dir "$dir/hz" --watch-pid $$ >&2

cat > "$dir/run.toml" <<TOML
state_dir = "$dir/run"
[api]
listen = "127.0.0.1:0"
[sim]
enabled = true
interval_ms = 200
assets = 50
[trader.BLUE]
posture = "TURTLE"
[trader.GREEN]
posture = "TURTLE"
TOML
cat > "$dir/serve.toml" <<TOML
state_dir = "$dir/serve"
[api]
listen = "127.0.0.1:0"
[bus]
backend = "hazelcast"
members = ["127.0.0.1:$port"]
[sim]
interval_ms = 200
assets = 50
[trader.BLUE]
posture = "TURTLE"
[health]
processes = "systemd"
systemd_probe = ["true"]
TOML

# measure NAME ADDR_FILE ARGS...: starts dolphin ARGS, waits for ADDR_FILE, settles, samples.
measure() {
  local name=$1 addr=$2
  shift 2
  "$bin" "$@" >"$dir/$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 600); do [[ -s $addr ]] && break; sleep 0.1; done
  [[ -s $addr ]] || { echo "bench-threads.sh: $name did not start; log:" >&2; tail -20 "$dir/$name.log" >&2; exit 1; }
  sleep "$settle"
  local samples=() i
  for i in 1 2 3 4 5; do
    samples+=("$(ls "/proc/$pid/task" | wc -l)")
    sleep 1
  done
  echo "== $name (pid $pid): threads by name" >&2
  for t in /proc/"$pid"/task/*; do cat "$t/comm"; done | sort | uniq -c | sort -rn >&2
  python3 - "$name" "$budget" "${samples[@]}" >>"$out" <<'PY'
import json, sys
name, budget, s = sys.argv[1], int(sys.argv[2]), sorted(int(x) for x in sys.argv[3:])
line = json.dumps({"name": f"threads.{name}", "unit": "threads", "n": len(s), "p50": s[len(s) // 2],
                   "p99": s[-1], "max": s[-1], "floor_p99": None, "ratio": s[-1] / budget})
print(line)
print(line, file=sys.stderr)
PY
}

measure run "$dir/run/api.addr" run -c "$dir/run.toml"
kill -TERM "${pids[-1]}"; wait "${pids[-1]}" || true
measure serve_sim "$dir/serve/api.sim.addr" serve sim -c "$dir/serve.toml"
measure serve_bridge "$dir/serve/api.bridge.addr" serve bridge -c "$dir/serve.toml"
measure serve_trader "$dir/serve/api.trader.BLUE.addr" serve trader --color BLUE -c "$dir/serve.toml"
measure serve_health "$dir/serve/api.health.addr" serve health -c "$dir/serve.toml"
echo "results: $out (budget $budget threads per process, TasksMax 50)" >&2
