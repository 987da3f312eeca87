#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs gomapleak's VM tests (tests/vm/test_vm.py) on other kernels: Debian's cloud kernels
# booted in QEMU (TCG), fetched into the cache on first use. With no kernel named, the three
# the test command runs: bullseye (5.10), bookworm (6.1) and trixie (6.12). A kernel is a
# Debian suite with a cloud kernel, or the path of a linux-image .deb.
# With --arch arm64, the suites' arm64 kernels in qemu-system-aarch64, gomapleak cross-built
# for them (scripts/cross_arm64.sh); with no kernel named, bookworm (6.1) and trixie (6.12).
# Usage: scripts/kernels.sh [--arch amd64|arm64] [--attach PATH] [SUITE|KERNEL.deb ...]
set -euo pipefail
cd "$(dirname "$0")/.."

opts=()
arch=
while [ $# -gt 0 ]; do
	case $1 in
	--attach | --arch)
		opts+=("$1" "$2")
		[ "$1" = --arch ] && arch=$2
		shift 2
		;;
	*) break ;;
	esac
done
if [ $# -eq 0 ]; then
	if [ "$arch" = arm64 ]; then set -- bookworm trixie; else set -- bullseye bookworm trixie; fi
fi

scripts/setup.sh
[ -f build/build.ninja ] || meson setup build -Dwerror=true >/dev/null
ninja -C build gomapleak tests/go-targets.stamp >/dev/null

export GOMAPLEAK=$PWD/build/gomapleak GOMAPLEAK_SOURCE=$PWD
exec python3 tests/vm/test_vm.py "$@" "${opts[@]}"
