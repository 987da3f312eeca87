#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Sets everything up and runs the bundled leaking Go program (a per-user cache
# whose inner maps grow forever; stripped PIE build, Go 1.26) under
# gomapleak run, which watches it from its start, prints SUSPECT and LEAK
# alerts and ends it (by PID) after the duration. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

VARIANT=${DEMO_VARIANT:-go1.26}
SECONDS_TO_WATCH=${DEMO_SECONDS:-18}
cache=${GOMAPLEAK_CACHE:-/var/cache/gomapleak}

scripts/setup.sh >/dev/null
if [ -f build/build.ninja ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
ninja -C build gomapleak >/dev/null
GOMAPLEAK_VARIANTS=$VARIANT tests/targets/build.sh >/dev/null

leaky=$cache/targets/$VARIANT/stripped-pie/leakycache
# Short windows so that LEAK shows within the demo: 0.5 s samples, 5 s windows.
echo "\$ gomapleak run -i 0.5 --window 5 --duration $SECONDS_TO_WATCH -- leakycache"
build/gomapleak run -i 0.5 --window 5 --duration "$SECONDS_TO_WATCH" -- "$leaky"
