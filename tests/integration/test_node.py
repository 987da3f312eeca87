#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Node mode: one gomapleak watching several Go programs of different
toolchains (classic and Swiss maps, stripped PIE, cgo with external
linking), started before and after it, one restarted, one exec'd into
another Go binary, a non-Go one ignored, selected by --exe, --comm, --cgroup
and -p. Usage: test_node.py

Programs run from copies in a fresh folder with names of their own, and the
selectors name that folder: other tests run at the same time, and node mode
must never attach to their programs.
"""
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import gml
from bpf_fdinfo import bpf_maps
from prom import parse_exposition, query_prometheus, scrape, series, start_prometheus

# Short windows: a test takes seconds.
FAST = ["-i", "0.25", "--window", "2", "--min-growth", "500"]
ALERT_RE = re.compile(r" (SUSPECT|LEAK) +\w+ pid=(\d+) comm=(\S+) ")
URL_RE = re.compile(r"^gomapleak: metrics of every process at (http://\S+/metrics)$")


def cgroup2_root():
    """Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or .../unified on hybrid)."""
    with open("/proc/mounts") as f:
        for line in f:
            fields = line.split()
            if fields[2] == "cgroup2":
                return fields[1]
    raise AssertionError("no cgroup2 hierarchy mounted")


def ring_buffers(pid):
    """The BPF ring buffers (map type 27) pid holds open."""
    return sum(1 for m in bpf_maps(pid).values() if m.get("map_type") == "27")


class Node(gml.TargetTestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="gml-node-")
        os.chmod(self.dir, 0o755)

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.dir, ignore_errors=True)

    def program(self, variant, flavor, target, name):
        """A copy of a test target under a name of its own: its comm."""
        path = os.path.join(self.dir, name)
        shutil.copy(gml.target_path(variant, flavor, target), path)
        return path

    def start(self, path, *args):
        t = gml.start_target(path, *args)
        self.procs.append(t)
        return t

    def node_watch(self, *args):
        w = gml.Process([gml.GOMAPLEAK, "watch", *args, *FAST], stdin=False)
        self.procs.append(w)
        return w

    def wait_attached(self, w, pid):
        w.err.wait_for(lambda l: l.startswith("gomapleak: attached to %d " % pid), timeout=30)

    def wait_alert(self, w, pid, comm):
        line = w.out.wait_for(lambda l: (m := ALERT_RE.search(l)) and m[2] == str(pid)
                              and m[3] == comm, timeout=60)
        self.assertIn("filled=", line)
        return line

    def test_programs_before_and_after_a_restart_and_a_non_go_one(self):
        classic = self.program("go1.19", "stripped-pie", "leaks", "svc-classic")
        swiss = self.program("go1.26", "stripped-pie", "leaks", "svc-swiss")
        shutil.copy("/bin/sleep", os.path.join(self.dir, "notgo"))
        before = self.start(classic, "-modes", "cache")
        w = self.node_watch("--exe", self.dir + "/*", "--prometheus", "0")
        url = URL_RE.match(w.err.wait_for(lambda l: URL_RE.match(l) is not None))[1]
        server, prometheus = start_prometheus(self.dir, url)
        self.procs.append(server)
        self.wait_attached(w, before.pid)
        w.err.wait_for(lambda l: l.startswith("gomapleak: watching 1 Go processes"))
        after = self.start(swiss, "-modes", "cache")
        self.wait_attached(w, after.pid)
        notgo = gml.Process([os.path.join(self.dir, "notgo"), "30"])
        self.procs.append(notgo)
        self.wait_alert(w, before.pid, "svc-classic")
        self.wait_alert(w, after.pid, "svc-swiss")
        self.check_metrics(url, prometheus, {before.pid: "svc-classic", after.pid: "svc-swiss"})

        # A restart is a new pid: the old one is summed up, the new one watched.
        before.end()
        gone = w.err.wait_for(lambda l: "pid=%d comm=svc-classic detached" % before.pid in l)
        self.assertIn("(target exited)", gone)
        again = self.start(classic, "-modes", "cache")
        self.wait_attached(w, again.pid)
        self.wait_alert(w, again.pid, "svc-classic")
        # The old pid's series are gone from the page an interval after it exited.
        samples, _, _ = parse_exposition(scrape(url)[2])
        self.assertFalse(series(samples, "gomapleak_target_info", pid=str(before.pid)))
        self.assertTrue(series(samples, "gomapleak_target_info", pid=str(again.pid)))

        rc, _, err = gml.stop_watch(w)
        self.assertEqual(rc, 0, err)
        self.assertFalse([l for l in err if "notgo" in l or str(notgo.pid) in l], err)
        self.assertTrue(any(re.match(r"gomapleak: 3 processes watched; [1-9]\d* LEAK", l)
                            for l in err), err)
        # Each process's summary names it, with its own stop reason.
        self.assertTrue(any("pid=%d comm=svc-swiss detached" % after.pid in l
                            and "(interrupted)" in l for l in err), err)

    def check_metrics(self, url, prometheus, comms):
        """One page: every family once, each process's series under its pid and comm."""
        time.sleep(0.5)  # an interval after the alerts: their counts are in the page
        status, _, text = scrape(url)
        self.assertEqual(status, 200)
        samples, types, helps = parse_exposition(text)
        families = [l.split()[2] for l in text.split("\n") if l.startswith("# TYPE ")]
        self.assertEqual(len(families), len(set(families)), families)
        self.assertEqual(set(types), set(helps))
        for pid, comm in comms.items():
            self.assertEqual(series(samples, "gomapleak_target_info", pid=str(pid), comm=comm),
                             [1.0], text)
            self.assertTrue(sum(series(samples, "gomapleak_map_grows_total", pid=str(pid))) > 0)
        lint = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                              text=True, timeout=60)
        self.assertEqual((lint.returncode, lint.stdout, lint.stderr), (0, "", ""))
        keys = [(n, tuple(sorted(l.items()))) for n, l, _ in samples]
        self.assertEqual(len(keys), len(set(keys)), "duplicate series")
        # A real Prometheus server: the grows of each process, by pid.
        for pid, comm in comms.items():
            result = query_prometheus(prometheus,
                                      'sum by (pid, comm) (gomapleak_map_grows_total{pid="%d"})'
                                      % pid)
            self.assertEqual(result[0]["metric"], {"pid": str(pid), "comm": comm})

    def test_a_go_program_execing_another_go_binary_is_followed(self):
        ops = self.program("go1.23", "default", "mapops", "svc-ops")
        swiss = self.program("go1.27", "stripped-pie", "leaks", "svc-next")
        t = self.start(ops)
        w = self.node_watch("--exe", self.dir + "/svc-*")
        self.wait_attached(w, t.pid)
        t.send("exec %s -modes cache" % swiss)
        ended = w.err.wait_for(lambda l: "pid=%d comm=svc-ops detached" % t.pid in l)
        self.assertIn("(target exec'd)", ended)
        # The same pid, another Go program: watched anew.
        self.wait_attached(w, t.pid)
        self.wait_alert(w, t.pid, "svc-next")
        rc, _, err = gml.stop_watch(w)
        self.assertEqual(rc, 0, err)

    def test_comm_selects_and_max_processes_is_told(self):
        a = self.program("go1.22", "default", "growonce", "gml-pick")
        b = self.program("go1.24", "default", "growonce", "gml-skip")
        picked = [self.start(a), self.start(a)]
        skipped = self.start(b)
        w = self.node_watch("--comm", "gml-pick", "--max-processes", "1")
        self.wait_attached(w, picked[0].pid)
        full = w.err.wait_for(lambda l: "not watched" in l)
        self.assertIn("pid %d (gml-pick) not watched" % picked[1].pid, full)
        self.assertIn("--max-processes", full)
        rc, _, err = gml.stop_watch(w)
        self.assertEqual(rc, 0, err)
        self.assertFalse([l for l in err if "gml-skip" in l or str(skipped.pid) in l], err)

    def test_processes_share_one_bpf_object_and_a_slot_given_up_is_taken_again(self):
        classic = self.program("go1.24-noswiss", "stripped-pie", "leaks", "gml-slot-c")
        swiss = self.program("go1.26", "stripped-pie", "leaks", "gml-slot-s")
        first, second = self.start(classic, "-modes", "cache"), self.start(swiss, "-modes", "cache")
        w = self.node_watch("--exe", self.dir + "/gml-slot-*", "--max-processes", "2")
        for t in (first, second):
            self.wait_attached(w, t.pid)
        # Two processes of two map implementations, one object: one ring buffer for their
        # events (the exec watch has the other), and each leak under its own process.
        self.assertEqual(ring_buffers(w.pid), 2)
        self.wait_alert(w, first.pid, "gml-slot-c")
        self.wait_alert(w, second.pid, "gml-slot-s")
        refused = self.start(classic, "-modes", "cache")
        self.assertIn("pid %d (gml-slot-c) not watched" % refused.pid,
                      w.err.wait_for(lambda l: "not watched" in l))
        # The first one's slot, given up when it exits, serves the next: its counts start
        # from zero, its probes carry the slot, its leak is found.
        first.end()
        w.err.wait_for(lambda l: "pid=%d comm=gml-slot-c detached" % first.pid in l)
        refused.end()
        third = self.start(classic, "-modes", "cache")
        self.wait_attached(w, third.pid)
        self.wait_alert(w, third.pid, "gml-slot-c")
        self.assertEqual(ring_buffers(w.pid), 2)
        rc, _, err = gml.stop_watch(w)
        self.assertEqual(rc, 0, err)
        self.assertTrue(any(re.match(r"gomapleak: 3 processes watched; [1-9]\d* LEAK", l)
                            for l in err), err)

    def test_cgroup_selects_and_a_cgo_programs_leak_is_reported(self):
        cgo = self.program("go1.21", "cgo-ext-stripped", "leaks", "gml-cgo")
        inside, outside = self.start(cgo, "-modes", "cache"), self.start(cgo, "-modes", "cache")
        group = "/" + os.path.basename(self.dir)
        path = cgroup2_root() + group
        os.mkdir(path)
        self.addCleanup(os.rmdir, path)
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(inside.pid))
        w = self.node_watch("--cgroup", group)
        self.wait_attached(w, inside.pid)
        # External linking, C code linked in, stripped: its leak is found and named.
        self.wait_alert(w, inside.pid, "gml-cgo")
        rc, _, err = gml.stop_watch(w)
        self.assertEqual(rc, 0, err)
        self.assertFalse([l for l in err + w.out.all if "pid=%d " % outside.pid in l
                          or "to %d " % outside.pid in l], err)
        inside.end()  # the cgroup is removed once empty

    def test_several_pids_end_when_the_last_exits(self):
        path = self.program("go1.25-noswiss", "default", "growonce", "gml-pids")
        ts = [self.start(path), self.start(path)]
        w = gml.Process([gml.GOMAPLEAK, "watch", "-p", str(ts[0].pid), "-p", str(ts[1].pid),
                         "--json"], stdin=False)
        self.procs.append(w)
        for t in ts:
            self.wait_attached(w, t.pid)
        for t in ts:
            t.p.stdin.close()  # growonce exits when stdin closes
        self.assertEqual(w.wait(20), 0)
        err = w.err.rest()
        self.assertTrue(any("no process left to watch" in l for l in err) or
                        any("2 processes watched" in l for l in err), err)
        summaries = [l for l in w.out.rest() if '"event":"summary"' in l]
        self.assertEqual(sorted(re.search(r'"pid":(\d+)', l)[1] for l in summaries),
                         sorted(str(t.pid) for t in ts))

    def test_bad_selectors_are_usage_errors(self):
        for args in (["--all", "--comm", "x"], ["--all", "--pprof", "x.pb.gz"],
                     ["--max-processes", "0", "--all"], ["-p", "1", "-p", "x"]):
            r = gml.run([gml.GOMAPLEAK, "watch", *args])
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertTrue(r.stderr.strip(), args)


if __name__ == "__main__":
    unittest.main()
