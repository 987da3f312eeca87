#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gomapleak in a VM booting another kernel: Debian's own cloud kernel of a suite (or a
linux-image .deb), under QEMU's TCG. The guest (tests/vm/guest.sh) runs inspect, watch attached
late to the seed-like cache (classic and Swiss maps), run, --exact against the programs' own
counts, a /metrics scrape, node mode (watch --all) and a SIGKILL; this side judges what it
printed.

Usage: test_vm.py SUITE|KERNEL.deb... [--arch amd64|arm64] [--attach PATH] [--expect-path PATH]
  SUITE bullseye (5.10), bookworm (6.1), trixie (6.12), or any suite with a cloud kernel.
  --arch arm64 boots the suite's arm64 kernel in qemu-system-aarch64, with gomapleak
  cross-built (scripts/cross_arm64.sh) and the targets' arm64 builds.
  --attach forces an attach path in the guest; --expect-path is the path the kernel should
  get when none is forced (the test command knows it for its three kernels).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm  # noqa: E402

ARGS = None
# The attach path each of the test command's kernels has (kernel_features.h).
EXPECTED_PATH = {"bullseye": "perf-ip", "bookworm": "perf", "trixie": "uprobe_multi"}
# The Go builds the guest runs: Go 1.19 (classic maps) and Go 1.26 (Swiss), stripped PIE.
BUILDS = {"classic": "go1.19", "swiss": "go1.26"}
PROGRAMS = ("lateleaks", "leakycache", "mapops")
# The programs bpf/gomapleak.bpf.c defines, as bpftool lists them (names cut at 15 bytes).
PROGRAM_NAMES = ("hash_grow", "map_insert", "map_delete", "map_clear", "map_overflow",
                 "make_map", "swiss_grow_to_s", "swiss_table_gro", "target_exec")


def marker_line(target, marker):
    with open(os.path.join(vm.SOURCE, "tests/targets", target, "main.go")) as f:
        for number, line in enumerate(f, 1):
            if "// gomapleak:" + marker in line:
                return number
    raise KeyError(marker)


