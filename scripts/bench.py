#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Throughput of a map-heavy Go program untraced, under gomapleak watch, under
watch --exact, and under bpftrace probing the same runtime functions at their
entry, side by side in one run. Usage: bench.py GOMAPLEAK BENCH_BINARY [SECONDS] [REPEATS]

Each configuration runs REPEATS times, interleaved, so drift on a shared
machine touches all of them; the median is reported.
"""
import json
import os
import statistics
import subprocess
import sys
import time

GOMAPLEAK, BINARY = sys.argv[1], sys.argv[2]
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 3
REPEATS = int(sys.argv[4]) if len(sys.argv) > 4 else 3
GROUPS = ("create", "growth", "overflow", "insert", "delete", "clear")


def bpftrace_program():
    """Entry probes (bpftrace's own placement) on every function watch --exact probes."""
    plan = json.loads(subprocess.run([GOMAPLEAK, "inspect", "--json", BINARY], check=True,
                                     capture_output=True, text=True).stdout)
    funcs = [p["function"] for p in plan["probes"] if p["status"] == "ok" and p["group"] in GROUPS]
    probes = ", ".join('uprobe:%s:"%s"' % (BINARY, f) for f in funcs)
    return probes + " { @hits[probe] = count(); }", len(funcs)


def wait_line(stream, pred, what):
    for line in stream:
        if pred(line):
            return line
    raise RuntimeError("no %s" % what)


def start_tracer(kind, pid, program):
    """Starts the tracer for pid; returns it once its probes are attached (or None)."""
    if kind == "untraced":
        return None
    if kind == "bpftrace":
        argv, ready, stream = ["bpftrace", "-p", str(pid), "-e", program], "Attaching", "stdout"
    else:
        argv = [GOMAPLEAK, "watch", "-p", str(pid)] + (["--exact"] if kind == "exact" else [])
        ready, stream = "gomapleak: attached", "stderr"
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_line(getattr(p, stream), lambda l: ready in l, "attach line from " + argv[0])
    if kind == "bpftrace":
        time.sleep(1)  # bpftrace prints before its last probe is live
    return p


def stop_tracer(p):
    if p is None:
        return
    p.send_signal(2)
    try:
        p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()


def run_once(kind, program):
    """One run of the workload under one configuration: operations a second."""
    bench = subprocess.Popen([BINARY, "-mode", "mix", "-wait", "-d", "%gs" % SECONDS],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    tracer = None
    try:
        wait_line(bench.stdout, lambda l: l.startswith("ready"), "ready from the benchmark")
        tracer = start_tracer(kind, bench.pid, program)
        bench.stdin.write("go\n")
        bench.stdin.flush()
        line = wait_line(bench.stdout, lambda l: l.startswith("ops "), "result")
        bench.wait(30)
        return float(line.split()[3])
    finally:
        stop_tracer(tracer)
        if bench.poll() is None:
            bench.kill()
            bench.wait()


def main():
    program, nfuncs = bpftrace_program()
    kinds = ["untraced", "watch", "exact", "bpftrace"]
    runs = {k: [] for k in kinds}
    for r in range(REPEATS):
        for k in kinds:
            runs[k].append(run_once(k, program))
            print("run %d %-9s %12.0f ops/s" % (r + 1, k, runs[k][-1]), flush=True)
    base = statistics.median(runs["untraced"])
    print("\nworkload: %s -mode mix, %gs a run, median of %d; %d runtime functions probed"
          % (os.path.relpath(BINARY, os.environ.get("GOMAPLEAK_CACHE", "/")), SECONDS, REPEATS,
             nfuncs))
    cost = {}
    for k in kinds:
        med = statistics.median(runs[k])
        cost[k] = base / med - 1  # extra time a unit of work takes, relative to untraced
        print("%-9s %12.0f ops/s  throughput %6.2f%% of untraced  cost %+8.1f%%"
              % (k, med, 100 * med / base, 100 * cost[k]))
    if cost["exact"] > 0:
        print("bpftrace entry probes cost %.1fx what watch --exact costs"
              % (cost["bpftrace"] / cost["exact"]))


if __name__ == "__main__":
    main()
