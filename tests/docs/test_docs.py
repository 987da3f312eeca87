#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The docs: meson install puts the man page in man8, groff renders it without
a warning, it documents every option the commands' -h lists; the alerting
rules in docs/metrics.md pass promtool; the DaemonSet and PodMonitor in docs/kubernetes.md
parses, asks for hostPID and exactly BPF, PERFMON and SYS_PTRACE, and uses
only options gomapleak has. Every repository path a comment, a doc or a
script names exists, and every BPF map user space resizes at load says so
where it is declared.
Usage: test_docs.py BUILD_DIR
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

BUILD = sys.argv[1]
del sys.argv[1]
SOURCE = os.environ["GOMAPLEAK_SOURCE"]
PAGE = os.path.join(SOURCE, "docs/gomapleak.8")


class ManPage(unittest.TestCase):
    def test_meson_install_puts_it_in_man8(self):
        with tempfile.TemporaryDirectory() as dest:
            r = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet",
                                "--destdir", dest], capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            installed = [os.path.join(d, f) for d, _, files in os.walk(dest) for f in files]
            self.assertTrue([p for p in installed if p.endswith("/share/man/man8/gomapleak.8")],
                            installed)
            self.assertTrue([p for p in installed if p.endswith("/sbin/gomapleak")], installed)

    def test_groff_renders_it_without_warnings(self):
        r = subprocess.run(["groff", "-man", "-ww", "-z", PAGE], capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_every_option_is_documented(self):
        with open(PAGE) as f:
            page = f.read().replace("\\-", "-")
        for command in ("watch", "run", "trace", "inspect"):
            r = subprocess.run([os.environ["GOMAPLEAK"], command, "-h"], capture_output=True,
                               text=True)
            options = set(re.findall(r"^\s+(?:-\w, )?--([a-z-]+)", r.stdout, re.M))
            options -= {"help", "usage"}
            for option in options:
                with self.subTest(command=command, option=option):
                    self.assertIn("--" + option, page)


class MetricsDoc(unittest.TestCase):
    def test_the_alerting_rules_pass_promtool(self):
        with open(os.path.join(SOURCE, "docs/metrics.md")) as f:
            blocks = re.findall(r"```yaml\n(.*?)```", f.read(), re.S)
        self.assertEqual(len(blocks), 1)
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as rules:
            rules.write(blocks[0])
            rules.flush()
            r = subprocess.run(["promtool", "check", "rules", rules.name], capture_output=True,
                               text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS: 2 rules found", r.stdout)


class KubernetesDoc(unittest.TestCase):
    def test_the_daemonset_asks_for_what_the_doc_says_and_no_more(self):
        import yaml

        with open(os.path.join(SOURCE, "docs/kubernetes.md")) as f:
            blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", f.read(), re.S)]
        self.assertEqual([b["kind"] for b in blocks], ["DaemonSet", "PodMonitor"])
        ds, monitor = blocks
        self.assertEqual((ds["apiVersion"], ds["kind"]), ("apps/v1", "DaemonSet"))
        pod = ds["spec"]["template"]["spec"]
        self.assertIs(pod["hostPID"], True)
        self.assertEqual(ds["spec"]["selector"]["matchLabels"],
                         ds["spec"]["template"]["metadata"]["labels"])
        container = pod["containers"][0]
        sc = container["securityContext"]
        self.assertEqual(sc["capabilities"], {"drop": ["ALL"],
                                              "add": ["BPF", "PERFMON", "SYS_PTRACE"]})
        self.assertNotIn("privileged", sc)
        self.assertIs(sc["allowPrivilegeEscalation"], False)
        self.assertEqual(container["command"], ["/usr/sbin/gomapleak"])
        args = container["args"]
        self.assertEqual(args[:2], ["watch", "--all"])
        self.assertEqual(args[args.index("--prometheus") + 1], "0.0.0.0:9464")
        port = container["ports"][0]
        self.assertEqual(str(port["containerPort"]), ds["spec"]["template"]["metadata"][
            "annotations"]["prometheus.io/port"])
        self.assertEqual(monitor["spec"]["selector"]["matchLabels"],
                         ds["spec"]["template"]["metadata"]["labels"])
        self.assertEqual(monitor["spec"]["podMetricsEndpoints"][0]["port"], port["name"])
        # Every option is one gomapleak takes: parsed up to the -h.
        r = subprocess.run([os.environ["GOMAPLEAK"], *args, "-h"], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stderr)


# A repository path: a top-level folder of the checkout, then a file or folder name.
REPO_PATH_RE = re.compile(
    r"(?<![\w./$-])((?:user|bpf|include|tests|scripts|docs|bench|\.ci)/[\w./-]*\w)")


def tracked_texts():
    out = subprocess.run(["git", "ls-files"], cwd=SOURCE, capture_output=True, text=True,
                         check=True).stdout.split()
    return [f for f in out if f.endswith((".c", ".h", ".py", ".sh", ".md", ".build", ".go",
                                          ".8", ".service", ".txt"))]


def path_exists(path, named_in):
    """path, from the checkout or the naming file's folder; a program by its .c source."""
    for base in (SOURCE, os.path.join(SOURCE, os.path.dirname(named_in))):
        full = os.path.join(base, path)
        if os.path.exists(full) or os.path.exists(full + ".c"):
            return True
    return False


class SourceTruths(unittest.TestCase):
    def test_every_repository_path_named_exists(self):
        missing = []
        for name in tracked_texts():
            with open(os.path.join(SOURCE, name), errors="replace") as f:
                for n, line in enumerate(f, 1):
                    if line.lstrip().startswith("#include"):
                        continue  # a system header, not the repository's
                    for m in REPO_PATH_RE.finditer(line):
                        path = m.group(1).rstrip(".")
                        # Placeholders (tests/targets/TARGET) and build products (.stamp).
                        if re.search(r"/[A-Z_]+(/|$)", path) or path.endswith(".stamp"):
                            continue
                        if not path_exists(path, name):
                            missing.append("%s:%d: %s" % (name, n, path))
        self.assertEqual(missing, [])

    def test_every_map_sized_at_load_says_so(self):
        with open(os.path.join(SOURCE, "user/probe/tracer_object.c")) as f:
            code = f.read()
        sizing = re.search(r"static int size_maps\(.*?\n}\n", code, re.S).group(0)
        resized = re.findall(r"skel->maps\.(\w+)", sizing)
        self.assertGreater(len(resized), 5)
        with open(os.path.join(SOURCE, "bpf/gomapleak.bpf.c")) as f:
            bpf = f.read()
        for name in resized:
            with self.subTest(map=name):
                decl = re.search(r"(/\*(?:[^*]|\*(?!/))*\*/\n)?struct \{\n(?:\t[^\n]*\n)*?\} %s "
                                 r"SEC\(\"\.maps\"\);" % name, bpf)
                self.assertIsNotNone(decl, name)
                self.assertTrue("SIZED_AT_LOAD" in decl.group(0) or
                                "scaled at load" in (decl.group(1) or ""), decl.group(0))


if __name__ == "__main__":
    unittest.main(verbosity=2)
