#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gomapleak inspect on every toolchain's builds, stripped, PIE and cgo included.

The JSON plan must name the right Go version and map implementation, place
every growth probe after the function's first instruction on a push or jbe
(arm64 builds: the stack check's b.ls), and agree with `go tool nm` of the
unstripped twin on each function's entry.
"""
import json
import os
import subprocess
import unittest

import gml

FLAVORS = {"default": "default", "stripped": "default", "stripped-pie": "pie",
           "cgo-ext-stripped": "cgo-ext"}
GROWTH = {"classic": ["runtime.hashGrow"],
          "swiss": ["internal/runtime/maps.(*Map).growToSmall",
                    "internal/runtime/maps.(*Map).growToTable",
                    "internal/runtime/maps.(*table).grow",
                    "internal/runtime/maps.(*table).split"]}


def go_nm(minor, path):
    go = os.path.join(os.environ["GOMAPLEAK_CACHE"], "go/1.%d/usr/lib/go-1.%d/bin/go" % (minor, minor))
    out = subprocess.run([go, "tool", "nm", path], capture_output=True, text=True, check=True).stdout
    return {l.split()[2]: int(l.split()[0], 16) for l in out.splitlines() if len(l.split()) == 3}


class Inspect(unittest.TestCase):
    def inspect(self, path):
        r = gml.run([gml.GOMAPLEAK, "inspect", "--json", path])
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_plans_match_go_tool_nm_on_every_variant_and_flavor(self):
        for v in gml.variants():
            for flavor, twin in FLAVORS.items():
                with self.subTest(variant=v["name"], flavor=flavor):
                    plan = self.inspect(gml.target_path(v["name"], flavor, "growonce"))
                    nm = go_nm(v["minor"], gml.target_path(v["name"], twin, "growonce"))
                    self.check(plan, v, flavor, nm)

    def check(self, plan, v, flavor, nm):
        self.assertTrue(plan["go_version"].startswith("go1.%d." % v["minor"]), plan["go_version"])
        self.assertEqual(plan["map_implementation"], v["impl"])
        self.assertEqual(plan["pie"], flavor != "default" and flavor != "stripped")
        self.assertEqual(plan["goexperiment"] or "", v["experiment"])
        # watch attaches the growth group; --exact every function present.
        traced = [p["function"] for p in plan["probes"] if p["traced"]]
        self.assertEqual(traced, GROWTH[v["impl"]])
        self.assertEqual([p["function"] for p in plan["probes"] if p["group"] == "growth"],
                         GROWTH[v["impl"]])
        for p in plan["probes"]:
            self.assertEqual(p["exact_only"], p["group"] != "growth")
        for p in plan["probes"]:
            if p["status"] != "ok":
                self.assertIn(p["status"], ("absent", "refused"))
                self.assertTrue(p["reason"])
                continue
            self.assertEqual(p["entry"], nm[p["function"]], p["function"])
            self.assertGreater(p["probe_offset"], 0)
            self.assertEqual(p["drops_morestack_pass"], p["instruction"].startswith("jbe"))
            # makemap_small from Go 1.22 is read just after its allocation, in its body.
            in_body = p["function"] == "runtime.makemap_small" and v["minor"] >= 22
            self.assertEqual(p["result_in_body"], in_body, p)
            if in_body:
                self.assertIn(p["instruction"].split()[0], ("nop", "call"))
                continue
            self.assertTrue(p["instruction"] == "push rbp" or p["instruction"].startswith("jbe"))
            self.assertTrue(p["ret_offsets"])
            for ret in p["ret_offsets"]:
                self.assertLess(ret, p["size"])
        # The program inserts into map[int64]int64: its fast64 variant is planned.
        fast64 = [p for p in plan["probes"] if p["function"] == "runtime.mapassign_fast64"]
        self.assertEqual(fast64[0]["status"], "ok")

    def test_arm64_builds_are_read_and_planned_here_but_not_traced(self):
        # Cross-built by every toolchain: the plain build's entries agree with go tool nm of
        # it, the stripped PIE plans the same functions, every probe is the stack check's
        # b.ls, and no attach path is named.
        for v in gml.variants():
            nm = go_nm(v["minor"], gml.target_path(v["name"], "arm64", "growonce"))
            planned = {}
            for flavor in ("arm64", "arm64-stripped-pie"):
                with self.subTest(variant=v["name"], flavor=flavor):
                    plan = self.inspect(gml.target_path(v["name"], flavor, "growonce"))
                    self.assertEqual(plan["arch"], "arm64")
                    self.assertIsNone(plan["attach_path"])
                    self.assertEqual(plan["map_implementation"], v["impl"])
                    self.assertEqual(plan["pie"], flavor != "arm64")
                    self.assertEqual([p["function"] for p in plan["probes"] if p["traced"]],
                                     GROWTH[v["impl"]])
                    for p in plan["probes"]:
                        if p["status"] == "absent":
                            continue
                        self.assertEqual(p["status"], "ok", p)
                        if flavor == "arm64":
                            self.assertEqual(p["entry"], nm[p["function"]], p["function"])
                        self.assertTrue(p["instruction"].startswith("b.ls"), p)
                        self.assertIn(p["probe_offset"], (8, 12, 16, 20), p)
                        self.assertTrue(p["drops_morestack_pass"])
                        self.assertFalse(p["result_in_body"])
                        self.assertTrue(p["ret_offsets"])
                    planned[flavor] = [p["function"] for p in plan["probes"]
                                       if p["status"] == "ok"]
            self.assertEqual(planned["arm64"], planned["arm64-stripped-pie"])
        amd64 = self.inspect(gml.target_path("go1.26", "default", "growonce"))
        self.assertEqual(amd64["arch"], "amd64")
        self.assertIsNotNone(amd64["attach_path"])

    def test_inspect_by_pid_reads_the_running_executable(self):
        t = gml.start_target(gml.target_path("go1.26", "stripped-pie", "growonce"))
        try:
            plan = self.inspect_pid(t.pid)
        finally:
            t.end()
        self.assertEqual(plan["binary"], "/proc/%d/exe" % t.pid)
        self.assertEqual(plan["map_implementation"], "swiss")

    def inspect_pid(self, pid):
        r = gml.run([gml.GOMAPLEAK, "inspect", "--json", "-p", str(pid)])
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_debian_prometheus(self):
        plan = self.inspect("/usr/bin/prometheus")
        self.assertEqual(plan["map_implementation"], "classic")
        self.assertGreater(plan["functions"], 20000)
        self.assertEqual([p["function"] for p in plan["probes"] if p["traced"]],
                         ["runtime.hashGrow"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
