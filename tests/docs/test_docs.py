#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The docs: meson install puts the man page in man8, groff renders it without
a warning, it documents every option the commands' -h lists; the alerting
rules in docs/metrics.md pass promtool; the DaemonSet and PodMonitor in docs/kubernetes.md
parses, asks for hostPID and exactly BPF, PERFMON and SYS_PTRACE, and uses
only options gomapleak has.
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
