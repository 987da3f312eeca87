# SPDX-License-Identifier: GPL-2.0
"""Helpers for integration tests: real Go targets, the real gomapleak, real BPF.

Every process a test starts is ended by the test, by PID, in a finally block.
"""
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
import unittest

GOMAPLEAK = os.environ["GOMAPLEAK"]
TARGETS = os.environ["GOMAPLEAK_TARGETS"]
SOURCE = os.environ["GOMAPLEAK_SOURCE"]
# Set by the meson tests of a forced attach path: every tracer a test starts takes --attach.
ATTACH = os.environ.get("GOMAPLEAK_ATTACH")

EVENT_RE = re.compile(
    r"^(?P<time>\S+) pid=(?P<pid>\d+) (?:grow=(?P<kind>\S+)|(?P<create>create)) "
    r"map=(?P<map>0x[0-9a-f]+) type=(?P<type>\"[^\"]*\"|0x[0-9a-f]+|\?) "
    r"(?:entries=(?P<entries>\d+) (?P<sizename>B|capacity)=(?P<size>\d+)|hint=(?P<hint>\d+)) "
    r"caller=(?P<caller>\S+) "
    r"site=(?:\?|(?P<site_func>\S+) (?P<site_file>[^ :]+):(?P<site_line>\d+))$")


def parse_event(line):
    """A trace output line as a dict (kind "create" for creations), or None."""
    m = EVENT_RE.match(line)
    if not m:
        return None
    e = m.groupdict()
    if e.pop("create"):
        e["kind"] = "create"
    return e


