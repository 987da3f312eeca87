#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gomapleak inspect on every toolchain's builds, stripped, PIE and cgo included.

The JSON plan must name the right Go version and map implementation, place
every growth probe after the function's first instruction on a push or jbe,
and agree with `go tool nm` of the unstripped twin on each function's entry.
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
