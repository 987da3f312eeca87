#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Exporters end to end, checked by the real tools: a live /metrics scrape
passes promtool, a real Prometheus server scrapes it and answers a query for
the leaking site, go tool pprof (of the variant's own toolchain) reads the
growth profile, the folded stacks add up, and scrapes hammering the server
under load cost no events.
Usage: test_exporters.py VARIANT
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error

import gml
from prom import free_port, parse_exposition, query_prometheus, scrape, series, start_prometheus

VARIANT = sys.argv[1]
del sys.argv[1]

FAST = ["-i", "0.25", "--window", "2", "--min-growth", "500"]
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
URL_RE = re.compile(r"^gomapleak: metrics at (http://\S+/metrics)$")
# The runtime functions a growth profile's leaf frames may be.
GROWTH_FUNCS = {"runtime.hashGrow", "internal/runtime/maps.(*Map).growToTable",
                "internal/runtime/maps.(*table).grow", "internal/runtime/maps.(*table).split",
                "internal/runtime/maps.(*table).rehash", "internal/runtime/maps.(*Map).growToSmall"}


def line(marker):
    return gml.marker_line("leaks", marker)


def go_binary():
    minor = gml.variant(VARIANT)["minor"]
    return os.path.join(os.environ["GOMAPLEAK_CACHE"],
                        "go/1.%d/usr/lib/go-1.%d/bin/go" % (minor, minor))


def go_env(tmp):
    """go tool pprof's environment. Newer toolchains build their tools on first use:
    Go's build cache is the one shared with the targets, so they are built once. The go
    command's work folder goes in tmp (GOTMPDIR): from Go 1.25 go tool runs pprof as its
    child, and a pprof -http ended by SIGKILL takes the go command with it before it can
    remove its go-build folder, which the leftovers check finds in /tmp."""
    return dict(os.environ, HOME=tmp, PPROF_TMPDIR=tmp, GOTMPDIR=tmp, GOTOOLCHAIN="local",
                GOCACHE=os.path.join(os.environ["GOMAPLEAK_CACHE"], "gocache"))


def pprof(profile, *args):
    env = go_env(os.path.dirname(profile))
    r = subprocess.run([go_binary(), "tool", "pprof", *args, profile], capture_output=True,
                       text=True, timeout=300, env=env)
    if r.returncode:
        raise AssertionError("go tool pprof %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


def parse_folded(path):
    """[(frames, value)] of a folded stacks file; fails on a malformed line."""
    out = []
    with open(path) as f:
        for l in f:
            m = re.fullmatch(r"(\S.*) (\d+)\n", l)
            if not m:
                raise AssertionError("bad folded line %r" % l)
            frames = m.group(1).split(";")
            if not all(frames):
                raise AssertionError("empty frame in %r" % l)
            out.append((frames, int(m.group(2))))
    return out


class Exporters(gml.TargetTestCase):
    def setUp(self):
        super().setUp()
        self.path = gml.target_path(VARIANT, "stripped-pie", "leaks")
        self.tmp = tempfile.TemporaryDirectory(prefix="gomapleak-exporters-")
        self.addCleanup(self.tmp.cleanup)

    def run_gomapleak(self, *argv):
        p = gml.Process([gml.GOMAPLEAK, "run", *argv], stdin=False)
        self.procs.append(p)
        attached = p.err.wait_for(lambda l: l.startswith("gomapleak: attached to"))
        self.addCleanup(gml.end_pid, int(attached.split()[3]))
        url = URL_RE.match(p.err.wait_for(lambda l: URL_RE.match(l) is not None)).group(1)
        return p, url

    def wait_for_alerts(self, w, wanted, timeout=60.0):
        """{(kind, fill line): alert} once each wanted pair reached one of its states."""
        found = {}

        def progress(l):
            if l.startswith("{"):
                a = json.loads(l)
                key = (a.get("kind"), (a.get("filled") or {}).get("line"))
                if a["event"] == "alert" and a["state"] in wanted.get(key, ()):
                    found[key] = a
            return len(found) == len(wanted)

        w.out.wait_for(progress, timeout)
        return found

    def check_scrape(self, url, alerts):
        status, ctype, text = scrape(url)
        self.assertEqual(status, 200)
        self.assertEqual(ctype, CONTENT_TYPE)
        lint = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                              text=True, timeout=60)
        self.assertEqual((lint.returncode, lint.stdout, lint.stderr), (0, "", ""))
        samples, types, helps = parse_exposition(text)
        keys = [(n, tuple(sorted(l.items()))) for n, l, _ in samples]
        self.assertEqual(len(keys), len(set(keys)), "duplicate series")
        with open(os.path.join(gml.SOURCE, "docs/metrics.md")) as f:
            documented = set(re.findall(r"`(gomapleak_[a-z_]+)", f.read()))
        for name, _, _ in samples:
            self.assertIn(name, documented)
            self.assertIn(name, types)
            self.assertIn(name, helps)
            self.assertTrue(name.startswith("gomapleak_"), name)
            self.assertEqual(name.endswith("_total"), types[name] == "counter", name)
        cache = alerts[("nested", line("fill-cache"))]
        self.assertGreater(sum(series(samples, "gomapleak_map_grows_total",
                                      site="main.runCache.func1 main.go:%d" % line("fill-cache"),
                                      map_type="map[int]string")), 0)
        self.assertEqual(series(samples, "gomapleak_inner_maps",
                                site="main.runCache main.go:%d" % line("outer-cache"),
                                map_type="map[string]map[int]string"), [32])
        self.assertGreaterEqual(sum(series(samples, "gomapleak_alerts_total", kind="nested",
                                           state="LEAK")), 1)
        self.assertEqual(series(samples, "gomapleak_events_lost_total"), [0])
        # Hostile names: the labels, unescaped, are the alert's own type and function.
        tagged = alerts[("growth", line("fill-tagged"))]
        site = "%s main.go:%d" % (tagged["filled"]["func"], line("fill-tagged"))
        self.assertIn('"', tagged["type"])
        self.assertGreater(sum(series(samples, "gomapleak_map_grows_total", site=site,
                                      map_type=tagged["type"])), 0, text)
        # Keys are never exported.
        for key in cache["keys"]:
            self.assertNotIn(key.strip('"'), text)
        return samples

    def check_profiles(self, pprof_path, folded_path, scraped_grows):
        top = pprof(pprof_path, "-top", "-nodefraction=0")
        self.assertIn("Type: grows", top)
        self.assertRegex(top, r"\n.* main\.runCache\.func1\n")
        total = int(re.search(r"of (\d+) total", top).group(1))
        self.assertIn("main.runCache.func1", pprof(pprof_path, "-sample_index=bytes", "-top"))
        # What the tracked maps hold now, where they last grew: the cache, inner maps included.
        live = pprof(pprof_path, "-sample_index=live_bytes", "-top")
        self.assertIn("Type: live_bytes", live)
        self.assertIn("main.runCache", live)
        stacks = parse_folded(folded_path)
        self.assertEqual(sum(v for _, v in stacks), total)
        for frames, _ in stacks:
            self.assertIn(frames[-1], GROWTH_FUNCS, frames)
        cache = sum(v for f, v in stacks if "main.runCache.func1" in f)
        self.assertGreaterEqual(cache, scraped_grows)

    def check_pprof_http(self, pprof_path):
        port = free_port()
        env = go_env(self.tmp.name)
        # go tool runs the pprof binary as its child: a session of their own lets the
        # test end both, by process group, not only the go command.
        p = subprocess.Popen([go_binary(), "tool", "pprof", "-no_browser",
                              "-http=127.0.0.1:%d" % port, pprof_path],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                             start_new_session=True)
        try:
            end = time.monotonic() + 60
            while True:
                try:
                    _, _, page = scrape("http://127.0.0.1:%d/ui/top" % port)
                    break
                except (urllib.error.URLError, ConnectionError):
                    self.assertLess(time.monotonic(), end, "pprof -http never served")
                    time.sleep(0.3)
            self.assertIn("main.runCache.func1", page)
        finally:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)

    def test_metrics_prometheus_and_profiles_of_a_leaking_target(self):
        prof = os.path.join(self.tmp.name, "growth.pb.gz")
        folded = os.path.join(self.tmp.name, "growth.folded")
        w, url = self.run_gomapleak("--json", "--prometheus", "0", "--pprof", prof, "--folded",
                                    folded, *FAST, "--", self.path, "-modes",
                                    "cache,tagged,stable")
        self.assertRegex(url, r"^http://127\.0\.0\.1:\d+/metrics$")
        server, prometheus = start_prometheus(self.tmp.name, url)
        self.procs.append(server)
        alerts = self.wait_for_alerts(w, {("nested", line("fill-cache")): ("LEAK",),
                                          ("growth", line("fill-tagged")): ("SUSPECT", "LEAK")})
        time.sleep(0.5)  # a tick after the LEAK: its count is in the text
        samples = self.check_scrape(url, alerts)
        scraped = sum(series(samples, "gomapleak_map_grows_total",
                             site="main.runCache.func1 main.go:%d" % line("fill-cache")))
        for path, method, code in (("/other", "GET", 404), ("/metrics", "POST", 405)):
            with self.assertRaises(urllib.error.HTTPError) as e:
                scrape(url.replace("/metrics", path), method)
            self.assertEqual(e.exception.code, code)

        result = query_prometheus(prometheus, 'gomapleak_map_grows_total{site="%s"}' % (
            "main.runCache.func1 main.go:%d" % line("fill-cache")))
        self.assertEqual(result[0]["metric"]["job"], "gomapleak")
        self.assertEqual(result[0]["metric"]["map_type"], "map[int]string")
        self.assertGreater(float(result[0]["value"][1]), 0)

        # SIGUSR1 writes the profiles and tracing goes on.
        before = os.stat(prof).st_mtime_ns
        w.signal(signal.SIGUSR1)
        end = time.monotonic() + 10
        while os.stat(prof).st_mtime_ns == before:
            self.assertLess(time.monotonic(), end, "SIGUSR1 wrote no profile")
            time.sleep(0.1)
        time.sleep(0.3)
        self.assertIn("main.runCache.func1", pprof(prof, "-top"))
        status, _, _ = scrape(url)
        self.assertEqual(status, 200)

        w.signal(signal.SIGINT)
        self.assertEqual(w.wait(), 0)
        summary = [json.loads(l) for l in w.out.rest() if l.startswith('{"event":"summary"')]
        self.assertEqual(summary[0]["events_lost"], 0)
        self.check_profiles(prof, folded, scraped)
        self.check_pprof_http(prof)

    def test_concurrent_scrapes_under_load_lose_no_events(self):
        w, url = self.run_gomapleak("--json", "--prometheus", "0", "-i", "0.25", "--", self.path,
                                    "-modes", "fanout,rebuilt,churn", "-rate", "20000")
        done, results, lock = time.monotonic() + 6, [], threading.Lock()

        def scraper():
            while time.monotonic() < done:
                try:
                    status, _, text = scrape(url)
                    ok = status == 200 and text.endswith("\n") and "gomapleak_events_total" in text
                except (urllib.error.URLError, ConnectionError) as e:
                    ok = repr(e)
                with lock:
                    results.append(ok)

        threads = [threading.Thread(target=scraper) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        w.signal(signal.SIGINT)
        self.assertEqual(w.wait(), 0)
        summary = [json.loads(l) for l in w.out.rest() if l.startswith('{"event":"summary"')]
        self.assertEqual([r for r in results if r is not True], [])
        self.assertGreater(len(results), 50)
        self.assertGreater(summary[0]["events"], 5000)
        self.assertEqual(summary[0]["events_lost"], 0)

    def test_exact_counts_operations_by_site_and_never_backwards(self):
        w, url = self.run_gomapleak("--exact", "--prometheus", "0", "-i", "0.25", "--", self.path,
                                    "-modes", "churn")
        site = "main.runChurn.func1 main.go:%d"
        counts = []
        for _ in range(2):
            time.sleep(1.5)
            samples, _, _ = parse_exposition(scrape(url)[2])
            counts.append({
                "inserts": sum(series(samples, "gomapleak_map_inserts_total",
                                      site=site % line("churn-insert"))),
                "deletes": sum(series(samples, "gomapleak_map_deletes_total",
                                      site=site % line("churn-delete"))),
                "overflow": sum(series(samples, "gomapleak_overflow_buckets_total",
                                       site=site % line("churn-insert"))),
                "lost": series(samples, "gomapleak_map_operations_lost_total")})
        first, second = counts
        self.assertGreater(first["inserts"], 1000, first)
        self.assertGreater(first["deletes"], 1000, first)
        for k in ("inserts", "deletes", "overflow"):
            self.assertGreaterEqual(second[k], first[k], k)
        self.assertGreater(second["inserts"], first["inserts"])
        if gml.variant(VARIANT)["impl"] == "classic":
            self.assertGreater(second["overflow"], 0, second)
        else:
            self.assertEqual(second["overflow"], 0)  # Swiss tables have no overflow buckets
        self.assertEqual(second["lost"], [0])
        w.signal(signal.SIGINT)
        self.assertEqual(w.wait(), 0)

    def test_bad_exporter_options(self):
        for args, message in (
                (["--prometheus", "localhost:80"], "invalid --prometheus"),
                (["--prometheus", "99999"], "invalid --prometheus"),
                (["--pprof", "x", "--folded", "x"], "two different files")):
            r = gml.run([gml.GOMAPLEAK, "watch", "-p", "1", *args])
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(message, r.stderr)
        r = gml.run([gml.GOMAPLEAK, "run", "--pprof", "/nonexistent/dir/p.pb.gz", "--",
                     self.path, "-modes", "stable"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot write /nonexistent/dir/p.pb.gz", r.stderr)
        # The port is taken: a clear error, not a silent exporter-less watch.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            r = gml.run([gml.GOMAPLEAK, "run", "--prometheus", str(s.getsockname()[1]), "--",
                         self.path, "-modes", "stable"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("Address already in use", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
