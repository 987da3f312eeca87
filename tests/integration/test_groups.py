#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Site groups, attached late and from the start: tests/targets/lateleaks makes
its leaking maps before gomapleak attaches, and many maps filled at one line
leak together, each too slowly to reach --min-growth alone (a per-user cache
of 50 and of 1000 users, 40 tenant structs, a 3-level map). Each must reach
LEAK as exactly one alert naming its fill site, with the group's size and
total; the controls beside them (maps per request, requests in flight, an LRU,
a map emptied every 2 s, a large stable map, long-lived maps that stopped
growing) must raise nothing. The controls make ~7000 growth events a second:
with the default budget the growth probes go over to bursts, and the groups
are found by what the bursts see. Usage: test_groups.py VARIANT
"""
import re
import signal
import sys
import time
import unittest

import gml

VARIANT = sys.argv[1]
del sys.argv[1]

# 5 samples of 0.5 s a window; the default --min-growth (1000) and --confirm (3).
FAST = ["-i", "0.5", "--window", "2.5"]
# Windows the controls get at least, once every leak has been found.
CONTROL_SECONDS = 8

# map type, filling function, fill marker, maps, entries a second (all maps together)
GROUPS = {
    "users50": ("map[int]string", "main.runUsers50.func1", "fill-users50", 50, 3000),
    "users1000": ("map[int]string", "main.runUsers1000.func1", "fill-users1000", 1000, 4000),
    "tenants": ("map[string]int", "main.runTenants.func1", "fill-tenants", 40, 3000),
    "deep3": ("map[string]interface {}", "main.runDeep3.func1", "fill-deep3", 10, 3000),
}
CONTROLS = ("fill-perreq", "fill-inflight", "fill-lru", "fill-emptied", "fill-stable",
            "fill-stopped", "update-stopped")


def line(marker):
    return gml.marker_line("lateleaks", marker)


def key_of(alert):
    return alert["kind"], alert["type"], (alert.get("filled") or {}).get("line")


class Groups(gml.TargetTestCase):
    def setUp(self):
        super().setUp()
        self.path = gml.target_path(VARIANT, "stripped-pie", "lateleaks")

    def assert_controls_silent(self, alerts):
        control_lines = {line(m) for m in CONTROLS}
        noisy = [a for a in alerts if key_of(a)[2] in control_lines]
        self.assertEqual(noisy, [])

    def test_attached_late_with_growth_attached_each_group_is_one_leak(self):
        # --budget 0: no bursts, growth probes attached all along, whatever they cost.
        t = self.target()
        time.sleep(1)
        w = self.watch(t.pid, "--json", "--budget", "0", *FAST, command="watch")
        wanted = {("growth", typ, line(m)) for typ, _, m, _, _ in GROUPS.values()}
        gml.wait_for_leaks(w, wanted, key_of)
        time.sleep(CONTROL_SECONDS)
        w.signal(signal.SIGINT)
        self.assertEqual(w.wait(), 0)
        out = gml.json_lines(w.out.rest())
        alerts = [o for o in out if o["event"] == "alert"]
        samples = [o for o in out if o["event"] == "sample"]
        for name, (typ, func, marker, maps, rate) in GROUPS.items():
            with self.subTest(group=name):
                key = ("growth", typ, line(marker))
                mine = [a for a in alerts if key_of(a) == key]
                self.assertEqual([a["state"] for a in mine], ["SUSPECT", "LEAK"], mine)
                leak = mine[1]
                self.assertEqual(leak["filled"]["func"], func)
                self.assertTrue(leak["filled"]["file"].endswith("/lateleaks/main.go"))
                self.assertIsNone(leak["created"])  # made before the attach
                self.assertIsNone(leak["group"]["outer"])
                self.assertGreater(leak["group"]["maps"], 1)
                self.assertLessEqual(leak["window"], 6, leak)
                self.assertGreater(leak["bytes"], 0)
                self.assertTrue(leak["keys"], leak)
                self.assertEqual(len(leak["group"]["biggest"]), 3)
                # By the end every member has grown once and been found.
                last = [s for s in samples if key_of(s) == key][-1]
                self.assertEqual(last["group"]["maps"], maps, last)
                self.assertGreater(last["entries"], maps * 25)
                self.assertLess(abs(last["rate"] - rate), rate * 0.25, last)
        others = [a for a in alerts if a["state"] == "LEAK" and key_of(a) not in wanted]
        self.assertEqual(others, [])
        self.assert_controls_silent(alerts)

    def test_attached_late_with_growth_in_bursts_the_busiest_groups_leak_and_no_control(self):
        t = self.target()
        time.sleep(1)
        w = self.watch(t.pid, "--json", *FAST, command="watch")
        hot = w.err.wait_for(lambda l: l.startswith("gomapleak: growth probes in bursts"), 10)
        self.assertIn("over half the budget", hot)
        # Maps gaining 60 and 300 entries a second each are seen written in bursts soon; the
        # slower groups (4 and 75 a second a map) are found member by member, later.
        busiest = {k: GROUPS[k] for k in ("users50", "deep3")}
        wanted = {("growth", typ, line(m)) for typ, _, m, _, _ in busiest.values()}
        gml.wait_for_leaks(w, wanted, key_of, 90)
        time.sleep(CONTROL_SECONDS)
        w.signal(signal.SIGINT)
        self.assertEqual(w.wait(), 0)
        out = gml.json_lines(w.out.rest())
        alerts = [o for o in out if o["event"] == "alert"]
        for name, (typ, func, marker, maps, rate) in busiest.items():
            with self.subTest(group=name):
                key = ("growth", typ, line(marker))
                leak = [a for a in alerts if key_of(a) == key and a["state"] == "LEAK"][0]
                self.assertEqual(leak["filled"]["func"], func)
                self.assertIsNone(leak["created"])
                self.assertGreater(leak["group"]["maps"], 1)
                self.assertLessEqual(leak["group"]["maps"], maps)
        group_lines = {line(m) for _, _, m, _, _ in GROUPS.values()}
        others = [a for a in alerts if a["state"] == "LEAK" and key_of(a)[2] not in group_lines]
        self.assertEqual(others, [])
        self.assert_controls_silent(alerts)

    def test_attached_from_the_start_a_known_outer_map_stays_one_nested_alert(self):
        w = gml.Process([gml.GOMAPLEAK, "run", *FAST, "--duration", "22", "--", self.path,
                         "-modes", "users50,tenants,deep3,perreq,inflight,emptied"], stdin=False)
        self.procs.append(w)
        attached = w.err.wait_for(lambda l: l.startswith("gomapleak: attached to"))
        self.addCleanup(gml.end_pid, int(attached.split()[3]))
        self.assertEqual(w.wait(60), 0)
        out = w.out.rest()
        leaks = [l for l in out if " LEAK " in l]
        users = [l for l in leaks if "main.go:%d" % line("fill-users50") in l]
        tenants = [l for l in leaks if "main.go:%d" % line("fill-tenants") in l]
        deep = [l for l in leaks if "main.go:%d" % line("fill-deep3") in l]
        # The outer maps were seen made: their inner maps are theirs, one nested alert each.
        self.assertEqual(len(users), 1, leaks)
        self.assertRegex(users[0], r" LEAK +nested map\[string\]map\[int\]string map=0x[0-9a-f]+ "
                         r"inner_maps=50 ")
        # The 3-level map has 5 services: made by makemap_small (no type) and never grown,
        # it stays unknown; its 10 innermost maps are one group.
        self.assertEqual(len(deep), 1, leaks)
        self.assertRegex(deep[0], r" LEAK +growth map\[string\]interface \{\} maps=10 ")
        # Tenants' maps are held in structs: one group, its outer map unknown.
        self.assertEqual(len(tenants), 1, leaks)
        self.assertRegex(tenants[0], r" LEAK +growth map\[string\]int maps=40 entries=\d+ "
                         r"\(\+\d+/s\) bytes=\S+ created=main.runTenants main.go:\d+ "
                         r"filled=main.runTenants.func1 main.go:%d outer=\? "
                         r"biggest=0x[0-9a-f]+,0x[0-9a-f]+,0x[0-9a-f]+ keys=" % line("fill-tenants"))
        control_lines = {"main.go:%d" % line(m) for m in CONTROLS}
        self.assertEqual([l for l in out if any(c in l for c in control_lines)], [])
        summary = [l for l in w.err.rest() if l.startswith("gomapleak:   LEAK")]
        self.assertTrue(any(re.search(r"growth map\[string\]int maps=40 ", l) for l in summary),
                        summary)


if __name__ == "__main__":
    unittest.main(verbosity=2)
