#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Throughput of a map-heavy Go program untraced, under gomapleak watch (the
default budget of 1%, and --budget 5), under watch with every exporter on and
/metrics scraped 10 times a second, under watch --exact, and under bpftrace
probing the same runtime functions at their entry, side by side in one run.
Usage: bench.py GOMAPLEAK BENCH_BINARY [SECONDS] [REPEATS] [SHAPE]

SHAPE: mix (each request's map has 4 entries and never grows), grow (16
entries: it grows past 8, as real requests' maps do, ~40,000 a second) or
make (nothing but such maps, each escaping to the heap: makemap_small on
every round, what creation probes cost).
Each configuration runs REPEATS times, interleaved, so drift on a shared
machine touches all of them; the median is reported, with the target's own
CPU (user and kernel) and context switches from its rusage, which are
steadier than throughput, and for watch what the governor estimated its
bursts cost against what the target's CPU a unit of work says they cost.
The target waits, idle, until the tracer is attached: its CPU and context
switches are counted from then (its runtime's monitor thread sleeps ~100
times a second while idle, which would charge the tracer's attach time).
Untraced, it waits as long (UNTRACED_IDLE): a Go program's first half second
after an idle wait has ~16 more context switches than one started at once
(its monitor thread leaves its idle sleep), ~5% of a 3 s run here.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from bench_target import BUDGET_RE, BUDGETS, SHAPE_ARGS as SHAPES, usage_so_far, wait_line

GOMAPLEAK, BINARY = sys.argv[1], sys.argv[2]
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 3
REPEATS = int(sys.argv[4]) if len(sys.argv) > 4 else 3
SHAPE = sys.argv[5] if len(sys.argv) > 5 else "mix"
SHAPE_ARGS = SHAPES[SHAPE]
UNTRACED_IDLE = 1.0  # seconds: about what watch's attach takes here
GROUPS = ("create", "growth", "overflow", "insert", "delete", "clear")


def bpftrace_program():
    """Entry probes (bpftrace's own placement) on every function watch --exact probes."""
    plan = json.loads(subprocess.run([GOMAPLEAK, "inspect", "--json", BINARY], check=True,
                                     capture_output=True, text=True).stdout)
    funcs = [p["function"] for p in plan["probes"] if p["status"] == "ok" and p["group"] in GROUPS]
    probes = ", ".join('uprobe:%s:"%s"' % (BINARY, f) for f in funcs)
    return probes + " { @hits[probe] = count(); }", len(funcs)


# Scrapes a second: Prometheus scrapes every 15 s or so; this is 150 times that.
SCRAPE_RATE = 10


class Scraper:
    """Fetches a /metrics URL SCRAPE_RATE times a second on a thread, until the end or until
    gomapleak exits (it does when the benchmark does)."""

    def __init__(self, url):
        self.url, self.count, self.stop = url, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.wait(1 / SCRAPE_RATE):
            try:
                with urllib.request.urlopen(self.url, timeout=10) as r:
                    r.read()
            except OSError:
                return
            self.count += 1

    def end(self):
        self.stop.set()
        self.thread.join(30)
        return self.count


def exporter_args(tmp):
    return ["--prometheus", "0", "--pprof", os.path.join(tmp, "growth.pb.gz"), "--folded",
            os.path.join(tmp, "growth.folded")]


def start_tracer(kind, pid, program, tmp):
    """Starts the tracer for pid; returns (process, scraper) once its probes are attached."""
    if kind == "untraced":
        time.sleep(UNTRACED_IDLE)
        return None, None
    if kind == "bpftrace":
        argv, ready, stream = ["bpftrace", "-p", str(pid), "-e", program], "Attaching", "stdout"
    else:
        argv = [GOMAPLEAK, "watch", "-p", str(pid)] + (["--exact"] if kind == "exact" else [])
        if kind in BUDGETS:
            argv += ["--budget", str(BUDGETS[kind])]
        if kind == "exporters":
            argv += exporter_args(tmp)
        ready, stream = "gomapleak: attached", "stderr"
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_line(getattr(p, stream), lambda l: ready in l, "attach line from " + argv[0])
    if kind == "bpftrace":
        time.sleep(1)  # bpftrace prints before its last probe is live
    if kind != "exporters":
        return p, None
    url = wait_line(p.stderr, lambda l: "metrics at" in l, "metrics URL").split()[-1]
    return p, Scraper(url)


def stop_tracer(p, scraper):
    """Stops the tracer; returns what it printed on stderr."""
    if scraper:
        scraper.end()
    if p is None:
        return ""
    p.send_signal(2)
    try:
        return p.communicate(timeout=30)[1] or ""
    except subprocess.TimeoutExpired:
        p.kill()
        return p.communicate()[1] or ""


def run_once(kind, program, tmp, scrapes):
    """One run of the workload under one configuration: a dict of what was measured."""
    bench = subprocess.Popen([BINARY, "-mode", "mix", "-wait", "-d", "%gs" % SECONDS,
                              *SHAPE_ARGS], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    tracer = scraper = None
    err = ""
    try:
        wait_line(bench.stdout, lambda l: l.startswith("ready"), "ready from the benchmark")
        tracer, scraper = start_tracer(kind, bench.pid, program, tmp)
        # The target waited for the tracer idle: only what follows is its run.
        before = usage_so_far(bench.pid)
        bench.stdin.write("go\n")
        bench.stdin.flush()
        line = wait_line(bench.stdout, lambda l: l.startswith("ops "), "result")
        # Its rusage: every thread's CPU and context switches, from "go" to its exit.
        _, _, usage = os.wait4(bench.pid, 0)
        bench.returncode = 0
        if scraper:
            scrapes.append(scraper.end())
        ops = float(line.split()[1])
        run = {"rate": float(line.split()[3]), "user": usage.ru_utime - before["user"],
               "sys": usage.ru_stime - before["sys"],
               "ctx": usage.ru_nvcsw + usage.ru_nivcsw - before["ctx"]}
        run["cpu_per_op"] = (usage.ru_utime + usage.ru_stime) / ops
        return run
    finally:
        err = stop_tracer(tracer, scraper)
        m = BUDGET_RE.search(err)
        if m and "run" in locals():
            run["estimated"] = float(m.group(2))
        if bench.poll() is None:
            bench.kill()
            bench.wait()


def median(runs, key):
    values = [r[key] for r in runs if key in r]
    return statistics.median(values) if values else float("nan")


def main():
    program, nfuncs = bpftrace_program()
    kinds = ["untraced", "watch", "watch5", "exporters", "exact", "bpftrace"]
    runs = {k: [] for k in kinds}
    scrapes = []
    with tempfile.TemporaryDirectory(prefix="gomapleak-bench-") as tmp:
        for r in range(REPEATS):
            for k in kinds:
                runs[k].append(run_once(k, program, tmp, scrapes))
                print("run %d %-9s %12.0f ops/s" % (r + 1, k, runs[k][-1]["rate"]), flush=True)
    base = median(runs["untraced"], "rate")
    base_cpu = median(runs["untraced"], "cpu_per_op")
    print("\nworkload: %s -mode mix %s(%s), %gs a run, median of %d; %d runtime functions "
          "probed" % (os.path.relpath(BINARY, os.environ.get("GOMAPLEAK_CACHE", "/")),
                      " ".join(SHAPE_ARGS) + " " if SHAPE_ARGS else "", SHAPE, SECONDS, REPEATS,
                      nfuncs))
    print("%-9s %12s %10s %8s %10s %9s %9s %9s" % (
        "", "ops/s", "of untr.", "cost", "cpu/op", "sys ms/s", "ctxsw/s", "estim."))
    cost = {}
    for k in kinds:
        med = median(runs[k], "rate")
        cost[k] = base / med - 1  # extra time a unit of work takes, relative to untraced
        estimated = median(runs[k], "estimated")
        print("%-9s %12.0f %9.2f%% %+7.1f%% %+9.1f%% %9.1f %9.0f %9s" % (
            k, med, 100 * med / base, 100 * cost[k],
            100 * (median(runs[k], "cpu_per_op") / base_cpu - 1),
            1000 * median(runs[k], "sys") / SECONDS, median(runs[k], "ctx") / SECONDS,
            "%.2f%%" % estimated if estimated == estimated else "-"))
    print("cost: extra time a unit of work takes (throughput); cpu/op: the target's own CPU a "
          "unit of work, against untraced;\nestim.: what the governor estimated its bursts "
          "cost, as a share of the target's CPU (--budget: watch 1%, watch5 5%)")
    print("exporters: watch %s, /metrics scraped %d times a second: %d scrapes a run (median)"
          % (" ".join(exporter_args("DIR")), SCRAPE_RATE, statistics.median(scrapes)))
    if cost["exact"] > 0:
        print("bpftrace entry probes cost %.1fx what watch --exact costs"
              % (cost["bpftrace"] / cost["exact"]))


if __name__ == "__main__":
    main()
