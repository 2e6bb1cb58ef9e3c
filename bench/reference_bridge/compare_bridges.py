"""`dolphin serve bridge` beside the original system's design (reference_bridge.py), in one run,
on one Hazelcast member and the same scan files, both observed by the same official-client
entry listener (docs/hazelcast.md, "Benchmarks").

  compare_bridges.py --member 127.0.0.1:5701 --dolphin build/bench/apps/dolphin/dolphin
                     [--n 200] [--n-slow 20] [--warmup 5] [--gap-ms 20] [--seed 1]

Method:
 - N + warm-up 400-asset scans written once by `dolphin sim --count`, copied per bridge into a
   staging folder on the same filesystem;
 - per bridge (dolphin, reference polling every 10 ms, reference polling every 5 s; each alone
   on the machine, started on an empty scan folder and stopped afterwards): the scans renamed
   one at a time into <scan_dir>/<today>/; latency = the observer's wall clock when its entry
   listener (hazelcast-python-client, on DOLPHIN_FEATURES["latest_eigen_scan"]) is called with
   that scan_number - the wall clock just before rename(); same host, same clock;
 - between scans the bench idles gap_ms plus, for a polling bridge, a uniform random part of
   its poll interval (seeded), so renames land at every phase of the poll as live scans do;
 - CPU per scan: the bridge process's CPU time (schedstat of its threads, in ns) over the
   measured scans / N (a poller's idle polling included: that is what it costs); its idle CPU
   per second over a quiet second; RSS (VmRSS) at the end;
 - the observer's own delay (the Python client's event path) is in every bridge's figure alike;
   it is measured first as the observer floor (its own put -> its own listener, n puts); the
   bridge's own bridge_ts - rename time ("stamp") shows each bridge without the observer.
Appends one line per figure to $DOLPHIN_BENCH_OUT (default bench/results/results.jsonl), the
docs/architecture.md section 10 format ("ratio" = this p50 / dolphin's p50), and prints a table.
A figure, not a test: exits 0 whether dolphin is faster or not; non-zero only when the run fails.
"""
import argparse
import datetime
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import hazelcast

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "common"))
from bench_results import append, pct  # noqa: E402  (bench/common)


def cpu_seconds(pid):
    """CPU time of the process's live threads, in seconds (schedstat: nanoseconds, not ticks)."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that just ended
    return total / 1e9


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def die(why):
    print("compare_bridges: " + why, file=sys.stderr, flush=True)
    sys.exit(1)


class Observer:
    """The one official-client entry listener every bridge is measured by."""

    def __init__(self, member):
        self.client = hazelcast.HazelcastClient(cluster_name="dolphin", cluster_members=[member])
        self.map = self.client.get_map("DOLPHIN_FEATURES").blocking()
        self.cond = threading.Condition()
        self.seen = {}  # scan_number -> arrival wall clock (ns)
        self.map.add_entry_listener(key="latest_eigen_scan", include_value=True,
                                    added_func=self._on, updated_func=self._on)

    def _on(self, event):
        at = time.time_ns()
        try:
            scan = json.loads(event.value)
            n = scan["scan_number"]
            stamped = datetime.datetime.fromisoformat(scan["bridge_ts"]).timestamp() * 1e9
        except Exception:
            return
        with self.cond:
            self.seen.setdefault(n, (at, stamped))
            self.cond.notify_all()

    def floor(self, count, gap_s):
        """The observer's own put -> listener hop (official client both ways): its share of
        every bridge's figure."""
        out = []
        for i in range(count):
            n = -1 - i
            t0 = time.time_ns()
            self.map.put("latest_eigen_scan", json.dumps(
                {"scan_number": n, "bridge_ts": datetime.datetime.now(
                    datetime.timezone.utc).isoformat()}))
            got = self.wait(n, 10)
            if got is None:
                die("observer floor: own put never reached the listener")
            out.append((got[0] - t0) / 1000.0)
            time.sleep(gap_s)
        return out

    def reset(self):
        self.map.remove("latest_eigen_scan")
        with self.cond:
            self.seen.clear()

    def wait(self, number, timeout_s):
        with self.cond:
            if not self.cond.wait_for(lambda: number in self.seen, timeout=timeout_s):
                return None
            return self.seen[number]

    def close(self):
        self.client.shutdown()


