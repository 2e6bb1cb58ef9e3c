#!/usr/bin/env bash
# Runs one standalone Hazelcast 5.x member on 127.0.0.1 for tests, benchmarks and development.
#
#   scripts/hazelcast.sh start  [--port P] [--dir D] [--watch-pid PID] [--heap 256m]
#   scripts/hazelcast.sh stop   [--port P] [--dir D]     # SIGTERM, then SIGKILL after 15 s
#   scripts/hazelcast.sh kill   [--port P] [--dir D]     # SIGKILL (resilience tests)
#   scripts/hazelcast.sh status [--port P] [--dir D]     # exit 0 when running
#
# Cluster name `dolphin`, phone-home off, multicast off, TCP-IP join with only itself, bounded
# heap. The member's config (from scripts/hazelcast/hazelcast-member.yaml.in), log and pid file
# live in D (default var/hazelcast/<port>). `start` returns once the member accepts
# connections and has logged STARTED. stop/kill only touch the pid in D's pid file.
# --watch-pid: stop the member as soon as process PID is gone (tests use it so a crashed test
# binary never leaves a member behind).
# Exit codes: 0 ok, 1 failure, 2 usage, 3 jar missing, 4 java missing, 5 port busy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

cmd=${1:-}
[[ -n $cmd ]] && shift || true
port=5701
dir=""
watch_pid=""
heap=256m
jar=${HAZELCAST_JAR:-$root/.cache/hazelcast/hazelcast.jar}
timeout_s=${HAZELCAST_START_TIMEOUT:-90}
while (($#)); do
  case $1 in
    --port) port=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --watch-pid) watch_pid=$2; shift 2 ;;
    --heap) heap=$2; shift 2 ;;
    --jar) jar=$2; shift 2 ;;
    *) echo "hazelcast.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n $dir ]] || dir=$root/var/hazelcast/$port
pidfile=$dir/member.pid
log=$dir/member.log

running_pid() {  # prints the pid when the pid file names a live java process
  [[ -f $pidfile ]] || return 1
  local pid
  pid=$(cat "$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  grep -q java "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

case $cmd in
  start)
    if pid=$(running_pid); then
      echo "hazelcast.sh: member already running (pid $pid, port $port)"
      exit 0
    fi
    [[ -f $jar ]] || { echo "hazelcast.sh: member jar missing ($jar); run scripts/setup.d/30-hazelcast.sh" >&2; exit 3; }
    command -v java >/dev/null 2>&1 || { echo "hazelcast.sh: java missing; run scripts/setup.d/30-hazelcast.sh" >&2; exit 4; }
    if port_open "$port"; then
      echo "hazelcast.sh: port $port on 127.0.0.1 is already in use" >&2
      exit 5
    fi
    mkdir -p "$dir"
    sed "s/@PORT@/$port/g" "$root/scripts/hazelcast/hazelcast-member.yaml.in" > "$dir/hazelcast.yaml"
    : > "$log"
    # setsid: the member gets its own session, so a terminal's Ctrl-C does not reach it twice.
    # HAZELCAST_JAVA_OPTS: extra JVM flags / -Dhazelcast.* properties (benchmark experiments).
    # shellcheck disable=SC2086
    setsid java -Xms64m -Xmx"$heap" -XX:+UseSerialGC ${HAZELCAST_JAVA_OPTS:-} \
      -Djava.net.preferIPv4Stack=true \
      -Dhazelcast.config="$dir/hazelcast.yaml" \
      -Dhazelcast.phone.home.enabled=false \
      -Dhazelcast.shutdownhook.policy=GRACEFUL \
      -cp "$jar" com.hazelcast.core.server.HazelcastMemberStarter \
      >>"$log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" > "$pidfile"
    if [[ -n $watch_pid ]]; then
      ( while kill -0 "$watch_pid" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
        # Still ours: the pid file names it, or the file (its whole folder) is gone while the
        # member runs on, which would leave an orphan nobody can find.
        if kill -0 "$pid" 2>/dev/null && { [[ ! -f $pidfile ]] || [[ $(cat "$pidfile" 2>/dev/null) == "$pid" ]]; }; then
          kill -KILL "$pid" 2>/dev/null || true
          rm -f "$pidfile"
        fi ) >/dev/null 2>&1 </dev/null &
      disown
    fi
    deadline=$((SECONDS + timeout_s))
    while ((SECONDS < deadline)); do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "hazelcast.sh: member exited during start; log tail:" >&2
        tail -n 30 "$log" >&2
        rm -f "$pidfile"
        exit 1
      fi
      if grep -q "is STARTED" "$log" && port_open "$port"; then
        echo "hazelcast.sh: member started (pid $pid, 127.0.0.1:$port, cluster dolphin, dir $dir)"
        exit 0
      fi
      sleep 0.2
    done
    echo "hazelcast.sh: member not ready after ${timeout_s}s; stopping it; log tail:" >&2
    tail -n 30 "$log" >&2
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    exit 1
    ;;
  stop|kill)
    if ! pid=$(running_pid); then
      echo "hazelcast.sh: no member running in $dir"
      rm -f "$pidfile"
      exit 0
    fi
    if [[ $cmd == kill ]]; then
      kill -KILL "$pid"
    else
      kill -TERM "$pid"
      for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$pidfile"
    echo "hazelcast.sh: member stopped (pid $pid, signal $([[ $cmd == kill ]] && echo KILL || echo TERM))"
    ;;
  status)
    if pid=$(running_pid); then
      echo "hazelcast.sh: running (pid $pid, port $port, dir $dir)"
    else
      echo "hazelcast.sh: not running (dir $dir)"
      exit 1
    fi
    ;;
  *)
    echo "usage: scripts/hazelcast.sh start|stop|kill|status [--port P] [--dir D] [--watch-pid PID] [--heap SIZE]" >&2
    exit 2
    ;;
esac
