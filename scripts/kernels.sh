#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs gomapleak's VM tests (tests/vm/test_vm.py) on other kernels: Debian's cloud kernels
# booted in QEMU (TCG), fetched into the cache on first use. With no kernel named, the three
# the test command runs: bullseye (5.10), bookworm (6.1) and trixie (6.12). A kernel is a
# Debian suite with a cloud kernel, or the path of a linux-image .deb.
# Usage: scripts/kernels.sh [--attach PATH] [SUITE|KERNEL.deb ...]
set -euo pipefail
cd "$(dirname "$0")/.."

attach=()
if [ "${1:-}" = --attach ]; then
	attach=(--attach "$2")
	shift 2
fi
[ $# -gt 0 ] || set -- bullseye bookworm trixie

scripts/setup.sh
[ -f build/build.ninja ] || meson setup build -Dwerror=true >/dev/null
ninja -C build gomapleak tests/go-targets.stamp >/dev/null

export GOMAPLEAK=$PWD/build/gomapleak GOMAPLEAK_SOURCE=$PWD
exec python3 tests/vm/test_vm.py "$@" "${attach[@]}"
