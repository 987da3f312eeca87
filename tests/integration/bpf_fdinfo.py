# SPDX-License-Identifier: GPL-2.0
"""The BPF maps a process holds open, as the kernel tells them in /proc/PID/fdinfo
(used by the tests and by bench/bench_node.py)."""
import os


def bpf_maps(pid):
    """{map_id: fdinfo fields} of every BPF map pid holds, once each however many fds."""
    maps = {}
    fdinfo = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fdinfo):
        try:
            with open(os.path.join(fdinfo, fd)) as f:
                info = {k: v.strip() for k, v in (l.split(":", 1) for l in f if ":" in l)}
        except OSError:
            continue  # closed meanwhile
        if "map_id" in info:
            maps[info["map_id"]] = info
    return maps
