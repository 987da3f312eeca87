# SPDX-License-Identifier: GPL-2.0
"""/proc readers shared by the scripts and the integration tests: the one parser of
/proc/PID/stat on the Python side (user/proc/target.c is the C side's)."""
import os

PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def stat_fields(pid):
    """/proc/PID/stat's fields after the command name (which may hold spaces and
    parentheses): [0] is the state, [11] utime, [12] stime. Raises OSError if pid is gone."""
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()


def exited(pid):
    """True once pid has exited (a zombie left to a reaper counts as exited)."""
    try:
        return stat_fields(pid)[0] == "Z"
    except FileNotFoundError:
        return True


def cpu_seconds(pid):
    """pid's CPU so far, every thread's: (user, kernel) seconds."""
    fields = stat_fields(pid)
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def rss_bytes(pid):
    with open("/proc/%d/statm" % pid) as f:
        return int(f.read().split()[1]) * PAGE


def context_switches(pid):
    """Voluntary and involuntary context switches so far, summed over pid's threads."""
    total = 0
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, task)) as status:
                total += sum(int(line.split()[1]) for line in status if "ctxt_switches" in line)
        except OSError:
            pass  # a thread that exited since the listing
    return total