def variants():
    """tests/targets/variants.txt as dicts: name, series, experiment, impl."""
    out = []
    with open(os.path.join(SOURCE, "tests/targets/variants.txt")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, series, experiment, impl = line.split()[:4]
            out.append({"name": name, "minor": int(series.split(".")[1]),
                        "experiment": "" if experiment == "-" else experiment, "impl": impl})
    return out


def variant(name):
    for v in variants():
        if v["name"] == name:
            return v
    raise KeyError(name)


def marker_line(target, marker, file="main.go"):
    """Line number of the source line in tests/targets/TARGET/FILE carrying // gomapleak:MARKER."""
    with open(os.path.join(SOURCE, "tests/targets", target, file)) as f:
        for number, line in enumerate(f, 1):
            if "// gomapleak:" + marker in line:
                return number
    raise KeyError(marker)


def target_path(variant_name, flavor, target):
    """A built target. Only the flavors its tests/targets/TARGET/flavors lists are built: a
    stale one left in a shared cache must not let a test pass on one machine alone."""
    flavors = os.path.join(SOURCE, "tests/targets", target, "flavors")
    if os.path.exists(flavors):
        with open(flavors) as f:
            built = f.read().split()
    else:
        built = ["default", "stripped-pie"]  # build.sh's DEFAULT_FLAVORS
    if flavor not in built:
        raise AssertionError("%s is not built as %s (tests/targets/%s/flavors: %s)"
                             % (target, flavor, target, " ".join(built)))
    return os.path.join(TARGETS, variant_name, flavor, target)


def note_text(line):
    """gomapleak's note as its text line: under --json a note is {"event":"note",...}."""
    if not line.startswith('{"event":"note"'):
        return line
    note = json.loads(line)
    who = " pid=%d comm=%s" % (note["pid"], note["comm"]) if "pid" in note else ""
    return "gomapleak:%s %s" % (who, note["message"])


class Lines:
    """Reads a pipe line by line on a thread, so tests can wait with timeouts.

    With notes_as_text (stderr), gomapleak's notes written as JSON (--json) are read as
    their text lines, so that a test reads them one way; raw keeps the lines as written.
    """

    def __init__(self, pipe, notes_as_text=False):
        self.q = queue.Queue()
        self.all = []
        self.raw = []
        self.notes_as_text = notes_as_text
        self.t = threading.Thread(target=self._pump, args=(pipe,), daemon=True)
        self.t.start()

    def _pump(self, pipe):
        for line in iter(pipe.readline, ""):
            line = line.rstrip("\n")
            self.raw.append(line)
            self.q.put(note_text(line) if self.notes_as_text else line)
        self.q.put(None)

    def wait_for(self, pred, timeout=15.0):
        """Returns the first new line for which pred is true; fails after timeout."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out; lines so far: %r" % self.all[-20:])
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("stream ended; lines: %r" % self.all[-20:])
            self.all.append(line)
            if pred(line):
                return line

    def rest(self, timeout=10.0):
        """Everything up to end of stream (the process must be exiting)."""
        self.t.join(timeout)
        while True:
            try:
                line = self.q.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.all.append(line)
        return self.all


class Process:
    def __init__(self, argv, stdin=True):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  bufsize=1)
        self.pid = self.p.pid
        self.out = Lines(self.p.stdout)
        self.err = Lines(self.p.stderr, notes_as_text=True)

    def send(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def signal(self, sig):
        if self.p.poll() is None:
            os.kill(self.pid, sig)

    def wait(self, timeout=15.0):
        return self.p.wait(timeout)

    def end(self):
        """Ends this process if still running (by PID) and reaps it."""
        if self.p.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
        self.p.wait(10)
        for f in (self.p.stdin, self.p.stdout, self.p.stderr):
            if f:
                try:
                    f.close()
                except OSError:
                    pass


def end_pid(pid):
    """Ends a process this test caused to start (not its child), by PID, if it still runs."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def start_target(path, *args):
    t = Process([path, *args])
    t.out.wait_for(lambda l: l == "ready")
    return t


def gomapleak(command, *args):
    """gomapleak COMMAND ARGS, on the attach path the test run forces (GOMAPLEAK_ATTACH)."""
    return [GOMAPLEAK, command] + (["--attach=" + ATTACH] if ATTACH else []) + list(args)


def start_watch(pid, *args, command="trace"):
    """Attaches gomapleak COMMAND (trace: raw events; watch: alerts) to pid."""
    w = Process(gomapleak(command, "-p", str(pid), *args), stdin=False)
    w.err.wait_for(lambda l: l.startswith("gomapleak: attached to %d " % pid))
    return w


OP_RE = re.compile(r"^gomapleak:   (?P<op>insert|delete|clear|overflow) +(?P<count>\d+) "
                   r"map=(?P<map>0x[0-9a-f]+) site=(?P<site_func>\S+) (?P<site_file>[^ :]+):(?P<site_line>\d+)$")


def op_counts(stderr_lines):
    """--exact's operation lines (trace or watch): {(op, map, func, file, line): count}."""
    out = {}
    for m in filter(None, map(OP_RE.match, stderr_lines)):
        key = (m["op"], m["map"], m["site_func"], m["site_file"], int(m["site_line"]))
        out[key] = out.get(key, 0) + int(m["count"])
    return out


OPS_HEADER_RE = re.compile(r"^gomapleak: map operations \(--exact\), .*; counted(?P<times>( \w+ [\d.]+s)*):$")


def op_counted_seconds(stderr_lines):
    """--exact's seconds each operation was counted, from the table's header: {op: seconds}."""
    for m in filter(None, map(OPS_HEADER_RE.match, stderr_lines)):
        return {op: float(s) for op, s in re.findall(r"(\w+) ([\d.]+)s", m["times"])}
    raise AssertionError("no --exact table in %r" % stderr_lines)


def json_lines(lines):
    """The JSON objects among lines (--json output, one object a line)."""
    return [json.loads(l) for l in lines if l.startswith("{")]


def stop_watch(w, sig=signal.SIGINT):
    """Stops the tracer with sig; returns (exit code, events, stderr lines)."""
    w.signal(sig)
    rc = w.wait()
    events = [e for e in map(parse_event, w.out.rest()) if e]
    return rc, events, w.err.rest()


class TargetTestCase(unittest.TestCase):
    """A test that starts targets and tracers: every one is ended, by PID, after the test.

    Subclasses set self.path (the target binary) in setUp and call super().setUp().
    """

    def setUp(self):
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            p.end()

    def target(self, *args):
        t = start_target(self.path, *args)
        self.procs.append(t)
        return t

    def watch(self, pid, *args, command="trace"):
        w = start_watch(pid, *args, command=command)
        self.procs.append(w)
        return w

    def budget_line(self, stderr_lines):
        """The exit summary's one line of what the bursts cost against the default budget."""
        lines = [l for l in stderr_lines
                 if l.startswith("gomapleak: overhead budget 1% of the target")]
        self.assertEqual(len(lines), 1, stderr_lines)
        return lines[0]


def text_mappings(pid, exe):
    """pid's executable mappings of its binary exe: [(start, end, file offset)]."""
    out = []
    with open("/proc/%d/maps" % pid) as maps:
        for line in maps:
            fields = line.split()
            if len(fields) < 6 or "x" not in fields[1] or fields[5] != exe:
                continue
            start, end = (int(a, 16) for a in fields[0].split("-"))
            out.append((start, end, int(fields[2], 16)))
    return out


def text_changes(pid):
    """Executable mappings of pid's binary that differ from the file: [(address, offset)].

    A uprobe replaces an instruction in the process's copy of the text with a
    breakpoint, and its removal restores it: the text equals the file again
    exactly when no probe is left in this process.
    """
    exe = os.readlink("/proc/%d/exe" % pid)
    changed = []
    with open("/proc/%d/mem" % pid, "rb") as mem, open(exe, "rb") as binary:
        for start, end, offset in text_mappings(pid, exe):
            binary.seek(offset)
            want = binary.read(end - start)
            mem.seek(start)
            if mem.read(len(want)) != want:
                changed.append((start, offset))
    return changed


def text_bytes(pid, file_offsets):
    """The bytes of pid's copy of its binary's text at file_offsets (0xcc: a breakpoint)."""
    out = {}
    with open("/proc/%d/mem" % pid, "rb") as mem:
        for start, end, offset in text_mappings(pid, os.readlink("/proc/%d/exe" % pid)):
            for want in file_offsets:
                if offset <= want < offset + end - start:
                    mem.seek(start + want - offset)
                    out[want] = mem.read(1)[0]
    return out


def run(argv, timeout=30):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def classic_over_load(count, b, load_factor_num, load_factor_den=2, bucket_cnt=8):
    """runtime.overLoadFactor."""
    return count > bucket_cnt and count > load_factor_num * ((1 << b) // load_factor_den)


def classic_growths(n, load_factor_num, hint=0):
    """B before each doubling while inserting n new keys into an empty classic map.

    makemap picks the smallest B for which the hint is not over the load factor.
    mapassign* calls hashGrow when inserting a new key and
    overLoadFactor(count+1, B) = count+1 > bucketCnt &&
                                 count+1 > loadFactorNum*(2^B/loadFactorDen).
    Evacuation finishes long before the next threshold (each insert evacuates
    at least one of the 2^(B-1) old buckets while the count doubles), so no
    doubling is skipped. Same-size grows need noverflow >= 2^B, which inserts
    of distinct keys into a map under its load factor do not reach here.
    """
    b, out = 0, []
    while classic_over_load(hint, b, load_factor_num):
        b += 1
    for count in range(n):
        if classic_over_load(count + 1, b, load_factor_num):
            out.append(("double", b))
            b += 1
    return out


def swiss_growths(n, hint=0):
    """(kind, capacity) of each growth while inserting n new keys into an empty Swiss map.

    With a hint > 8, maps.NewMap sizes the first table for hint*8/7 slots,
    rounded up to a power of two (one table while that is <= 1024).
    makemap_small leaves dirPtr nil: the first insert calls growToSmall (one
    8-slot group). The 9th new key finds the group full: growToTable moves the
    8 entries into a 16-slot table. A table holds capacity*7/8 entries
    (growthLeft); inserting into a full table calls rehash, which grows to
    2*capacity while that is <= 1024 and splits into two 1024-slot tables
    beyond (which table fills first depends on the hash seed).
    """
    out, used, capacity = [], 0, 0
    if hint > 8:
        capacity = 1 << ((hint * 8 // 7) - 1).bit_length()
        assert capacity <= 1024
    for _ in range(n):
        if capacity == 0:
            out.append(("to-small", 8))
            capacity = 8
        elif capacity == 8 and used == 8:
            out.append(("to-table", 16))
            capacity = 16
        elif capacity >= 16 and used == capacity * 7 // 8:
            if capacity * 2 > 1024:
                break  # splits: seed-dependent, checked separately
            capacity *= 2
            out.append(("table-grow", capacity))
        used += 1
    return out


def wait_for_leaks(w, wanted, key_of, timeout=60.0):
    """Reads watch --json output until each key_of(alert) in wanted has been LEAK."""
    missing = set(wanted)

    def progress(line):
        if line.startswith("{"):
            a = json.loads(line)
            if a["event"] == "alert" and a["state"] == "LEAK":
                missing.discard(key_of(a))
        return not missing

    try:
        w.out.wait_for(progress, timeout)
    except AssertionError:
        # Its exit summary says what it saw: bursts and their cost, estimates, events and
        # operations lost. A leak missed now and then is understood from that, or not at all.
        w.signal(signal.SIGINT)
        try:
            w.wait(30)
        except subprocess.TimeoutExpired:
            pass
        raise AssertionError("no LEAK for %r; alerts: %r; gomapleak's stderr ends: %r" % (
            missing, [l for l in w.out.all if '"alert"' in l], w.err.rest()[-40:]))