def gomapleak_for(arch):
    """This tree's gomapleak for arch: the build under test, or its arm64 cross build."""
    if arch == vm.NATIVE:
        return os.environ["GOMAPLEAK"]
    return subprocess.run([os.path.join(vm.SOURCE, "scripts/cross_arm64.sh")], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()


class Guest:
    """One boot of the VM, shared by the test methods: its sections and wall time."""
    sections = None
    console = ""
    wall = 0.0
    kernel = ""

    @classmethod
    def boot(cls):
        if cls.sections is not None:
            return
        vmlinuz, cls.kernel = vm.fetch(ARGS.kernel, ARGS.arch)
        targets_dir = os.environ.get("GOMAPLEAK_TARGETS", os.path.join(vm.CACHE, "targets"))
        flavor = "stripped-pie" if ARGS.arch == vm.NATIVE else ARGS.arch + "-stripped-pie"
        targets = {"%s-%s" % (impl, name): os.path.join(targets_dir, v, flavor, name)
                   for impl, v in BUILDS.items() for name in PROGRAMS}
        image = vm.initramfs(gomapleak_for(ARGS.arch), targets, ARGS.arch)
        extra = "gml.attach=" + ARGS.attach if ARGS.attach else ""
        cls.console, cls.wall = vm.boot(vmlinuz, image, arch=ARGS.arch, args=extra,
                                        timeout=ARGS.timeout)
        cls.sections = vm.sections(cls.console)
        if os.environ.get("GOMAPLEAK_VM_CONSOLE"):  # scripts/kernels.sh keeps it for a look
            with open("%s-%s-%s.txt" % (os.environ["GOMAPLEAK_VM_CONSOLE"], ARGS.kernel.replace("/", "_"), ARGS.arch), "w") as f:
                f.write(cls.console)
        print("%s: VM run took %.0f s of wall time" % (cls.kernel, cls.wall), file=sys.stderr)
        # What the report cites: the attach path, what a hit and an attach cost, the leaks.
        for line in cls.console.splitlines():
            if re.match(r"gomapleak: (kernel|a probe hit costs|overhead budget)|\S+ LEAK ", line):
                print(line, file=sys.stderr)


class InVM(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        Guest.boot()

    def section(self, name, rc=0):
        self.assertIn(name, Guest.sections, "no section %s; console's end:\n%s"
                      % (name, Guest.console[-3000:]))
        got_rc, text = Guest.sections[name]
        if rc is not None:
            self.assertEqual(got_rc, rc, "%s exited %d:\n%s" % (name, got_rc, text[-3000:]))
        return text

    def expected_path(self):
        return ARGS.attach or ARGS.expect_path or EXPECTED_PATH.get(ARGS.kernel)

    def test_the_guest_ran_to_its_end_on_the_kernel_asked_for(self):
        self.section("done")
        release = self.section("kernel").strip()
        self.assertTrue(Guest.kernel.startswith("linux-image-" + release.split("-")[0]) or
                        release in Guest.kernel, (release, Guest.kernel))

    def test_inspect_names_the_map_implementation_kernel_and_path(self):
        for impl in BUILDS:
            text = self.section("inspect-" + impl)
            self.assertRegex(text, r"(?m)^maps:\s+%s$" % impl)
            self.assertRegex(text, r"(?m)^kernel:\s+\S+, probes attached by %s "
                             % re.escape(self.expected_path()))

    def test_late_attach_reaches_leak_at_the_fill_site_and_bloat_from_the_header(self):
        fill = marker_line("lateleaks", "fill-users1000")
        for impl in BUILDS:
            alerts = self.section("late-%s-alerts" % impl)
            self.assertRegex(alerts, r"(?m)^\S+ LEAK +growth map\[int\]string maps=\d+ .*"
                             r"filled=main\.runUsers1000\.func1 main\.go:%d " % fill)
            self.assertRegex(alerts, r"(?m)^\S+ (SUSPECT|LEAK) +bloat +map\[int\]int map=0x[0-9a-f]+ "
                             r"entries=\d+ peak=\d+ retained=")
            # The controls beside it: per-request maps and an LRU never leak.
            for marker in ("fill-perreq", "fill-lru"):
                self.assertNotRegex(alerts, r"LEAK .* main\.go:%d " % marker_line("lateleaks",
                                                                                  marker))
            stderr = self.section("late-%s-stderr" % impl)
            self.assertIn("probes attached by %s (" % self.expected_path(), stderr)

    def test_gomapleak_reports_no_failure_of_its_own(self):
        for name, (_, text) in Guest.sections.items():
            if name.endswith("-stderr"):
                self.assertNotRegex(text, r"gomapleak:.* (cannot|failed)", name)

    def test_the_budget_is_spent_and_accounted_on_this_path(self):
        # The hit counters read on every path (5.10 has no batched per-CPU lookups): bursts
        # ran and their cost is counted against the budget.
        for impl in BUILDS:
            m = re.search(r"overhead budget 1% of the target's ([\d.]+)s CPU: bursts and "
                          r"creations cost ~([\d.]+)s \(([\d.]+)%\) in (\d+) bursts",
                          self.section("late-%s-stderr" % impl))
            self.assertIsNotNone(m, impl)
            self.assertGreater(int(m[4]), 0, m[0])
            self.assertGreater(float(m[2]), 0, m[0])

    def test_metrics_are_scraped_and_pass_promtool(self):
        for impl in BUILDS:
            text = self.section("late-%s-metrics" % impl)
            self.assertRegex(text, r'(?m)^gomapleak_alerts_total\{kind="growth",state="LEAK"\} [1-9]')
            with tempfile.NamedTemporaryFile("w", prefix="gomapleak-vm-", suffix=".prom") as f:
                f.write(text)
                f.flush()
                with open(f.name) as metrics:
                    r = subprocess.run(["promtool", "check", "metrics"], stdin=metrics,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True)
            self.assertEqual(r.returncode, 0, r.stdout)

    def test_run_finds_the_nested_leak_from_the_first_map(self):
        alerts = self.section("run-alerts")
        self.assertRegex(alerts, r"(?m)^\S+ LEAK +nested map\[string\]map\[int\]string .*"
                         r"created=main\.NewCache main\.go:\d+ "
                         r"filled=main\.\(\*Cache\)\.Put main\.go:\d+")

    def test_exact_counts_match_the_programs_own(self):
        op = re.compile(r"(?m)^gomapleak:   (insert|delete|clear) +(\d+) map=(0x[0-9a-f]+) ")
        for impl in BUILDS:
            ran = re.search(r"(?m)^ran inserts=(\d+) deletes=(\d+) clears=(\d+) str=(\S+) "
                            r"64=(\S+) hint=(\S+)", self.section("exact-%s-program" % impl))
            self.assertIsNotNone(ran)
            maps = {"str": ran[4], "64": ran[5], "hint": ran[6]}
            counts = {}
            for kind, n, addr in op.findall(self.section("exact-%s-stderr" % impl)):
                counts[kind, addr] = counts.get((kind, addr), 0) + int(n)
            n = int(ran[1]) // 3
            want = {("insert", maps["str"]): n, ("insert", maps["64"]): n,
                    ("insert", maps["hint"]): n, ("delete", maps["str"]): n // 2,
                    ("delete", maps["64"]): n // 2, ("clear", maps["hint"]): 1}
            mine = {k: c for k, c in counts.items() if k[1] in maps.values()}
            self.assertEqual(mine, want, "%s:\n%s" % (impl, self.section("exact-%s-stderr" % impl)))
            self.assertEqual(sum(c for (kind, _), c in mine.items() if kind == "insert"),
                             int(ran[1]))
            self.assertEqual(sum(c for (kind, _), c in mine.items() if kind == "delete"),
                             int(ran[2]))

    def test_node_mode_names_each_leaking_process_one_found_by_its_exec(self):
        stderr = self.section("node-stderr")
        pids = re.search(r"(?m)^first pid (\d+), second pid (\d+)$", stderr)
        self.assertIsNotNone(pids, stderr)
        alerts = self.section("node-alerts")
        fill = marker_line("lateleaks", "fill-users1000")
        # Attached late: the inner maps' site group, at their fill site.
        self.assertRegex(alerts, r"(?m)^\S+ LEAK +growth pid=%s comm=\S+ map\[int\]string "
                         r".*filled=main\.runUsers1000\.func1 main\.go:%d " % (pids[1], fill))
        # Found by its exec: the outer map nested where its probes were in before the cache
        # was filled, else the inner maps' group as above (the attach races its start-up).
        self.assertRegex(alerts, r"(?m)^\S+ LEAK +(nested|growth) pid=%s comm=\S+ "
                         r"map\[(string\]map\[int\]string|int\]string) .*"
                         r"filled=main\.runUsers" % pids[2])

    def test_sigkill_leaves_no_probe_and_the_target_untouched(self):
        text = self.section("sigkill")
        fields = dict(re.findall(r"(?m)^([a-z ]+): (.*)$", text))
        self.assertGreater(int(fields["probes while attached"]), 0, text)
        self.assertEqual(fields["text before"], fields["text after"], text)
        self.assertEqual(fields["target alive"], "yes", text)
        after = text.split("--- bpftool perf list", 1)[1]
        self.assertNotIn("uprobe", after.split("--- bpftool link list", 1)[0], text)
        for name in PROGRAM_NAMES:
            self.assertNotRegex(after, r"\b%s\b" % name, text)


def main():
    """Each kernel's VM in turn: one VM at a time beside the other tests on 2 cores, not three
    (three at once starved each other under TCG)."""
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("kernels", nargs="+")
    parser.add_argument("--arch", default=vm.NATIVE, choices=sorted(vm.QEMU))
    parser.add_argument("--attach")
    parser.add_argument("--expect-path")
    parser.add_argument("--timeout", type=int, default=600)
    ARGS = parser.parse_args()
    failed = []
    for kernel in ARGS.kernels:
        ARGS.kernel = kernel
        Guest.sections = None
        print("== %s %s" % (kernel, ARGS.arch), file=sys.stderr)
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(InVM)
        if not unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful():
            failed.append(kernel)
    if failed:
        print("failed on: %s" % " ".join(failed), file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
