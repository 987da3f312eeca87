#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What gomapleak's BPF programs themselves cost a hit, apart from the trap:
the kernel's own accounting (kernel.bpf_stats_enabled: run time and count
per program) while `watch --exact` traces a map-heavy Go program.
Usage: bpf_prog_cost.py GOMAPLEAK BENCH_BINARY [MODE...]   (modes: insert, mix, make)

The figure includes the accounting's own clock reads: an empty program
measured ~76 ns a run on this project's machine (docs/performance.md).
"""
import json
import subprocess
import sys

STATS = "/proc/sys/kernel/bpf_stats_enabled"
PROGRAMS = ("map_insert", "map_delete", "make_map_allocated", "make_map_small", "make_map",
            "make_map_return", "swiss_grow_to_small", "hash_grow")


def prog_stats():
    out = subprocess.run(["bpftool", "prog", "show", "--json"], capture_output=True, text=True,
                         check=True).stdout
    # bpftool truncates names to 15 characters
    return {p["name"]: (p.get("run_time_ns", 0), p.get("run_cnt", 0)) for p in json.loads(out)
            if any(name.startswith(p.get("name", "-")) for name in PROGRAMS)}


def measure(gomapleak, binary, mode):
    bench = subprocess.Popen([binary, "-mode", mode, "-wait", "-d", "3s"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    tracer = None
    try:
        bench.stdout.readline()
        tracer = subprocess.Popen([gomapleak, "watch", "--exact", "-p", str(bench.pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in tracer.stderr:
            if "attached" in line:
                break
        bench.stdin.write("go\n")
        bench.stdin.flush()
        result = bench.stdout.readline().split()
        stats = prog_stats()  # before the tracer detaches: its programs still loaded
    finally:
        if tracer:
            tracer.send_signal(2)
            tracer.communicate()
        bench.wait()
    print("== %s -mode %s: %s rounds/s under watch --exact" % (binary, mode, result[3]))
    for name, (ns, count) in sorted(stats.items()):
        if count:
            print("  %-20s %10d runs %8.1f ns a run" % (name, count, ns / count))


def main():
    gomapleak, binary = sys.argv[1], sys.argv[2]
    with open(STATS) as f:
        before = f.read().strip()
    with open(STATS, "w") as f:
        f.write("1")
    try:
        for mode in sys.argv[3:] or ["insert", "mix", "make"]:
            measure(gomapleak, binary, mode)
    finally:
        with open(STATS, "w") as f:
            f.write(before)


if __name__ == "__main__":
    main()
