#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Finds what a test run left behind: processes and temporary directories.

Usage: leftovers.py snapshot FILE          (before the run: record what exists)
       leftovers.py check FILE ROOT...     (after: fail on anything new)

A process is the suite's if it is new and its executable lies under one of
the ROOTs (the checkout, the cache of toolchains and targets) or is one the
tests run from the system (prometheus, sleep). A temporary directory is the
suite's if it is new in /tmp and its name starts with "gomapleak-". Exits 1
and names each one found; nothing is ended here.
"""
import json
import os
import sys
import time

SYSTEM_PROGRAMS = ("/usr/bin/prometheus", "/usr/bin/sleep", "/bin/sleep")


def processes():
    """{pid: executable} of every live (not zombie) process that can be read."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
            out[int(name)] = os.readlink("/proc/%s/exe" % name)
        except OSError:
            continue
    return out


def temp_dirs():
    return sorted(n for n in os.listdir("/tmp") if n.startswith("gomapleak-"))


def snapshot(path):
    with open(path, "w") as f:
        json.dump({"pids": sorted(processes()), "tmp": temp_dirs()}, f)


def suites(exe, roots):
    exe = exe.removesuffix(" (deleted)")
    return exe in SYSTEM_PROGRAMS or any(exe.startswith(r.rstrip("/") + "/") for r in roots)


def found(before, roots):
    procs = {pid: exe for pid, exe in processes().items()
             if pid not in before["pids"] and pid != os.getpid() and suites(exe, roots)}
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
    for pid, exe in sorted(procs.items()):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            cmd = ""
        print("left running: pid %d %s" % (pid, cmd or exe))
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
