#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Go's own map tests under the tracer: the runtime package's map tests and,
with Swiss maps, the whole internal/runtime/maps package, built by
tests/targets/build.sh with the variant's toolchain, run three ways: untraced,
under `gomapleak run` and under `gomapleak run --exact`. The same tests must
pass each way: a failure only under the tracer is a gomapleak bug.
Prints one line a run (the closing note's table). Usage: test_runtime_maps.py VARIANT
"""
import os
import re
import subprocess
import sys
import time
import unittest

import gml

VARIANT = sys.argv[1]
del sys.argv[1]

# The runtime package's map tests (and the hash function's, which maps use);
# internal/runtime/maps is all map tests.
RUNS = {"runtime.test": ["-test.run", "Map|Swiss|Hash"], "maps.test": []}
PASSED_RE = re.compile(r"^\s*--- PASS: (\S+)", re.M)


class RuntimeMaps(unittest.TestCase):
    def run_tests(self, binary, tracer):
        argv = [*tracer, binary, *RUNS[os.path.basename(binary)], "-test.short",
                "-test.count=1", "-test.v"]
        start = time.monotonic()
        r = subprocess.run(argv, capture_output=True, text=True, timeout=600,
                           cwd=os.path.dirname(binary))
        seconds = time.monotonic() - start
        passed = set(PASSED_RE.findall(r.stdout))
        print("%s %s %s: exit %d, %d passed, %.1fs" % (
            VARIANT, os.path.basename(binary), " ".join(tracer[1:]) or "untraced",
            r.returncode, len(passed), seconds), file=sys.stderr)
        self.assertEqual(r.returncode, 0, (argv, r.stdout[-3000:], r.stderr[-3000:]))
        self.assertNotIn("--- FAIL", r.stdout)
        self.assertEqual(r.stdout.rstrip().splitlines()[-1], "PASS", r.stdout[-2000:])
        return passed, r.stderr

    def check(self, name):
        binary = os.path.join(gml.TARGETS, VARIANT, "gotests", name)
        untraced, _ = self.run_tests(binary, [])
        self.assertGreater(len(untraced), 5)
        for tracer in ([gml.GOMAPLEAK, "run", "--"], [gml.GOMAPLEAK, "run", "--exact", "--"]):
            with self.subTest(tracer=tracer[1:]):
                traced, err = self.run_tests(binary, tracer)
                self.assertEqual(traced, untraced)
                detached = [l for l in err.splitlines() if l.startswith("gomapleak: detached")]
                self.assertEqual(len(detached), 1, err[-3000:])
                self.assertIn("(target exited)", detached[0])
                self.assertRegex(detached[0], r"[1-9]\d* events, 0 lost")

    def test_runtime_map_tests(self):
        self.check("runtime.test")

    if gml.variant(VARIANT)["impl"] == "swiss":  # the package of the maps in use
        def test_internal_runtime_maps_package(self):
            self.check("maps.test")


if __name__ == "__main__":
    unittest.main(verbosity=2)
