#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Sets everything up, starts the bundled leaking Go program (a per-user cache
# whose inner maps grow forever; stripped PIE build, Go 1.26), attaches
# gomapleak to it for a few seconds, then stops both by PID. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

VARIANT=${DEMO_VARIANT:-go1.26}
SECONDS_TO_WATCH=${DEMO_SECONDS:-8}
cache=${GOMAPLEAK_CACHE:-/var/cache/gomapleak}

scripts/setup.sh >/dev/null
if [ -f build/build.ninja ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
ninja -C build gomapleak >/dev/null
GOMAPLEAK_VARIANTS=$VARIANT tests/targets/build.sh >/dev/null

leaky=$cache/targets/$VARIANT/stripped-pie/leakycache
"$leaky" &
leaky_pid=$!
trap 'kill "$leaky_pid" 2>/dev/null; wait "$leaky_pid" 2>/dev/null || true' EXIT
sleep 1

echo "\$ gomapleak watch -p $leaky_pid --duration $SECONDS_TO_WATCH"
build/gomapleak watch -p "$leaky_pid" --duration "$SECONDS_TO_WATCH"

echo
echo "\$ gomapleak watch -p $leaky_pid --duration 3 --exact > /dev/null   # counts by site, at exit"
build/gomapleak watch -p "$leaky_pid" --duration 3 --exact >/dev/null
