#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Creation, growth, insert, delete and clear, against the program's own counts.

Usage: test_ops.py VARIANT   (the stripped PIE build of tests/targets/mapops)
"""
import signal
import sys
import unittest

import gml

VARIANT = sys.argv[1]
del sys.argv[1]
N = 800  # keys a map: under 897, so no Swiss table splits (seed-dependent)


def field(line, name):
    """The value of name=VALUE in one of mapops' answer lines."""
    return [w.split("=", 1)[1] for w in line.split() if w.startswith(name + "=")][0]


class Ops(gml.TargetTestCase):
    def setUp(self):
        super().setUp()
        self.v = gml.variant(VARIANT)
        self.path = gml.target_path(VARIANT, "stripped-pie", "mapops")
        self.lf = 12 if self.v["minor"] == 21 else 13

    def growths(self, n, hint=0):
        if self.v["impl"] == "classic":
            return gml.classic_growths(n, self.lf, hint)
        return gml.swiss_growths(n, hint)

    def line(self, marker, func="main.run"):
        """The site of a marked line: its function (inlined or not), file and line."""
        return (func, "main.go", gml.marker_line("mapops", marker))

    def test_exact_counts_and_sites_match_the_program(self):
        t = self.target()
        w = self.watch(t.pid, "--exact")
        t.send("run %d" % N)
        ran = t.out.wait_for(lambda l: l.startswith("ran "))
        rc, events, err = gml.stop_watch(w)
        self.assertEqual(rc, 0, err)
        maps = {name: field(ran, name) for name in ("str", "64", "hint")}
        ops = gml.op_counts(err)
        # The program's own counts, split by map and by the line that did them.
        self.assertEqual(int(field(ran, "inserts")), 3 * N)
        self.assertEqual(int(field(ran, "deletes")), 2 * (N // 2))
        want = {
            ("insert", maps["str"]) + self.line("insert-str"): N,
            ("insert", maps["64"]) + self.line("insert-64"): N,
            ("insert", maps["hint"]) + self.line("insert-hint"): N,
            ("delete", maps["str"]) + self.line("delete-str"): N // 2,
            ("delete", maps["64"]) + self.line("delete-64"): N // 2,
            ("clear", maps["hint"]) + self.line("clear"): 1,
        }
        mine = {k: c for k, c in ops.items() if k[1] in maps.values() and k[0] != "overflow"}
        self.assertEqual(mine, want)
        self.check_creations(events, maps)
        self.check_growths(events, maps)

    def test_every_map_function_variant_counts_exactly_from_8_goroutines(self):
        """fast32, fast64, fast64ptr, faststr, generic (a 12-byte struct key) and generic with
        keys and elements over 128 bytes (indirect in classic buckets), 8 goroutines at once,
        each on its own maps; and the clear builtin (Go 1.21+; Go 1.19's clearing loop)."""
        workers, keys = 8, 3000
        t = self.target()
        w = self.watch(t.pid, "--exact", "-v", command="watch")
        t.send("variants %d %d" % (workers, keys))
        ran = t.out.wait_for(lambda l: l.startswith("variants "), timeout=60)
        rc, _, err = gml.stop_watch(w)
        self.assertEqual(rc, 0, err)
        self.assertEqual(int(field(ran, "inserts")), workers * keys)
        self.assertEqual(int(field(ran, "deletes")), workers * (keys // 2))
        by_site = {}
        for (op, _, func, file, line), count in gml.op_counts(err).items():
            if file in ("variants.go", "clear_builtin.go", "clear_loop.go"):
                by_site[op, file, line] = by_site.get((op, file, line), 0) + count
        want = {}
        for variant in ("fast32", "fast64", "fast64ptr", "faststr", "generic", "big"):
            line = gml.marker_line("mapops", "v-insert-" + variant, "variants.go")
            want["insert", "variants.go", line] = workers * keys
        for variant in ("fast32", "fast64ptr", "faststr", "generic", "big"):
            line = gml.marker_line("mapops", "v-delete-" + variant, "variants.go")
            want["delete", "variants.go", line] = workers * (keys // 2)
        clear_file = "clear_builtin.go" if self.v["minor"] >= 21 else "clear_loop.go"
        want["clear", clear_file, gml.marker_line("mapops", "v-clear", clear_file)] = workers
        self.assertEqual({k: c for k, c in by_site.items() if k[0] != "overflow"}, want)

    def check_creations(self, events, maps):
        created = {e["map"]: e for e in events if e["kind"] == "create"}
        for name, marker, typ, hint in (("str", "make-str", "?", "0"), ("64", "make-64", "?", "0"),
                                        ("hint", "make-hint", '"map[int]int"', "100")):
            e = created[maps[name]]
            self.assertEqual((e["type"], e["hint"]), (typ, hint), e)
            self.assertEqual((e["site_func"], e["site_file"], int(e["site_line"])),
                             self.line(marker), e)

    def check_growths(self, events, maps):
        for name, hint, typ in (("str", 0, '"map[string]int"'), ("64", 0, '"map[int64]string"'),
                                ("hint", 100, '"map[int]int"')):
            grows = [e for e in events if e["map"] == maps[name] and e["kind"] != "create"]
            self.assertEqual([(e["kind"], int(e["size"])) for e in grows],
                             self.growths(N, hint), name)
            for e in grows:
                self.assertEqual(e["type"], typ)
                self.assertEqual((e["site_func"], e["site_file"], int(e["site_line"])),
                                 self.line("insert-" + name), e)

    def test_growth_of_a_map_made_before_attach_is_seen_with_its_site(self):
        t = self.target()
        t.send("early 100")
        addr = t.out.wait_for(lambda l: l.startswith("early ")).split()[1]
        w = self.watch(t.pid)
        t.send("more %d" % (N - 100))
        t.out.wait_for(lambda l: l.startswith("more "))
        rc, events, err = gml.stop_watch(w)
        self.assertEqual(rc, 0, err)
        grows = [e for e in events if e["map"] == addr]
        # Growths the map had already made before the attach are not seen; the rest are.
        want = [g for g in self.growths(N) if g not in self.growths(100)]
        self.assertEqual([(e["kind"], int(e["size"])) for e in grows], want)
        for e in grows:
            self.assertEqual((e["site_func"], e["site_file"], int(e["site_line"])),
                             self.line("early-insert", "main.addEarly"))
            self.assertEqual(e["type"], '"map[int64]int64"')

    def checksum(self, tracer=None):
        """The target's checksum of a run: untraced, traced, or with the tracer killed first."""
        t = self.target()
        if tracer == "killed":
            w = self.watch(t.pid, "--exact")
            w.signal(signal.SIGKILL)
            w.wait()
        elif tracer == "attached":
            self.watch(t.pid, "--exact")
        t.send("run %d" % N)
        return field(t.out.wait_for(lambda l: l.startswith("ran ")), "checksum")

    def test_the_target_computes_the_same_with_the_tracer_attached_or_killed(self):
        untraced = self.checksum()
        self.assertEqual(self.checksum("attached"), untraced)
        self.assertEqual(self.checksum("killed"), untraced)

    def test_exec_ends_the_watch_with_exit_0(self):
        t = self.target()
        w = self.watch(t.pid)
        t.send("exec")
        self.assertEqual(w.wait(15), 0)
        last = [l for l in w.err.rest() if l.startswith("gomapleak: detached")]
        self.assertEqual(len(last), 1)
        self.assertIn("(target exec'd)", last[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
