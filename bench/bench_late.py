#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What watch sessions attached late cost a program already running, each against
the same process's spells untraced just before and after it.
Usage: bench_late.py GOMAPLEAK BENCH_BINARY [SESSION_SECONDS] [SESSIONS] [SHAPE]
       (BENCH_ATTACH=perf|perf-ip: on a perf-event attach path)

One mapbench process runs throughout (-every 100ms: it prints its rounds so far);
gomapleak watch sessions (the default budget of 1%, and --budget 5) attach to it
in turn, with an untraced spell between two sessions; "untraced" sessions, in
turn with them, start no tracer: what the method reads when nothing changes. A session's cost is the
extra time a unit of work took from its attach to its Ctrl-C, against the mean
rate of the untraced spells either side. SESSIONS of each budget, interleaved;
the median of their costs is reported, with the target's context switches and
kernel time a second (its /proc, every thread) in sessions and in spells.

Why not separate runs (bench/bench.py): on this 2-vCPU guest a process's rate
depends on which vCPU its busy thread lands on and on the host's load at the
time, which drifts over tens of seconds by up to 20%; separate runs 3-10 s long
differ by that much, the spells of one process 1 s apart by ~1%. This is also
how gomapleak is used: attached to a program that has run for a while.
"""
import bisect
import os
import statistics
import subprocess
import sys
import threading
import time

from bench_target import BUDGET_RE, BUDGETS, SHAPE_ARGS as SHAPES, usage_so_far, wait_line

GOMAPLEAK, BINARY = sys.argv[1], sys.argv[2]
SESSION = float(sys.argv[3]) if len(sys.argv) > 3 else 3
SESSIONS = int(sys.argv[4]) if len(sys.argv) > 4 else 16
SHAPE = sys.argv[5] if len(sys.argv) > 5 else "mix"
SHAPE_ARGS = SHAPES[SHAPE]
# BENCH_ATTACH=PATH: the sessions attach by that path (--attach), e.g. perf as on 5.15-6.5.
ATTACH = os.environ.get("BENCH_ATTACH")
KINDS = ("untraced", "watch", "watch5")
UNTRACED_ATTACH = 0.5  # seconds: about what watch takes to attach here, so that spells last as long
SPELL = 1.5  # seconds untraced between two sessions
SETTLE = 0.3  # seconds after a session's exit before its spell counts (the detach's wake)


class Target:
    """The running benchmark and its ticks (time of arrival, rounds so far)."""

    def __init__(self, seconds):
        self.proc = subprocess.Popen([BINARY, "-mode", "mix", "-d", "%ds" % seconds, "-every",
                                      "100ms", *SHAPE_ARGS], stdout=subprocess.PIPE, text=True)
        self.times, self.rounds = [], []
        threading.Thread(target=self.read_ticks, daemon=True).start()

    def read_ticks(self):
        for line in self.proc.stdout:
            if line.startswith("tick "):
                self.times.append(time.monotonic())
                self.rounds.append(int(line.split()[2]))

    def rate(self, start, end):
        """Rounds a second between the first and the last tick within [start, end]."""
        i = bisect.bisect_left(self.times, start)
        j = bisect.bisect_right(self.times, end) - 1
        if j <= i:
            raise RuntimeError("no ticks from the benchmark between %.1f and %.1f" % (start, end))
        return (self.rounds[j] - self.rounds[i]) / (self.times[j] - self.times[i])

    def end(self):
        self.proc.kill()
        self.proc.wait()


class Window:
    """A spell or a session: its edges and the target's usage at them."""

    def __init__(self, target):
        self.target, self.start = target, time.monotonic()
        self.begin_usage = usage_so_far(target.proc.pid)

    def close(self):
        self.end, self.end_usage = time.monotonic(), usage_so_far(self.target.proc.pid)
        return self

    def rate(self):
        return self.target.rate(self.start, self.end)

    def per_second(self, key):
        return (self.end_usage[key] - self.begin_usage[key]) / (self.end - self.start)


def spell(target):
    time.sleep(SETTLE)
    w = Window(target)
    time.sleep(SPELL - SETTLE)
    return w.close()


def session(target, kind):
    """One session: (its window from the attach to Ctrl-C, the exit summary's estimate)."""
    if kind == "untraced":
        time.sleep(UNTRACED_ATTACH)
        w = Window(target)
        time.sleep(SESSION)
        return w.close(), float("nan")
    argv = [GOMAPLEAK, "watch", "-p", str(target.proc.pid), "--budget", str(BUDGETS[kind])]
    if ATTACH:
        argv.append("--attach=" + ATTACH)
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_line(p.stderr, lambda l: "gomapleak: attached" in l, "attach line from gomapleak")
    w = Window(target)
    time.sleep(SESSION)
    w.close()
    p.send_signal(2)
    err = p.communicate(timeout=30)[1]
    m = BUDGET_RE.search(err)
    return w, float(m.group(2)) if m else float("nan")


def main():
    kinds = list(KINDS)
    rounds = SESSIONS * len(kinds)
    target = Target(int(rounds * (SESSION + SPELL + 2) + 60))
    results = {k: [] for k in kinds}
    try:
        time.sleep(1)  # the program's start
        before = spell(target)
        for r in range(rounds):
            kind = kinds[r % len(kinds)]
            on, estimate = session(target, kind)
            after = spell(target)
            results[kind].append((before, on, after, estimate))
            before = after
    finally:
        target.end()
    print("workload: %s -mode mix %s(%s) running throughout; watch sessions of %gs attached "
          "to it, %d of each budget, interleaved, %gs untraced between two" % (
              os.path.relpath(BINARY, os.environ.get("GOMAPLEAK_CACHE", "/")),
              " ".join(SHAPE_ARGS) + " " if SHAPE_ARGS else "", SHAPE, SESSION, SESSIONS, SPELL))
    print("%-8s %7s %7s %7s %7s %9s %13s %15s" % (
        "", "cost", "q1", "q3", "estim.", "untr. ops/s", "ctxsw/s", "sys ms/s"))
    for kind in kinds:
        costs, ctx_on, ctx_off, sys_on, sys_off = [], [], [], [], []
        for before, on, after, _ in results[kind]:
            costs.append((before.rate() + after.rate()) / 2 / on.rate() - 1)
            ctx_on.append(on.per_second("ctx"))
            ctx_off.append((before.per_second("ctx") + after.per_second("ctx")) / 2)
            sys_on.append(on.per_second("sys"))
            sys_off.append((before.per_second("sys") + after.per_second("sys")) / 2)
        q1, _, q3 = statistics.quantiles(costs, n=4)
        estimate = "-"
        if kind in BUDGETS:
            estimate = "%.2f%%" % statistics.median(r[3] for r in results[kind])
        print("%-8s %+6.2f%% %+6.2f%% %+6.2f%% %7s %11.0f %6.0f (%4.0f) %7.1f (%5.1f)" % (
            kind, 100 * statistics.median(costs), 100 * q1, 100 * q3, estimate,
            statistics.median(r[0].rate() for r in results[kind]),
            statistics.median(ctx_on), statistics.median(ctx_off),
            1000 * statistics.median(sys_on), 1000 * statistics.median(sys_off)))
    print("cost: median over sessions of the extra time a unit of work took, against the "
          "untraced spells either side (q1, q3: its quartiles);\nestim.: what the governor "
          "estimated its bursts cost (--budget: watch 1%, watch5 5%); untraced: sessions with no tracer; ctxsw/s, sys ms/s: in "
          "sessions (in the spells)")


if __name__ == "__main__":
    main()
