#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Walking skeleton: growth events of one map, counted against the runtime's rules.

Usage: test_growth.py VARIANT FLAVOR  (e.g. go1.26 stripped-pie)

The target grows one heap map (make(map[int64]int64), no hint) by inserting N
distinct keys. Each growth probe must fire exactly as often as the map
implementation implies for N, derived below from the runtime sources.
"""
import sys
import unittest

import gml

VARIANT, FLAVOR = sys.argv[1], sys.argv[2]
del sys.argv[1:3]


class Growth(unittest.TestCase):
    def setUp(self):
        self.v = gml.variant(VARIANT)
        self.path = gml.target_path(VARIANT, FLAVOR, "growonce")
        self.load_factor_num = 12 if self.v["minor"] == 21 else 13

    def grow(self, n, exact):
        """Runs the target under watch while it inserts n keys; returns its map's events.

        With exact, the map's creation event comes first and is checked here,
        as is the insert count against n.
        """
        target = gml.start_target(self.path, "-n", str(n))
        try:
            watch = gml.start_watch(target.pid, *(["--exact"] if exact else []))
            try:
                target.send("go")
                done = target.out.wait_for(lambda l: l.startswith("grown "))
                self.assertEqual(done.split()[1:4], [str(n), "len", str(n)])
                map_addr = done.split()[5]
                rc, events, err = gml.stop_watch(watch)
            finally:
                watch.end()
        finally:
            target.end()
        self.assertEqual(rc, 0, err)
        self.assertTrue(any(" 0 events lost" in l for l in err), err)
        mine = [e for e in events if e["map"] == map_addr]
        self.assertTrue(mine, "no events for map %s in %r" % (map_addr, events))
        if exact:
            self.check_creation(mine.pop(0))
            inserts = gml.op_counts(err)
            self.assertEqual(inserts[("insert", map_addr, "main.fill", "main.go",
                                      gml.marker_line("growonce", "fill"))], n)
        self.assertNotIn("create", [e["kind"] for e in mine])
        fill_line = gml.marker_line("growonce", "fill")
        for e in mine:
            self.assertEqual(int(e["pid"]), target.pid)
            self.assertEqual(e["type"], '"map[int64]int64"')
            # The first frame outside the runtime: the insert statement, in main.fill
            # even where the compiler inlined fill into main.
            self.assertEqual((e["site_func"], e["site_file"], int(e["site_line"])),
                             ("main.fill", "main.go", fill_line), e)
        return mine

    def check_creation(self, e):
        """make(map[int64]int64) without a hint: makemap_small, no type argument."""
        self.assertEqual(e["kind"], "create", e)
        self.assertEqual((e["type"], e["hint"]), ("?", "0"))
        self.assertEqual((e["site_func"], e["site_file"], int(e["site_line"])),
                         ("main.fill", "main.go", gml.marker_line("growonce", "make")), e)

    def check_classic(self, n, exact):
        events = self.grow(n, exact)
        got = [(e["kind"], int(e["size"])) for e in events]
        self.assertEqual(got, gml.classic_growths(n, self.load_factor_num))
        for e in events:
            self.assertTrue(e["caller"].startswith("runtime.mapassign_fast64+"), e)
        # hashGrow fires when the count reaches the threshold: entries before the insert.
        for e, b in zip(events, range(len(events))):
            self.assertEqual(int(e["entries"]),
                             8 if b == 0 else self.load_factor_num * (1 << b) // 2)

    def check_swiss(self, n, exact):
        events = self.grow(n, exact)
        want = gml.swiss_growths(n)
        got = [(e["kind"], int(e["size"])) for e in events]
        self.assertEqual(got[:len(want)], want)
        splits = got[len(want):]
        for kind, capacity in splits:
            self.assertEqual((kind, capacity), ("table-split", 1024))
        # n entries need ceil(n / 896) tables of 1024 slots: one per split, plus one.
        min_splits = max(0, -(-n // 896) - 1)
        self.assertGreaterEqual(len(splits), min_splits)
        if n <= 896:
            self.assertEqual(splits, [])
        callers = {e["kind"]: e["caller"].split("+")[0] for e in events}
        self.assertEqual(callers["to-small"], "runtime.mapassign_fast64")
        self.assertEqual(callers["to-table"], "runtime.mapassign_fast64")
        self.assertEqual(callers["table-grow"], "internal/runtime/maps.(*table).rehash")

    def check(self, n, exact):
        if self.v["impl"] == "classic":
            self.check_classic(n, exact)
        else:
            self.check_swiss(n, exact)

    def test_growth_events_match_the_runtime_rules_for_800_keys(self):
        self.check(800, exact=False)

    def test_growth_and_creation_with_exact_for_5000_keys(self):
        self.check(5000, exact=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