def make_scans(dolphin, work, count):
    out = os.path.join(work, "generated")
    r = subprocess.run([dolphin, "sim", "--out", out, "--count", str(count), "--interval-ms", "0",
                        "--log-level", "warn"], capture_output=True, text=True)
    if r.returncode != 0:
        die("dolphin sim failed: " + (r.stderr or r.stdout).strip().splitlines()[-1])
    files = []
    for day in sorted(os.listdir(out)):
        for name in sorted(os.listdir(os.path.join(out, day))):
            if name.endswith(".arrow"):
                files.append(os.path.join(out, day, name))
    if len(files) != count:
        die("dolphin sim wrote %d files, expected %d" % (len(files), count))
    # scan_NNNNNN_HHMMSS.arrow -> NNNNNN
    return [(int(os.path.basename(p).split("_")[1]), p) for p in files]


def wait_for_file(path, proc, timeout_s, log):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    with open(log) as f:
        tail = f.read()[-2000:]
    die("%s did not start (%s):\n%s" % (proc.args[0], path, tail))


def run_bridge(label, argv_for, ready_of, scans, observer, a, poll_s, rng, work):
    d = os.path.join(work, label)
    staging = os.path.join(d, "staging")
    day = os.path.join(d, "scans", time.strftime("%Y-%m-%d", time.gmtime()))
    os.makedirs(staging)
    os.makedirs(day)
    for _, p in scans:
        shutil.copy(p, staging)
    observer.reset()
    log = os.path.join(d, "bridge.log")
    with open(log, "w") as logf:
        proc = subprocess.Popen(argv_for(d), stdout=logf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    try:
        wait_for_file(ready_of(d), proc, 60, log)
        time.sleep(0.5)  # connected and idle
        c0 = cpu_seconds(proc.pid)
        time.sleep(1.0)
        idle_cpu_us_per_s = (cpu_seconds(proc.pid) - c0) * 1e6
        lat_us, stamp_us, cpu0, t_start = [], [], None, None
        for i, (number, path) in enumerate(scans):
            if i == a.warmup:
                cpu0, t_start = cpu_seconds(proc.pid), time.monotonic()
            src = os.path.join(staging, os.path.basename(path))
            dst = os.path.join(day, os.path.basename(path))
            t0 = time.time_ns()
            os.rename(src, dst)
            at = observer.wait(number, poll_s + 20)
            if at is None:
                with open(log) as f:
                    tail = f.read()[-2000:]
                die("%s: scan %d never reached the listener\n%s" % (label, number, tail))
            if i >= a.warmup:
                lat_us.append((at[0] - t0) / 1000.0)
                stamp_us.append((at[1] - t0) / 1000.0)
            time.sleep(a.gap_ms / 1000.0 + (rng.uniform(0, poll_s) if poll_s > 0 else 0))
        cpu_us = (cpu_seconds(proc.pid) - cpu0) * 1e6 / len(lat_us)
        wall_s = time.monotonic() - t_start
        rss = rss_mb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return {"label": label, "lat_us": lat_us, "stamp_us": stamp_us, "cpu_us": cpu_us, "idle_cpu_us_per_s":
            idle_cpu_us_per_s, "rss_mb": rss, "wall_s": wall_s}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--member", default="127.0.0.1:5701")
    ap.add_argument("--dolphin", required=True)
    ap.add_argument("--n", type=int, default=200, help="measured scans per fast bridge")
    ap.add_argument("--n-slow", type=int, default=20, help="measured scans, 5 s poller")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--gap-ms", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    a = ap.parse_args()
    if not os.access(a.dolphin, os.X_OK):
        die("--dolphin %s is not an executable" % a.dolphin)
    work = tempfile.mkdtemp(prefix="dolphin-refbridge-")
    rng = random.Random(a.seed)
    observer = Observer(a.member)
    try:
        print("compare_bridges: writing %d scans with dolphin sim" % (a.n + a.warmup),
              file=sys.stderr, flush=True)
        scans = make_scans(a.dolphin, work, a.n + a.warmup)
        host, port = a.member.rsplit(":", 1)

        def dolphin_argv(d):
            cfg = os.path.join(d, "dolphin.toml")
            with open(cfg, "w") as f:
                f.write('state_dir = "%s"\n' % os.path.join(d, "var"))
                f.write('[log]\nlevel = "warn"\n[api]\nlisten = "127.0.0.1:0"\n'
                        '[bus]\nbackend = "hazelcast"\nmembers = ["%s"]\n[sim]\nenabled = false\n'
                        '[bridge]\nscan_dir = "%s"\n' % (a.member, os.path.join(d, "scans")))
            return [a.dolphin, "serve", "bridge", "-c", cfg]

        def ref_argv(poll_ms):
            return lambda d: [sys.executable, os.path.join(HERE, "reference_bridge.py"),
                              "--member", a.member, "--scan-dir", os.path.join(d, "scans"),
                              "--poll-ms", str(poll_ms), "--ready-file",
                              os.path.join(d, "ready")]

        print("compare_bridges: observer floor, %d own puts" % a.n, file=sys.stderr, flush=True)
        observer.reset()
        floor = observer.floor(a.n, a.gap_ms / 1000.0)
        runs = []
        plan = [("dolphin", dolphin_argv, lambda d: os.path.join(d, "var", "api.bridge.addr"),
                 scans, 0.0),
                ("python_poll_10ms", ref_argv(10), lambda d: os.path.join(d, "ready"), scans,
                 0.010),
                ("python_poll_5s", ref_argv(5000), lambda d: os.path.join(d, "ready"),
                 scans[:a.n_slow + a.warmup], 5.0)]
        for label, argv_for, ready_of, these, poll_s in plan:
            print("compare_bridges: %s, %d scans" % (label, len(these) - a.warmup),
                  file=sys.stderr, flush=True)
            runs.append(run_bridge(label, argv_for, ready_of, these, observer, a, poll_s, rng,
                                   work))
    finally:
        observer.close()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)

    base = runs[0]
    base_p50, base_cpu = pct(base["lat_us"], 50), base["cpu_us"]
    floor_p50, floor_p99 = pct(floor, 50), pct(floor, 99)
    print("\nfile renamed -> official-client entry listener (and -> the bridge's own bridge_ts),"
          " one member, same files; ratio = p50 / dolphin p50")
    print("observer floor (its own put -> its listener, in every figure): p50 %.0f us, "
          "p99 %.0f us, n %d" % (floor_p50, floor_p99, len(floor)))
    print("%-17s %4s %9s %9s %9s %6s %9s %9s %9s %10s %7s" % (
        "bridge", "n", "p50 us", "p99 us", "max us", "ratio", "stamp p50", "stamp p99",
        "cpu/scan", "idle us/s", "rss MB"))
    append({"name": "refbridge.observer_floor.put_to_listener", "unit": "us", "n": len(floor),
            "p50": floor_p50, "p99": floor_p99, "max": max(floor), "floor_p99": None,
            "ratio": None})
    for r in runs:
        lat, stamp = r["lat_us"], r["stamp_us"]
        p50, p99 = pct(lat, 50), pct(lat, 99)
        ratio = p50 / base_p50 if base_p50 else None
        print("%-17s %4d %9.0f %9.0f %9.0f %6.1f %9.0f %9.0f %9.0f %10.0f %7.1f" % (
            r["label"], len(lat), p50, p99, max(lat), ratio or 0, pct(stamp, 50), pct(stamp, 99),
            r["cpu_us"], r["idle_cpu_us_per_s"], r["rss_mb"]))
        append({"name": "refbridge.%s.rename_to_listener" % r["label"], "unit": "us",
                "n": len(lat), "p50": p50, "p99": p99, "max": max(lat), "floor_p99": floor_p99,
                "ratio": ratio})
        append({"name": "refbridge.%s.rename_to_bridge_ts" % r["label"], "unit": "us",
                "n": len(stamp), "p50": pct(stamp, 50), "p99": pct(stamp, 99), "max": max(stamp),
                "floor_p99": None, "ratio": pct(stamp, 50) / pct(base["stamp_us"], 50)})
        append({"name": "refbridge.%s.cpu_per_scan" % r["label"], "unit": "us", "n": len(lat),
                "p50": r["cpu_us"], "p99": None, "max": None, "floor_p99": None,
                "ratio": r["cpu_us"] / base_cpu if base_cpu else None})
        append({"name": "refbridge.%s.idle_cpu" % r["label"], "unit": "us/s", "n": 1,
                "p50": r["idle_cpu_us_per_s"], "p99": None, "max": None, "floor_p99": None,
                "ratio": None})
        append({"name": "refbridge.%s.rss" % r["label"], "unit": "MB", "n": 1,
                "p50": r["rss_mb"], "p99": None, "max": None, "floor_p99": None, "ratio": None})

if __name__ == "__main__":
    main()
