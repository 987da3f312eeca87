# SPDX-License-Identifier: GPL-2.0
"""Boots a Debian kernel in QEMU (TCG: these machines have no KVM) with an initramfs holding
gomapleak, the libraries it loads, bpftool, busybox and the Go targets, runs tests/vm/guest.sh
in it and hands back what the guest printed, section by section.

The kernels and busybox come from Debian's own packages, fetched by scripts/fetch_vm.sh into
the cache as the Go toolchains are. Nothing here writes outside a temporary folder of its own.
"""
import gzip
import io
import os
import re
import shutil
import subprocess
import tempfile
import time

SOURCE = os.environ.get("GOMAPLEAK_SOURCE",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CACHE = os.environ.get("GOMAPLEAK_CACHE", "/var/cache/gomapleak")

# The kernels the test command boots: Debian 11's 5.10, 12's 6.1 and 13's 6.12.
DEFAULT_SUITES = ("bullseye", "bookworm", "trixie")

# How each architecture's VM is made: QEMU's program and machine, and the kernel's console.
QEMU = {"amd64": ["qemu-system-x86_64", "-machine", "q35"],
        "arm64": ["qemu-system-aarch64", "-machine", "virt", "-cpu", "cortex-a57"]}
CONSOLE = {"amd64": "ttyS0", "arm64": "ttyAMA0"}
# The architecture this machine runs, as Debian and Go spell it.
NATIVE = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, "amd64")
# Where another architecture's libraries and bpftool come from: Debian's packages, unpacked
# by scripts/cross_arm64.sh (which cross-builds gomapleak against them).
SYSROOT = {"arm64": os.path.join(CACHE, "arm64", "sysroot")}
LIB_DIRS = {"arm64": ("lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu")}


def fetch(suite_or_deb, arch="amd64"):
    """The vmlinuz of a Debian suite's cloud kernel (or of a linux-image .deb), and busybox, in
    the cache: (vmlinuz path, kernel package name)."""
    out = subprocess.run([os.path.join(SOURCE, "scripts/fetch_vm.sh"), suite_or_deb, arch],
                         check=True, stdout=subprocess.PIPE, text=True).stdout.split()
    return out[0], out[1]


def busybox(arch="amd64"):
    return os.path.join(CACHE, "vm", "busybox-" + arch, "bin", "busybox")


