#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The target is never harmed: gomapleak killed while its probes fire, the
target stopped and continued, exiting under load, run's program ended with
the tracer. Usage: test_reliability.py VARIANT

The load is mapbench's map-heavy mix (an insert, a lookup and a delete on a
bounded map, a nested insert, request maps of 16 entries that grow) run for a
fixed number of rounds, so its checksum can be compared with an untraced run.
Probes are checked gone by the target's text: a uprobe is a breakpoint
written into the process's copy of its code, and detaching restores it.
"""
import os
import signal
import sys
import time
import unittest

import gml
import procfs

VARIANT = sys.argv[1]
del sys.argv[1]

ROUNDS = 20_000_000  # ~1.5 s untraced; traced, the tracer is killed long before the end
MIX = ("-mode", "mix", "-reqsize", "16", "-n", str(ROUNDS))


def field(line, name):
    words = line.split()
    return words[words.index(name) + 1]


def process_gone(pid):
    """True once pid has exited (a zombie left to a reaper counts as gone)."""
    return procfs.exited(pid)


def children(pid):
    out = []
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
            out += [int(c) for c in f.read().split()]
    return out


class Reliability(gml.TargetTestCase):
    def setUp(self):
        super().setUp()
        self.path = gml.target_path(VARIANT, "default", "mapbench")

    def mix(self, flavor="default", rounds=ROUNDS):
        """mapbench waiting to start the mix, and to exit after its result."""
        t = gml.start_target(gml.target_path(VARIANT, flavor, "mapbench"), "-wait", "-hold",
                             *MIX[:-1], str(rounds))
        self.procs.append(t)
        return t

    def untraced_checksum(self, flavor):
        t = self.mix(flavor)
        t.send("go")
        return field(t.out.wait_for(lambda l: l.startswith("ops "), timeout=60), "checksum")

    def check_killed_under_load(self, flavor, *args):
        want = self.untraced_checksum(flavor)
        t = self.mix(flavor)
        w = self.watch(t.pid, *args, command="watch")
        if "--exact" in args:  # every probe attached: the check below can see them
            self.assertTrue(gml.text_changes(t.pid))
        t.send("go")
        time.sleep(0.5)
        self.assertIsNone(t.p.poll())
        w.signal(signal.SIGKILL)
        self.assertEqual(w.wait(), -signal.SIGKILL)
        ran = t.out.wait_for(lambda l: l.startswith("ops "), timeout=60)
        self.assertEqual(field(ran, "ops"), str(-(-ROUNDS // 1024) * 1024))
        self.assertEqual(field(ran, "checksum"), want)
        self.assertEqual(gml.text_changes(t.pid), [])
        self.assertIsNone(t.p.poll())

    def test_killed_while_probes_fire_the_target_finishes_unharmed_and_unprobed(self):
        for flavor in ("default", "cgo-ext-stripped"):
            for args in ((), ("--exact",)):
                with self.subTest(flavor=flavor, args=args):
                    self.check_killed_under_load(flavor, *args)

    def test_run_ends_its_program_when_gomapleak_is_killed(self):
        r = gml.Process([gml.GOMAPLEAK, "run", "--", self.path, "-wait", *MIX])
        self.procs.append(r)
        r.err.wait_for(lambda l: l.startswith("gomapleak: attached to"))
        r.out.wait_for(lambda l: l == "ready")
        (program,) = children(r.pid)
        r.send("go")
        time.sleep(0.3)
        r.signal(signal.SIGKILL)
        r.wait()
        deadline = time.monotonic() + 10
        while not process_gone(program) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not process_gone(program):
            gml.end_pid(program)
            self.fail("run's program %d outlived gomapleak" % program)

    def test_a_stopped_and_continued_target_is_traced_on_exactly(self):
        rounds = 200 * 1024  # ~3 s with every operation probed
        t = self.mix(rounds=rounds)
        w = self.watch(t.pid, "--exact", "-i", "0.5", command="watch")
        t.send("go")
        time.sleep(0.3)
        os.kill(t.pid, signal.SIGSTOP)
        time.sleep(1.5)  # census rounds read a stopped target
        self.assertIsNone(w.p.poll())
        os.kill(t.pid, signal.SIGCONT)
        t.out.wait_for(lambda l: l.startswith("ops "), timeout=120)
        rc, _, err = gml.stop_watch(w)
        self.assertEqual(rc, 0, err)
        self.assertTrue(any(l.startswith("gomapleak: detached after") for l in err), err)
        # Every operation before the stop and after it, counted once (the nested
        # inserts spread over 64 maps, past the table's 50 rows: not summed here).
        by_line = {}
        for (op, _, func, _, line), count in gml.op_counts(err).items():
            by_line[op, line] = by_line.get((op, line), 0) + count
        for op, marker in (("insert", "mix-insert"), ("delete", "mix-delete")):
            self.assertEqual(by_line.get((op, gml.marker_line("mapbench", marker))), rounds,
                             (op, marker, by_line))

    def test_a_target_exiting_under_load_ends_the_watch_with_exit_0(self):
        t = gml.start_target(self.path, "-wait", "-mode", "mix", "-reqsize", "16", "-d", "1s")
        self.procs.append(t)
        w = self.watch(t.pid, "--exact", command="watch")
        t.send("go")
        self.assertEqual(w.wait(30), 0)
        last = [l for l in w.err.rest() if l.startswith("gomapleak: detached after")]
        self.assertEqual(len(last), 1)
        self.assertIn("(target exited)", last[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
