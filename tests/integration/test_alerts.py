#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The detector end to end: tests/targets/leaks runs five real leaks and four
leak-free controls side by side; gomapleak must raise LEAK for each leak, with
its kind, map type and source lines, and never for a control.
Usage: test_alerts.py VARIANT
"""
import json
import re
import signal
import sys
import time
import unittest

import gml

VARIANT = sys.argv[1]
del sys.argv[1]

# Short windows so that a test takes seconds: 8 samples of 0.25 s a window.
FAST = ["-i", "0.25", "--window", "2", "--min-growth", "500"]
# Windows the controls get at least, once every leak has been found.
CONTROL_SECONDS = 12
EXIT_LEAK, EXIT_NO_TARGET, EXIT_UNSUPPORTED = 1, 3, 4


def line(marker):
    return gml.marker_line("leaks", marker)


# kind, map type, filling function, fill marker, the window (of the map's) LEAK must come by.
LEAKS = {
    "cache": ("nested", "map[string]map[int]string", "main.runCache.func1", "fill-cache", 4),
    "deep": ("nested", "map[string]map[string]map[string]interface {}", "main.runDeep.func1",
             "fill-deep", 4),
    "fanout": ("nested", "map[int]map[int]int", "main.runFanout.func1", "fill-fanout", 4),
    # The fill takes a window or two on a busy machine before deletes empty it.
    "bloat": ("bloat", "map[int64]int64", "main.runBloat", "fill-bloat", 6),
    "churn": ("churn", "map[int]int", "main.runChurn.func1", "churn-insert", 4),
}
# Where each leaking map is made (run attaches before the first: creation sites are known).
CREATED = {"cache": "main.runCache", "deep": "main.runDeep", "fanout": "main.runFanout",
           "bloat": "main.runBloat", "churn": "main.runChurn"}
CONTROLS = ("fill-lru", "fill-cleared", "fill-rebuilt", "fill-stable")


def expected_leaks():
    """Churn is a classic-map rule: Swiss tables have no overflow buckets."""
    v = gml.variant(VARIANT)
    return {k: e for k, e in LEAKS.items() if k != "churn" or v["impl"] == "classic"}


def leak_key(alert):
    filled = alert.get("filled") or {}
    return alert["kind"], alert["type"], filled.get("line")


class Alerts(gml.TargetTestCase):
    def setUp(self):
        super().setUp()
        self.path = gml.target_path(VARIANT, "stripped-pie", "leaks")

    def gomapleak(self, *argv):
        p = gml.Process([gml.GOMAPLEAK, *argv], stdin=False)
        self.procs.append(p)
        if argv[0] == "run":  # the program it started is ended too, by PID
            attached = p.err.wait_for(lambda l: l.startswith("gomapleak: attached to"))
            self.addCleanup(gml.end_pid, int(attached.split()[3]))
        return p

    def wait_for_leaks(self, w, wanted, timeout=60.0):
        gml.wait_for_leaks(w, wanted, leak_key, timeout)

    def assert_site(self, site, func, marker):
        self.assertIsNotNone(site, marker)
        self.assertEqual((site["func"], site["line"]), (func, line(marker)))
        self.assertTrue(site["file"].endswith("/tests/targets/leaks/main.go"), site)

    def test_every_leak_reaches_leak_and_no_control_does(self):
        leaks = expected_leaks()
        w = self.gomapleak("run", "--json", "--fail-on-leak", *FAST, "--", self.path)
        wanted = {(k, t, line(m)) for k, t, _, m, _ in leaks.values()}
        self.wait_for_leaks(w, wanted)
        time.sleep(CONTROL_SECONDS)
        w.signal(signal.SIGINT)
        self.assertEqual(w.wait(), EXIT_LEAK)
        out = gml.json_lines(w.out.rest())
        alerts = [o for o in out if o["event"] == "alert"]
        summary = [o for o in out if o["event"] == "summary"]
        self.assertEqual(len(summary), 1)
        self.assertEqual(summary[0]["reason"], "interrupted")
        self.assertEqual(summary[0]["events_lost"], 0)
        for name, (kind, typ, func, marker, by_window) in leaks.items():
            with self.subTest(leak=name):
                mine = [a for a in alerts if leak_key(a) == (kind, typ, line(marker))]
                leak = [a for a in mine if a["state"] == "LEAK"][0]
                self.assert_site(leak["filled"], func, marker)
                self.assertLessEqual(leak["window"], by_window, leak)
                self.assertEqual([a["state"] for a in mine[:2]], ["SUSPECT", "LEAK"], mine)
                self.assertGreater(leak["bytes"], 0)
                self.assert_site(leak["created"], CREATED[name], "make-" + name)
        # Nothing else is a leak: no control, no map of the runtime.
        expected = {(k, t, line(m)) for k, t, _, m, _ in leaks.values()}
        others = [a for a in alerts if a["state"] == "LEAK" and leak_key(a) not in expected]
        self.assertEqual(others, [])
        control_lines = {line(m) for m in CONTROLS}
        self.assertEqual([a for a in alerts if leak_key(a)[2] in control_lines
                          and a["state"] == "LEAK"], [])
        by_name = {n: [a for a in alerts if leak_key(a) == (e[0], e[1], line(e[3]))][-1]
                   for n, e in leaks.items()}
        self.assertEqual(by_name["cache"]["inner"]["maps"], 32)
        self.assertGreater(by_name["cache"]["inner"]["entries"], 4000)
        self.assertTrue(all(re.fullmatch(r'"user:\d+"', k) for k in by_name["cache"]["keys"]),
                        by_name["cache"]["keys"])
        self.assertEqual(by_name["deep"]["inner"]["maps"], 32)  # 16 tenants x 2 regions
        self.assertEqual(by_name["deep"]["entries"], 16)
        self.assertGreater(by_name["fanout"]["inner"]["maps"], 100)
        self.assertTrue(all(re.fullmatch(r"\d+", k) for k in by_name["fanout"]["keys"]))
        self.assertEqual(by_name["bloat"]["entries"], 1)
        self.assertEqual(by_name["bloat"]["keys"], ["-1"])
        self.assertGreaterEqual(by_name["bloat"]["peak"], 1000000 // 8)
        self.assertGreater(by_name["bloat"]["bytes"], 16 << 20)
        if gml.variant(VARIANT)["impl"] == "swiss":
            self.assertEqual([a for a in alerts if a["kind"] == "churn"], [])
        else:
            self.assertGreater(by_name["churn"]["same_size_grows"], 0)

    def test_attached_after_the_leak_started(self):
        """Maps learned from their growth after the attach: an outer map that gains inner
        maps is followed; a stable outer map is not (it never grows again), so its inner
        maps, filled at one line, are one site group: one alert."""
        t = self.target("-modes", "fanout,cache,stable")
        time.sleep(3)
        w = self.gomapleak("watch", "-p", str(t.pid), "--json", "-i", "0.25", "--window", "2",
                           "--min-growth", "200")
        w.err.wait_for(lambda l: l.startswith("gomapleak: attached to"))
        fanout = ("nested", "map[int]map[int]int", line("fill-fanout"))
        inner = ("growth", "map[int]string", line("fill-cache"))
        self.wait_for_leaks(w, {fanout, inner})
        w.signal(signal.SIGINT)
        self.assertEqual(w.wait(), 0)
        alerts = [a for a in gml.json_lines(w.out.rest()) if a["event"] == "alert"]
        leak = [a for a in alerts if leak_key(a) == fanout and a["state"] == "LEAK"][0]
        self.assert_site(leak["filled"], "main.runFanout.func1", "fill-fanout")
        self.assertGreater(leak["inner"]["maps"], 300)  # made before the attach, found by walking
        self.assertIsNone(leak["created"])  # made before the attach
        self.assertEqual([a for a in alerts if (a.get("filled") or {}).get("line")
                          == line("fill-stable")], [])
        cache = [a for a in alerts if leak_key(a) == inner]
        self.assertEqual([a["state"] for a in cache], ["SUSPECT", "LEAK"], cache)
        self.assertGreater(cache[1]["group"]["maps"], 1)
        self.assertIsNone(cache[1]["group"]["outer"])

    def check_big_keys_and_moving_stacks(self, w, late):
        """bigkeys leaks through an outer map whose keys, and the inner maps' elements, are
        stored indirectly; stackmaps (maps on stacks that move) stays quiet. Attached late,
        the outer map never grows again and is not found: its 16 inner maps, filled at one
        line, are one site group (as cache's in test_attached_after_the_leak_started)."""
        big_line = gml.marker_line("leaks", "fill-bigkeys", "bigkeys.go")
        if late:
            bigkeys = ("growth", "map[int][160]uint8", big_line)
        else:
            bigkeys = ("nested", "map[main.bigKey]map[int][160]uint8", big_line)
        self.wait_for_leaks(w, {bigkeys})
        time.sleep(4)  # two more windows for stackmaps to be wrong in
        w.signal(signal.SIGINT)
        self.assertEqual(w.wait(), 0)
        out = gml.json_lines(w.out.rest())
        alerts = [a for a in out if a["event"] == "alert"]
        leak = [a for a in alerts if leak_key(a) == bigkeys and a["state"] == "LEAK"][0]
        self.assertEqual((leak["filled"]["func"], leak["filled"]["line"]),
                         ("main.runBigKeys.func1", big_line))
        self.assertTrue(leak["filled"]["file"].endswith("/tests/targets/leaks/bigkeys.go"))
        if late:
            # The group is the maps seen growing so far: Swiss tables split every few
            # seconds each at this rate, so by LEAK some of the 16 may not have.
            self.assertGreater(leak["group"]["maps"], 1)
            self.assertLessEqual(leak["group"]["maps"], 16)
            self.assertIsNone(leak["group"]["outer"])
            # int keys beside elements stored indirectly: read from the right slots.
            self.assertTrue(leak["keys"] and all(re.fullmatch(r"\d+", k) for k in leak["keys"]),
                            leak["keys"])
        else:
            self.assertEqual(leak["inner"]["maps"], 16)  # found through the keys' pointers
            self.assertEqual(leak["entries"], 16)
            self.assertGreater(leak["inner"]["entries"], 2000)
            self.assertEqual(leak["keys"], [])  # a struct key is not sampled
        self.assertEqual([a for a in alerts if "stackmaps.go" in json.dumps(a)], [])
        (summary,) = [o for o in out if o["event"] == "summary"]
        self.assertEqual(summary["events_lost"], 0)

    def test_big_keys_and_maps_on_moving_stacks_from_the_start(self):
        w = self.gomapleak("run", "--json", *FAST, "--", self.path, "-modes", "bigkeys,stackmaps")
        self.check_big_keys_and_moving_stacks(w, late=False)

    def test_big_keys_and_maps_on_moving_stacks_attached_late(self):
        t = self.target("-modes", "bigkeys,stackmaps")
        time.sleep(2)
        w = self.gomapleak("watch", "-p", str(t.pid), "--json", *FAST)
        self.check_big_keys_and_moving_stacks(w, late=True)

    def test_exact_keeps_creation_probes(self):
        # Every insert and delete is probed here: a smaller bloat map keeps the fill and
        # the deletes to seconds on a loaded machine (the sanitized leg runs 4 at once).
        w = self.gomapleak("run", "--json", "--exact", *FAST, "--", self.path, "-modes",
                           "cache,bloat,deep", "-bloat", "200000")
        cache = ("nested", "map[string]map[int]string", line("fill-cache"))
        deep = ("nested", "map[string]map[string]map[string]interface {}", line("fill-deep"))
        bloat = ("bloat", "map[int64]int64", line("fill-bloat"))
        self.wait_for_leaks(w, {cache, bloat, deep})
        w.signal(signal.SIGINT)
        self.assertEqual(w.wait(), 0)
        alerts = [a for a in gml.json_lines(w.out.rest()) if a["event"] == "alert"]
        for key, func, marker in ((cache, "main.runCache", "make-cache"),
                                  (deep, "main.runDeep", "make-deep"),
                                  (bloat, "main.runBloat", "make-bloat")):
            leak = [a for a in alerts if leak_key(a) == key and a["state"] == "LEAK"][0]
            self.assert_site(leak["created"], func, marker)

    def test_text_alert_lines_and_summary(self):
        w = self.gomapleak("run", *FAST, "--duration", "9", "--", self.path, "-modes",
                           "fanout,stable")
        self.assertEqual(w.wait(30), 0)
        out, err = w.out.rest(), w.err.rest()
        leak = re.compile(r"^\d\d:\d\d:\d\d LEAK +nested map\[int\]map\[int\]int map=0x[0-9a-f]+ "
                          r"inner_maps=\d+ inner_entries=\d+ \(\+\d+/s\) inner_bytes=\S+ "
                          r"entries=\d+ created=main.runFanout main.go:%d "
                          r"filled=main.runFanout.func1 main.go:%d "
                          r"(inserts=\+\d+/s at main.runFanout.func1 main.go:%d )?"
                          r"keys=\d+(,\d+)*$"
                          % (line("make-fanout"), line("fill-fanout"), line("fill-fanout")))
        self.assertTrue(any(leak.match(l) for l in out), out)
        self.assertFalse(any("LEAK" in l and "main.go:%d" % line("fill-stable") in l
                             for l in out), out)
        summary = [l for l in err if l.startswith("gomapleak: detached after")]
        self.assertEqual(len(summary), 1, err)
        self.assertIn("(duration reached)", summary[0])
        self.assertRegex(summary[0], r"; [1-9]\d* LEAK alerts$")
        # Every map still alerting is listed after it, with where it was made and filled.
        listed = re.compile(r"^gomapleak:   LEAK +nested map\[int\]map\[int\]int map=0x[0-9a-f]+ "
                            r".* created=main.runFanout main.go:%d "
                            r"filled=main.runFanout.func1 main.go:%d"
                            r"( inserts=\+\d+/s at main.runFanout.func1 main.go:%d)?$"
                            % (line("make-fanout"), line("fill-fanout"), line("fill-fanout")))
        self.assertTrue(any(listed.match(l) for l in err), err)
        self.assertFalse(any("\033[" in l for l in out))  # no colour into a pipe

    def test_creation_probes_go_over_to_bursts_when_maps_are_made_fast(self):
        bench = gml.target_path(VARIANT, "cgo-ext-stripped", "mapbench")
        w = self.gomapleak("run", "-i", "0.5", "--duration", "3", "--", bench, "-mode", "mix",
                           "-d", "10s")
        self.assertEqual(w.wait(30), 0)
        err = w.err.rest()
        bursts = [l for l in err if l.startswith("gomapleak: creation probes in bursts from now")]
        self.assertEqual(len(bursts), 1, err)
        self.assertIn("more than 1000 maps made a second", bursts[0])
        # The summary says what the bursts cost against the budget. (Not how much: run
        # attaches the creation probes as its program starts, outside the budget, and this
        # one makes 30,000 maps a second: the first 2000 cost several percent of a 3 s run.)
        budget = self.budget_line(err)
        self.assertRegex(budget, r"cost ~[\d.]+s \([\d.]+%\) in \d+ bursts"
                                    r"(, \d+ ended by their hit allowance)?$")

    def test_top_prints_the_biggest_growers(self):
        w = self.gomapleak("run", "--top", *FAST, "--duration", "4", "--", self.path, "-modes",
                           "fanout,stable")
        self.assertEqual(w.wait(30), 0)
        out = w.out.rest()
        heads = [i for i, l in enumerate(out) if l.startswith("STATE ")]
        self.assertGreater(len(heads), 8)  # one table an interval (not a terminal: no redraw)
        last = out[heads[-1] + 1:]
        fanout = [l for l in last if "map[int]map[int]int" in l]
        self.assertEqual(len(fanout), 1, last)
        self.assertRegex(fanout[0], r"^(SUSPECT|LEAK) +nested +\d+ +\d+ +\S+ +map\[int\]map\[int\]int"
                         r" .*at=main.runFanout.func1 main.go:%d$" % line("fill-fanout"))
        # the growing map first, by rate
        self.assertIn("map[int]map[int]int", last[0])

    def test_no_keys_reads_no_keys(self):
        w = self.gomapleak("run", "--json", "--no-keys", *FAST, "--", self.path, "-modes",
                           "fanout")
        fanout = ("nested", "map[int]map[int]int", line("fill-fanout"))
        self.wait_for_leaks(w, {fanout})
        w.signal(signal.SIGTERM)
        self.assertEqual(w.wait(), 0)
        alerts = [a for a in gml.json_lines(w.out.rest()) if a["event"] == "alert"]
        self.assertTrue(alerts)
        self.assertTrue(all(a["keys"] == [] for a in alerts), alerts)

    def test_run_errors_are_one_line(self):
        r = gml.run([gml.GOMAPLEAK, "run", "--", "/nonexistent/server"])
        self.assertEqual(r.returncode, EXIT_NO_TARGET, r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        self.assertIn("cannot run /nonexistent/server", r.stderr)
        r = gml.run([gml.GOMAPLEAK, "run", "--", "/bin/sleep", "30"], timeout=20)
        self.assertEqual(r.returncode, EXIT_UNSUPPORTED, r.stderr)
        self.assertIn("not a Go binary", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
