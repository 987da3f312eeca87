#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Cross-builds gomapleak for arm64 on an x86-64 Debian: clang and lld (the native build's
# compiler) against a sysroot of Debian bookworm's arm64 packages, downloaded with their
# dependencies into $GOMAPLEAK_CACHE/arm64 and unpacked there (nothing is installed on this
# machine, and the native build is not touched). On an arm64 machine the native build is the
# arm64 build: this script is for x86-64 hosts. Idempotent: a second run downloads nothing.
# Prints the built executable's path.
# Usage: cross_arm64.sh [BUILD_DIR]   (default build-arm64)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/apt_private.sh

build=${1:-build-arm64}
top=${GOMAPLEAK_CACHE:-/var/cache/gomapleak}/arm64
sysroot=$top/sysroot
# What the build links against and the VM runs (bpftool for the guest's checks); their
# dependencies come along.
PACKAGES=(libc6-dev libgcc-12-dev linux-libc-dev libbpf-dev libelf-dev zlib1g-dev
	libcapstone-dev libmicrohttpd-dev bpftool)

# apt-get for bookworm arm64 with private lists, archives and an empty dpkg status, so that
# every dependency is downloaded, as for a machine with nothing installed.
apt_arm64() {
	apt_root "$top/apt" -o APT::Architecture=arm64 -o APT::Architectures=arm64 \
		-o Dir::State::status="$top/apt/status" -o Dir::Cache::archives="$top/debs" "$@"
}

make_sysroot() {
	local stamp=$sysroot/.packages want deb
	want=$(printf '%s\n' "${PACKAGES[@]}")
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
	mkdir -p "$top/apt" "$top/debs/partial"
	[ -s "$top/apt/sources.list" ] ||
		echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) bookworm main" \
			>"$top/apt/sources.list"
	touch "$top/apt/status"
	apt_arm64 update -qq >&2
	apt_arm64 install -y -qq --download-only --no-install-recommends "${PACKAGES[@]}" >&2
	rm -rf "$sysroot"
	mkdir -p "$sysroot"
	for deb in "$top"/debs/*.deb; do
		dpkg-deb -x "$deb" "$sysroot"
	done
	echo "$want" >"$stamp"
}

cross_file() {
	cat <<CROSS
[binaries]
c = ['clang', '--target=aarch64-linux-gnu', '--sysroot=$sysroot']
c_ld = 'lld'
ar = 'llvm-ar'
strip = 'llvm-strip'
pkgconfig = 'pkg-config'

[properties]
sys_root = '$sysroot'
pkg_config_libdir = ['$sysroot/usr/lib/aarch64-linux-gnu/pkgconfig', '$sysroot/usr/share/pkgconfig']

[host_machine]
system = 'linux'
cpu_family = 'aarch64'
cpu = 'armv8-a'
endian = 'little'
CROSS
}

make_sysroot
mkdir -p "$build"
cross_file >"$build/arm64.cross.new"
if ! cmp -s "$build/arm64.cross.new" "$build/arm64.cross" || [ ! -f "$build/build.ninja" ]; then
	mv "$build/arm64.cross.new" "$build/arm64.cross"
	PKG_CONFIG_SYSROOT_DIR=$sysroot meson setup --wipe "$build" --cross-file "$build/arm64.cross" \
		-Dwerror=true -Dtests=false >&2 ||
		PKG_CONFIG_SYSROOT_DIR=$sysroot meson setup "$build" --cross-file "$build/arm64.cross" \
			-Dwerror=true -Dtests=false >&2
fi
rm -f "$build/arm64.cross.new"
PKG_CONFIG_SYSROOT_DIR=$sysroot ninja -C "$build" gomapleak >&2
echo "$PWD/$build/gomapleak"
