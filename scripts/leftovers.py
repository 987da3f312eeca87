#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Finds what a test run left behind: processes and temporary directories.

Usage: leftovers.py snapshot FILE          (before the run: record what exists)
       leftovers.py check FILE ROOT...     (after: fail on anything new)

A process is the suite's if it is new and carries the environment meson gives
every test (GOMAPLEAK_SOURCE set to the first ROOT, the checkout), inherited by
whatever a test starts, reparented or not; other processes of the machine (a
shell's sleep, a system service) are not. A temporary directory is the
suite's if it is new in /tmp and its name starts with "gomapleak-", or is a
Go command's work folder ("go-build...", left when a go command the suite
ran, building targets or reading them with go tool, ended early). Exits 1
and names each one found; nothing is ended here.
"""
import json
import os
import sys
import time

import procfs

def processes():
    """{pid: environment (bytes)} of every live (not zombie) process that can be read."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if procfs.exited(int(name)):
                continue
            with open("/proc/%s/environ" % name, "rb") as f:
                out[int(name)] = f.read()
        except OSError:
            continue
    return out


TEMP_PREFIXES = ("gomapleak-", "go-build")


def temp_dirs():
    return sorted(n for n in os.listdir("/tmp") if n.startswith(TEMP_PREFIXES))


def snapshot(path):
    with open(path, "w") as f:
        json.dump({"pids": sorted(processes()), "tmp": temp_dirs()}, f)


def suites(environ, checkout):
    for var in environ.split(b"\0"):
        if var.startswith(b"GOMAPLEAK_SOURCE="):
            source = var.split(b"=", 1)[1].decode(errors="replace")
            return os.path.realpath(source) == os.path.realpath(checkout)
    return False


def found(before, roots):
    procs = {pid: "" for pid, env in processes().items()
             if pid not in before["pids"] and pid != os.getpid() and suites(env, roots[0])}
    dirs = [d for d in temp_dirs() if d not in before["tmp"]]
    return procs, dirs


def check(path, roots):
    with open(path) as f:
        before = json.load(f)
    before["pids"] = set(before["pids"])
    # A process killed by a test's last step may take a moment to go.
    for _ in range(50):
        procs, dirs = found(before, roots)
        if not procs and not dirs:
            return 0
        time.sleep(0.1)
    for pid in sorted(procs):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            cmd = ""
        print("left running: pid %d %s" % (pid, cmd))
    for d in dirs:
        print("left behind: /tmp/%s" % d)
    return 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "snapshot":
        snapshot(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3:]))
    else:
        sys.exit(__doc__)
