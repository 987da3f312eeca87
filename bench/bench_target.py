# SPDX-License-Identifier: GPL-2.0
"""What bench/bench.py and bench/bench_late.py share: the workload's shapes, the
budgets compared, reading the tracer's and the target's lines, the target's /proc usage."""
import os
import re
import sys

# procfs.py, the /proc reader the scripts and tests share, lives in scripts/.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import procfs  # noqa: E402

# mapbench arguments (after -mode mix) of each shape.
SHAPE_ARGS = {"mix": [], "grow": ["-reqsize", "16"],
              "make": ["-mode", "make", "-reqsize", "16"]}
# Configurations that run watch with a --budget of their own.
BUDGETS = {"watch": 1, "watch5": 5}
# The exit summary's line of what the bursts cost: group 2 is the share of the target's CPU.
BUDGET_RE = re.compile(r"cost ~([\d.]+)s \(([\d.]+)%\) in \d+ bursts")


def wait_line(stream, pred, what):
    for line in stream:
        if pred(line):
            return line
    raise RuntimeError("no %s" % what)


def usage_so_far(pid):
    """pid's CPU seconds (user, kernel) and context switches so far, every thread's."""
    user, kernel = procfs.cpu_seconds(pid)
    return {"user": user, "sys": kernel, "ctx": procfs.context_switches(pid)}