class Cpio:
    """A newc archive built in memory: the format the kernel unpacks as its initramfs."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 1
        self.dirs = set()

    def _entry(self, name, mode, data=b"", nlink=1):
        header = "070701" + "".join("%08X" % v for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0))
        self.ino += 1
        self.buf.write(header.encode() + name.encode() + b"\0")
        self._pad()
        self.buf.write(data)
        self._pad()

    def _pad(self):
        self.buf.write(b"\0" * (-self.buf.tell() % 4))

    def mkdir(self, path):
        path = path.strip("/")
        parts = path.split("/")
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d and d not in self.dirs:
                self.dirs.add(d)
                self._entry(d, 0o040755, nlink=2)

    def add(self, path, data, mode=0o100755):
        path = path.strip("/")
        self.mkdir(os.path.dirname(path))
        self._entry(path, mode, data)

    def add_file(self, path, src):
        with open(src, "rb") as f:
            self.add(path, f.read(), 0o100000 | (os.stat(src).st_mode & 0o777))

    def symlink(self, path, target):
        path = path.strip("/")
        self.mkdir(os.path.dirname(path))
        self._entry(path, 0o120777, target.encode())

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return self.buf.getvalue()


def shared_libraries(binary, arch="amd64"):
    """The libraries binary loads and its dynamic loader: [(path in the guest, file here)], as
    ldd resolves them on this machine, or for another architecture from its sysroot."""
    if arch != NATIVE:
        return foreign_libraries(binary, arch)
    # A static executable has none (ldd says so and exits 1).
    out = subprocess.run(["ldd", binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True).stdout
    libs = []
    for line in out.splitlines():
        m = re.search(r"(/\S+) \(0x", line)
        if m:
            libs.append((m.group(1), os.path.realpath(m.group(1))))
    return libs


def elf_dynamic(binary):
    """(interpreter or None, [NEEDED sonames]) of an ELF file of any architecture."""
    out = subprocess.run(["llvm-readelf", "--program-headers", "--dynamic", binary], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    interp = re.search(r"Requesting program interpreter: (\S+)\]", out)
    return (interp.group(1) if interp else None,
            re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", out))


def foreign_libraries(binary, arch):
    """What ldd would say for another architecture's binary, from its sysroot: the loader
    and every NEEDED library, transitively."""
    root = SYSROOT[arch]
    interp, needed = elf_dynamic(binary)
    libs = [(interp, os.path.realpath(os.path.join(root, interp.lstrip("/"))))] if interp else []
    seen = set()
    while needed:
        soname = needed.pop()
        if soname in seen:
            continue
        seen.add(soname)
        for d in LIB_DIRS[arch]:
            here = os.path.join(root, d, soname)
            if os.path.exists(here):
                libs.append(("/" + d + "/" + soname, os.path.realpath(here)))
                needed.extend(elf_dynamic(here)[1])
                break
        else:
            raise FileNotFoundError("%s: %s not in %s" % (binary, soname, root))
    return libs


def bpftool(arch="amd64"):
    if arch != NATIVE:
        return os.path.join(SYSROOT[arch], "usr", "sbin", "bpftool")
    return shutil.which("bpftool") or "/usr/sbin/bpftool"


def initramfs(gomapleak, targets, arch="amd64"):
    """gzip'd cpio: busybox as /bin/*, gomapleak and bpftool with their libraries, the guest
    script as /init's work, and targets {name in the guest: path here} under /targets."""
    c = Cpio()
    c.add_file("bin/busybox", busybox(arch))
    for d in ("proc", "sys", "dev", "tmp", "run", "sbin", "usr/bin", "usr/sbin"):
        c.mkdir(d)
    programs = {"bin/gomapleak": gomapleak, "bin/bpftool": bpftool(arch)}
    # PIE Go targets need the dynamic loader too.
    programs.update({os.path.join("targets", name): src for name, src in targets.items()})
    seen = set()
    for dest, src in sorted(programs.items()):
        c.add_file(dest, src)
        for lib, real in shared_libraries(src, arch):
            if lib not in seen:
                seen.add(lib)
                c.add_file(lib, real)
    c.add_file("guest.sh", os.path.join(SOURCE, "tests/vm/guest.sh"))
    c.add("init", b"#!/bin/busybox sh\n/bin/busybox --install -s /bin\nexec /bin/sh /guest.sh\n")
    return gzip.compress(c.finish(), compresslevel=1)


def boot(vmlinuz, initrd_bytes, arch="amd64", memory_mb=1536, cpus=2, timeout=600, args=""):
    """Boots the kernel with the initramfs; returns (console text, wall seconds). The guest
    powers itself off; a guest that hangs is killed at timeout."""
    with tempfile.TemporaryDirectory(prefix="gomapleak-vm-") as tmp:
        initrd = os.path.join(tmp, "initrd.gz")
        with open(initrd, "wb") as f:
            f.write(initrd_bytes)
        console = os.path.join(tmp, "console")
        argv = QEMU[arch] + ["-accel", "tcg,thread=multi",
                "-smp", str(cpus), "-m", str(memory_mb),
                "-nographic", "-no-reboot", "-nodefaults", "-serial", "file:" + console,
                "-kernel", vmlinuz, "-initrd", initrd,
                "-append", "console=%s rdinit=/init panic=-1 loglevel=4 %s" % (CONSOLE[arch],
                                                                                 args)]
        start = time.monotonic()
        qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            _, err = qemu.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            qemu.kill()
            qemu.wait()
            err = b"(killed after %d s)" % timeout
        wall = time.monotonic() - start
        with open(console, "rb") as f:
            text = f.read().decode("utf-8", "replace").replace("\r", "")
        if qemu.returncode:
            text += "\n@@@ QEMU exited %s: %s\n" % (qemu.returncode, err.decode("utf-8", "replace"))
        return text, wall


SECTION_RE = re.compile(r"^@@@ BEGIN (\S+)$\n(.*?)^@@@ END \1 rc=(-?\d+)$", re.M | re.S)


def sections(console):
    """{name: (exit code, text)} of the guest's sections."""
    return {m.group(1): (int(m.group(3)), m.group(2)) for m in SECTION_RE.finditer(console)}
