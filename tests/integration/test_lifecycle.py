#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""How watch and inspect start, stop and fail: signals, the target's exit,
--duration, bad PIDs and bad binaries. Usage: test_lifecycle.py VARIANT
"""
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import unittest

import gml

VARIANT = sys.argv[1]
del sys.argv[1]

EXIT_USAGE, EXIT_NO_TARGET, EXIT_UNSUPPORTED, EXIT_PERMISSION = 2, 3, 4, 5


class Lifecycle(gml.TargetTestCase):
    def setUp(self):
        super().setUp()
        self.path = gml.target_path(VARIANT, "stripped-pie", "growonce")

    def assert_summary(self, err, reason):
        last = [l for l in err if l.startswith("gomapleak: detached after")]
        self.assertEqual(len(last), 1, err)
        self.assertIn("(%s)" % reason, last[0])
        self.assertRegex(last[0], r"[;,] 0 (events )?lost")

    def test_sigint_detaches_prints_summary_and_exits_0(self):
        t = self.target()
        rc, _, err = gml.stop_watch(self.watch(t.pid, command="watch"), signal.SIGINT)
        self.assertEqual(rc, 0)
        self.assert_summary(err, "interrupted")

    def test_sigterm_detaches_and_exits_0(self):
        t = self.target()
        rc, _, err = gml.stop_watch(self.watch(t.pid, command="watch"), signal.SIGTERM)
        self.assertEqual(rc, 0)
        self.assert_summary(err, "terminated")

    def test_target_exit_ends_the_watch_with_exit_0(self):
        t = self.target()
        w = self.watch(t.pid, command="watch")
        t.p.stdin.close()  # the target exits when stdin closes
        self.assertEqual(w.wait(15), 0)
        self.assert_summary(w.err.rest(), "target exited")

    def test_duration_stops_the_watch(self):
        t = self.target()
        w = self.watch(t.pid, "--duration", "0.5", command="watch")
        self.assertEqual(w.wait(15), 0)
        self.assert_summary(w.err.rest(), "duration reached")

    def test_verbose_shows_the_plan_and_hit_counts(self):
        t = self.target()
        w = self.watch(t.pid, "-v")
        t.send("go")
        t.out.wait_for(lambda l: l.startswith("grown "))
        rc, events, err = gml.stop_watch(w)
        self.assertEqual(rc, 0)
        self.assertTrue(any(l.startswith("probe plan:") for l in err), err)
        hits = {l.split()[1]: int(l.split()[2]) for l in err
                if l.startswith("gomapleak:   ") and l.endswith(" hits")}
        self.assertTrue(hits, err)
        self.assertEqual(sum(hits.values()), len(events))

    def test_tracer_killed_leaves_the_target_working(self):
        t = self.target("-n", "3000")
        w = self.watch(t.pid)
        w.signal(signal.SIGKILL)
        w.wait()
        t.send("go")
        line = t.out.wait_for(lambda l: l.startswith("grown "))
        self.assertEqual(line.split()[1:4], ["3000", "len", "3000"])
        self.assertIsNone(t.p.poll())

    def test_missing_pid_is_a_one_line_error_with_exit_3(self):
        pid = os.getpid()
        while os.path.exists("/proc/%d" % pid):
            pid += 7919
        r = gml.run([gml.GOMAPLEAK, "watch", "-p", str(pid)])
        self.assertEqual(r.returncode, EXIT_NO_TARGET)
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        self.assertIn("no such process", r.stderr)

    def test_non_go_process_is_refused_with_exit_4(self):
        sleeper = gml.Process(["sleep", "30"], stdin=False)
        self.procs.append(sleeper)
        r = gml.run([gml.GOMAPLEAK, "watch", "-p", str(sleeper.pid)])
        self.assertEqual(r.returncode, EXIT_UNSUPPORTED)
        self.assertIn("not a Go binary", r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)

    def test_with_json_an_error_is_one_json_object_on_stderr_with_the_exit_status(self):
        pid = os.getpid()
        while os.path.exists("/proc/%d" % pid):
            pid += 7919
        sleeper = gml.Process(["sleep", "30"], stdin=False)
        self.procs.append(sleeper)
        for argv, code, text in (
                (["watch", "--json", "-p", str(pid)], EXIT_NO_TARGET, "no such process"),
                (["trace", "--json", "-p", str(pid)], EXIT_NO_TARGET, "no such process"),
                (["watch", "--json", "-p", str(sleeper.pid)], EXIT_UNSUPPORTED, "not a Go binary"),
                (["inspect", "--json", "/bin/sh"], EXIT_UNSUPPORTED, "not a Go binary"),
                (["run", "--json", "--", "/nonexistent/program"], EXIT_NO_TARGET, "cannot run")):
            with self.subTest(argv=argv):
                r = gml.run([gml.GOMAPLEAK] + argv)
                self.assertEqual(r.returncode, code, r.stderr)
                self.assertEqual(r.stdout, "")
                self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
                error = json.loads(r.stderr)
                self.assertEqual(error["event"], "error")
                self.assertEqual(error["code"], code)
                self.assertIn(text, error["message"])

    def test_trace_json_is_one_object_an_event_with_sites_and_stacks(self):
        t = self.target("-n", "100")
        tr = gml.Process([gml.GOMAPLEAK, "trace", "-p", str(t.pid), "--json", "--exact"],
                         stdin=False)
        self.procs.append(tr)
        tr.err.wait_for(lambda l: l.startswith("gomapleak: attached to"))
        t.send("go")
        addr = t.out.wait_for(lambda l: l.startswith("grown ")).split()[5]
        tr.signal(signal.SIGINT)
        self.assertEqual(tr.wait(), 0)
        events = [json.loads(l) for l in tr.out.rest()]
        mine = [e for e in events if e["map"] == addr]
        self.assertEqual(mine[0]["event"], "create")
        self.assertEqual(mine[0]["site"]["line"], gml.marker_line("growonce", "make"))
        self.assertEqual(mine[0]["site"]["func"], "main.fill")
        grows = mine[1:]
        self.assertTrue(grows)
        for e in grows:
            self.assertEqual(e["event"], "grow")
            self.assertEqual(e["type"], "map[int64]int64")
            self.assertEqual(e["site"]["line"], gml.marker_line("growonce", "fill"))
            self.assertEqual(e["site"]["func"], "main.fill")
            self.assertTrue(e["site"]["file"].endswith("/growonce/main.go"))
            self.assertTrue(e["stack"][0]["func"].startswith(("runtime.", "internal/runtime/")))
            self.assertIn("runtime.main", [f.get("func") for f in e["stack"]])

    def test_without_privileges_says_what_is_missing_and_exits_5(self):
        t = self.target()
        for command in ("watch", "inspect"):
            r = gml.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                         "--inh-caps=-all", gml.GOMAPLEAK, command, "-p", str(t.pid)])
            self.assertEqual(r.returncode, EXIT_PERMISSION, (command, r.stderr))
            self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
            self.assertIn("CAP_SYS_PTRACE", r.stderr)

    def test_usage_errors_exit_2(self):
        for argv in (["watch"], ["watch", "-p", "abc"], ["frobnicate"], [],
                     ["watch", "-p", "1", "--duration", "-3"],
                     ["watch", "-p", "1", "-i", "1", "--window", "1"],
                     ["watch", "-p", "1", "--top", "--json"],
                     ["watch", "-p", "1", "--min-growth", "0"],
                     ["watch", "-p", "1", "--confirm", "x"], ["run"], ["run", "--json"]):
            r = gml.run([gml.GOMAPLEAK, *argv])
            self.assertEqual(r.returncode, EXIT_USAGE, (argv, r.stderr))

    def test_help_has_examples_and_exits_0(self):
        for argv, example in ((["-h"], "gomapleak watch -p 4121"),
                              (["watch", "--help"], "gomapleak watch -p 4121"),
                              (["watch", "-h"], "gomapleak watch -p 4121 --top"),
                              (["run", "-h"], "gomapleak run -- ./server -port 8080"),
                              (["inspect", "--help"], "gomapleak inspect -p 4121")):
            r = gml.run([gml.GOMAPLEAK, *argv])
            self.assertEqual(r.returncode, 0)
            self.assertIn("Examples:", r.stdout)
            self.assertIn(example, r.stdout)


class BadBinaries(unittest.TestCase):
    """inspect refuses what it cannot read with one line and exit 4, never a crash."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="gomapleak-lifecycle-")
        with open(gml.target_path(VARIANT, "stripped-pie", "growonce"), "rb") as f:
            self.go = f.read()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def inspect(self, data):
        path = os.path.join(self.dir, "bin")
        with open(path, "wb") as f:
            f.write(data)
        return gml.run([gml.GOMAPLEAK, "inspect", path])

    def assert_refused(self, r, text):
        self.assertEqual(r.returncode, EXIT_UNSUPPORTED, r.stderr)
        self.assertIn(text, r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)

    def test_shell_is_not_a_go_binary(self):
        r = gml.run([gml.GOMAPLEAK, "inspect", "/bin/sh"])
        self.assert_refused(r, "not a Go binary")

    def test_empty_file(self):
        self.assert_refused(self.inspect(b""), "not an amd64 or arm64 ELF")

    def test_truncated_go_binary(self):
        for size in (64, 4096, len(self.go) // 2):
            r = self.inspect(self.go[:size])
            self.assertEqual(r.returncode, EXIT_UNSUPPORTED, (size, r.stderr))
            self.assertEqual(r.stderr.count("\n"), 1, r.stderr)

    def test_corrupt_pclntab(self):
        # Go 1.18-1.19 write magic 0xfffffff0, 1.20+ 0xfffffff1.
        at = max(self.go.find(m + b"\xff\xff\xff\x00\x00\x01\x08") for m in (b"\xf0", b"\xf1"))
        self.assertGreater(at, 0)
        for off, junk in ((0, b"\x00\x00"), (8, b"\xff" * 8), (64, b"\xff" * 8)):
            data = bytearray(self.go)
            data[at + off:at + off + len(junk)] = junk
            r = self.inspect(bytes(data))
            self.assertEqual(r.returncode, EXIT_UNSUPPORTED, (off, r.stderr))
            self.assertIn("pclntab", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
