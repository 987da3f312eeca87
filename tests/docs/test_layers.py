#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The layers of user/: each folder is compiled with only its own and lower
layers' headers on the include path (read from the build's compile commands),
so a lower layer that includes a higher layer's header fails to build (tried
with the compiler); user/meson.build and the README's Layout name every
folder in `ls user/`, in the same order.
Usage: test_layers.py BUILD_DIR
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest

BUILD = os.path.abspath(sys.argv[1])
del sys.argv[1]
SOURCE = os.path.abspath(os.environ["GOMAPLEAK_SOURCE"])
USER = os.path.join(SOURCE, "user")

# Lowest first: each may include the headers of those before it, never after.
LAYERS = ["base", "gobin", "probe", "proc", "detect", "report", "export", "session"]
ABOVE = {layer: set(LAYERS[i + 1:]) for i, layer in enumerate(LAYERS)}


def compile_commands():
    with open(os.path.join(BUILD, "compile_commands.json")) as f:
        return json.load(f)


def layer_of(path):
    rel = os.path.relpath(os.path.abspath(path), USER)
    parts = rel.split(os.sep)
    return parts[0] if len(parts) == 2 and parts[0] in LAYERS else None


def include_layers(command, directory):
    layers = set()
    for arg in shlex.split(command):
        if not arg.startswith("-I"):
            continue
        path = os.path.normpath(os.path.join(directory, arg[2:]))
        for layer in LAYERS:
            if path in (os.path.join(USER, layer), os.path.join(BUILD, "user", layer)):
                layers.add(layer)
    return layers


class Layers(unittest.TestCase):
    def test_every_folder_of_user_is_a_known_layer(self):
        folders = sorted(d for d in os.listdir(USER) if os.path.isdir(os.path.join(USER, d)))
        self.assertEqual(folders, sorted(LAYERS))

    def test_no_layer_is_compiled_with_a_higher_layers_headers(self):
        seen = set()
        for entry in compile_commands():
            layer = layer_of(os.path.join(entry["directory"], entry["file"]))
            if not layer:
                continue
            seen.add(layer)
            visible = include_layers(entry["command"], entry["directory"])
            with self.subTest(file=entry["file"]):
                self.assertIn(layer, visible)
                self.assertEqual(visible & ABOVE[layer], set())
        self.assertEqual(seen, set(LAYERS))

    def test_a_lower_layer_including_a_higher_header_fails_to_compile(self):
        commands = compile_commands()
        gobin = next(e for e in commands if layer_of(os.path.join(e["directory"], e["file"]))
                     == "gobin")
        args = [a for a in shlex.split(gobin["command"]) if a.startswith(("-I", "-std", "-D"))]
        compiler = shlex.split(gobin["command"])[0]
        for header, ok in (("pclntab.h", True), ("census.h", False), ("tracer.h", False)):
            with self.subTest(header=header), tempfile.TemporaryDirectory() as tmp:
                src = os.path.join(tmp, "probe.c")
                with open(src, "w") as f:
                    f.write('#include "%s"\nint main(void) { return 0; }\n' % header)
                r = subprocess.run([compiler] + args + ["-fsyntax-only", src],
                                   cwd=gobin["directory"], capture_output=True, text=True)
                self.assertEqual(r.returncode == 0, ok, r.stderr)
                if not ok:
                    self.assertIn(header, r.stderr)

    def test_the_readme_layout_and_meson_list_the_layers_in_order(self):
        with open(os.path.join(SOURCE, "README.md")) as f:
            readme = f.read()
        layout = re.search(r"## Layout\n\n```\n(.*?)```", readme, re.S).group(1)
        named = re.findall(r"^user/(\w+)/", layout, re.M)
        self.assertEqual(named, LAYERS)
        with open(os.path.join(USER, "meson.build")) as f:
            subdirs = re.findall(r"^subdir\('(\w+)'\)", f.read(), re.M)
        self.assertEqual(subdirs, LAYERS)


if __name__ == "__main__":
    unittest.main(verbosity=2)
