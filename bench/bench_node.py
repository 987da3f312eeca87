#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Node mode's overhead: N copies of the map-heavy workload at once,
untraced and under one `gomapleak watch --exe DIR/*` (a session and a budget
a process), interleaved. Prints the median total throughput of each, the
targets' own CPU and context switches (rusage), and each process's budget line
(what the governor estimated its bursts cost, against the budget), and what
gomapleak took to attach to them all and the memory of its BPF maps then.
Usage: bench_node.py GOMAPLEAK BENCH_BINARY [N] [SECONDS] [REPEATS] [BUDGET]
"""
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "tests", "integration"))
from bpf_fdinfo import bpf_maps  # noqa: E402

GOMAPLEAK, BINARY = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 10
SECONDS = float(sys.argv[4]) if len(sys.argv) > 4 else 10
REPEATS = int(sys.argv[5]) if len(sys.argv) > 5 else 3
BUDGET = sys.argv[6] if len(sys.argv) > 6 else "1"
ESTIMATE_RE = re.compile(r"pid=\d+ comm=\S+ overhead budget .*cost ~[\d.]+s \(([\d.]+)%\)")


def start_workloads(path):
    procs = [subprocess.Popen([path, "-mode", "mix", "-wait", "-d", "%gs" % SECONDS],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for _ in range(N)]
    for p in procs:
        if p.stdout.readline().strip() != "ready":
            raise SystemExit("bench_node: a workload did not start")
    return procs


def bpf_map_bytes(pid):
    """The memory of the BPF maps pid holds open (fdinfo's memlock)."""
    return sum(int(m.get("memlock", "0")) for m in bpf_maps(pid).values())


def start_watch(folder):
    started = time.monotonic()
    w = subprocess.Popen([GOMAPLEAK, "watch", "--exe", folder + "/*", "--budget", BUDGET],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines, attached = [], threading.Semaphore(0)

    def pump():
        for line in w.stderr:
            lines.append(line)
            if line.startswith("gomapleak: attached to "):
                attached.release()

    t = threading.Thread(target=pump, daemon=True)
    t.start()
    for _ in range(N):
        if not attached.acquire(timeout=120):
            raise SystemExit("bench_node: gomapleak did not attach to every workload")
    return w, t, lines, time.monotonic() - started, bpf_map_bytes(w.pid)


def run_once(path, folder, traced):
    procs = start_workloads(path)
    watch = start_watch(folder) if traced else None
    try:
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        rate = cpu = ctx = 0.0
        for p in procs:
            rate += float(p.stdout.readline().split()[3])
            _, _, usage = os.wait4(p.pid, 0)
            p.returncode = 0
            cpu += usage.ru_utime + usage.ru_stime
            ctx += usage.ru_nvcsw + usage.ru_nivcsw
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    run = {"rate": rate, "cpu": cpu / SECONDS, "ctx": ctx / SECONDS, "estimates": [],
           "tracer": 0.0, "attach": 0.0, "maps": 0}
    if watch:
        w, t, lines, run["attach"], run["maps"] = watch
        w.send_signal(signal.SIGINT)
        _, _, usage = os.wait4(w.pid, 0)  # its own CPU, start-up included
        w.returncode = 0
        t.join(10)
        run["estimates"] = [float(m[1]) for m in map(ESTIMATE_RE.search, lines) if m]
        run["tracer"] = usage.ru_utime + usage.ru_stime
    return run


def main():
    runs = {"untraced": [], "watch": []}
    with tempfile.TemporaryDirectory(prefix="gomapleak-bench-node-") as folder:
        path = os.path.join(folder, "mapbench")
        shutil.copy(BINARY, path)
        for r in range(REPEATS):
            for kind in runs:
                runs[kind].append(run_once(path, folder, kind == "watch"))
                print("run %d %-8s %12.0f rounds/s" % (r + 1, kind, runs[kind][-1]["rate"]),
                      flush=True)
    base = statistics.median(x["rate"] for x in runs["untraced"])
    print("\n%d processes of %s -mode mix, %gs a run, median of %d; watch --budget %s" % (
        N, os.path.basename(os.path.dirname(os.path.dirname(BINARY))), SECONDS, REPEATS,
        BUDGET))
    print("%-9s %14s %9s %10s %9s %12s" % ("", "rounds/s (sum)", "of untr.", "CPU (cores)",
                                           "ctxsw/s", "gomapleak s"))
    for kind, rs in runs.items():
        rate = statistics.median(x["rate"] for x in rs)
        print("%-9s %14.0f %8.2f%% %10.2f %9.0f %12.2f" % (
            kind, rate, 100 * rate / base, statistics.median(x["cpu"] for x in rs),
            statistics.median(x["ctx"] for x in rs), statistics.median(x["tracer"] for x in rs)))
    print("gomapleak s: its own CPU seconds a run, attaching to the %d processes included" % N)
    print("attached to all %d in %.2f s (median); its BPF maps then: %.1f MiB" % (
        N, statistics.median(x["attach"] for x in runs["watch"]),
        statistics.median(x["maps"] for x in runs["watch"]) / 2**20))
    est = [e for x in runs["watch"] for e in x["estimates"]]
    if est:
        print("each process's estimated burst cost, %% of its CPU (%d summaries): median %.2f%%,"
              " max %.2f%%" % (len(est), statistics.median(est), max(est)))


if __name__ == "__main__":
    main()
