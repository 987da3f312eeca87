#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A long run of gomapleak watch --prometheus against two busy Go programs, scraped
every second, printing the tracers' RSS and CPU every interval as a table.

Usage: soak.py GOMAPLEAK CLASSIC_LEAKS SWISS_MAPBENCH MINUTES EVERY_SECONDS

One watch follows tests/targets/leaks (classic maps: five leaks that never
stop growing, four controls), one follows mapbench's growing-requests mix
(Swiss maps, a CPU's worth of map operations). Ends both after MINUTES, by
PID, and exits 1 if a tracer died, did not exit 0, a scrape failed, or its
RSS grew by more than 20% over the second half of the run.
"""
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

from procfs import rss_bytes
import procfs


def cpu_seconds(pid):
    return sum(procfs.cpu_seconds(pid))


class Scraper(threading.Thread):
    """GETs each URL every second; counts scrapes, failures and the series seen last."""

    def __init__(self, urls):
        super().__init__(daemon=True)
        self.urls, self.stopped = urls, threading.Event()
        self.scrapes = self.failures = 0
        self.series = {u: 0 for u in urls}

    def run(self):
        while not self.stopped.wait(1.0):
            for u in self.urls:
                try:
                    with urllib.request.urlopen(u, timeout=5) as r:
                        body = r.read().decode()
                    self.series[u] = sum(1 for l in body.splitlines()
                                         if l and not l.startswith("#"))
                    self.scrapes += 1
                except OSError:
                    self.failures += 1


def start(argv, **kw):
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def wait_line(p, prefix, stream="stdout", timeout=60):
    end = time.monotonic() + timeout
    f = getattr(p, stream)
    while time.monotonic() < end:
        line = f.readline()
        if not line:
            break
        if line.startswith(prefix):
            return line
    raise SystemExit("soak: %s never printed %r" % (p.args[0], prefix))


def drain(f):
    threading.Thread(target=lambda: [None for _ in f], daemon=True).start()


def main():
    gomapleak, leaks, mapbench, minutes, every = sys.argv[1:6]
    seconds, every = float(minutes) * 60, float(every)
    procs = []
    try:
        targets = [start([leaks]),
                   start([mapbench, "-wait", "-mode", "mix", "-reqsize", "16",
                          "-d", "%ds" % (seconds + 120)])]
        procs += targets
        for t in targets:
            wait_line(t, "ready")
        tracers, urls = [], []
        for t, port in zip(targets, (19464, 19465)):
            w = start([gomapleak, "watch", "-p", str(t.pid), "--prometheus", str(port)])
            procs.append(w)
            wait_line(w, "gomapleak: attached to", "stderr")
            drain(w.stdout)
            drain(w.stderr)
            tracers.append(w)
            urls.append("http://127.0.0.1:%d/metrics" % port)
        targets[1].stdin.write("go\n")
        targets[1].stdin.flush()
        for t in targets:
            drain(t.stdout)
        scraper = Scraper(urls)
        scraper.start()
        print("%6s  %-28s  %-28s  %s" % ("minute", "watch leaks (classic): RSS CPU",
                                          "watch mapbench (Swiss): RSS CPU", "scrapes failed series"))
        began = time.monotonic()
        last_cpu = [cpu_seconds(w.pid) for w in tracers]
        last_t = began
        rss = [[] for _ in tracers]
        while time.monotonic() - began < seconds:
            time.sleep(every)
            now = time.monotonic()
            row = []
            for i, w in enumerate(tracers):
                if w.poll() is not None:
                    raise SystemExit("soak: a tracer exited early with %d" % w.returncode)
                cpu = cpu_seconds(w.pid)
                rss[i].append(rss_bytes(w.pid))
                row.append("%8.1f MiB %6.2f%%" % (rss[i][-1] / 2**20,
                                                  100 * (cpu - last_cpu[i]) / (now - last_t)))
                last_cpu[i] = cpu
            last_t = now
            print("%6.1f  %-28s  %-28s  %7d %6d %s" % (
                (now - began) / 60, row[0], row[1], scraper.scrapes, scraper.failures,
                "/".join(str(scraper.series[u]) for u in urls)), flush=True)
        scraper.stopped.set()
        status = 0
        for w in tracers:
            w.send_signal(signal.SIGINT)
            rc = w.wait(30)
            if rc != 0:
                print("soak: watch %d exited %d" % (w.pid, rc))
                status = 1
        for name, series in zip(("leaks", "mapbench"), rss):
            half = series[len(series) // 2]
            growth = (series[-1] - half) / half
            print("soak: watch %s RSS %.1f MiB at half time, %.1f MiB at the end (%+.1f%%)" % (
                name, half / 2**20, series[-1] / 2**20, 100 * growth))
            if growth > 0.20:
                status = 1
        if scraper.failures:
            status = 1
        print("soak: %d scrapes, %d failed; %s" % (scraper.scrapes, scraper.failures,
                                                   "ok" if status == 0 else "FAILED"))
        return status
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


if __name__ == "__main__":
    sys.exit(main())
