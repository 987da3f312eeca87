# SPDX-License-Identifier: GPL-2.0
# Sourced by the scripts that run gomapleak outside the test command (demo.sh,
# bench.sh, soak.sh): installs what is missing, builds gomapleak and the
# ninja targets given, and the Go targets of the toolchains given.
# Usage: . scripts/prepare.sh "NINJA_TARGETS" "VARIANTS"   (from the checkout's top)
# Sets cache (GOMAPLEAK_CACHE, default /var/cache/gomapleak).
cache=${GOMAPLEAK_CACHE:-/var/cache/gomapleak}

scripts/setup.sh >/dev/null
if [ -f build/build.ninja ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
# shellcheck disable=SC2086 # a list of ninja targets
ninja -C build $1 >/dev/null
GOMAPLEAK_VARIANTS=$2 tests/targets/build.sh >/dev/null
