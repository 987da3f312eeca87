#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetches what a test VM boots: a Debian suite's cloud kernel (or the kernel of a linux-image
# .deb given as a path) and Debian's busybox-static, into $GOMAPLEAK_CACHE/vm, from Debian
# with a private apt state a suite (nothing is installed on this machine). Prints the
# kernel's vmlinuz path and its package name. Idempotent: a second run downloads nothing.
# Usage: fetch_vm.sh SUITE|KERNEL.deb [ARCH]   (SUITE: bullseye, bookworm, trixie, ...)
set -euo pipefail
. "$(dirname "$0")/apt_private.sh"

what=$1
arch=${2:-amd64}
vm=${GOMAPLEAK_CACHE:-/var/cache/gomapleak}/vm

# apt_arch ROOT ARCH ARGS...: apt-get in a private root, for one architecture.
apt_arch() {
	local root=$1 arch=$2
	shift 2
	apt_root "$root" -o APT::Architecture="$arch" -o APT::Architectures="$arch" "$@"
}

# suite_root SUITE ARCH: a private apt root for one suite and architecture, its lists fresh.
suite_root() {
	local root=$vm/apt/$1-$2
	if [ ! -s "$root/sources.list" ]; then
		mkdir -p "$root"
		echo "deb [arch=$2 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) $1 main" \
			>"$root/sources.list"
	fi
	if [ -z "$(ls "$root/lists" 2>/dev/null | grep Packages)" ]; then
		apt_arch "$root" "$2" update -qq >&2
	fi
	echo "$root"
}

# unpack DEB DIR: the package's files under DIR, once.
unpack() {
	[ -e "$2/.unpacked" ] && return 0
	rm -rf "$2"
	mkdir -p "$2"
	dpkg-deb -x "$1" "$2"
	touch "$2/.unpacked"
}

# download ROOT ARCH PACKAGE DIR: the package's .deb in DIR (kept), its path printed.
download() {
	local deb
	mkdir -p "$4"
	deb=$(ls "$4"/"$3"_*_"$2".deb 2>/dev/null | head -n 1)
	if [ -z "$deb" ]; then
		# Lists older than the mirror name a version it no longer has: refresh them once.
		(cd "$4" && { apt_arch "$1" "$2" download -qq "$3:$2" >&2 ||
			{ apt_arch "$1" "$2" update -qq >&2 && apt_arch "$1" "$2" download -qq "$3:$2" >&2; }; })
		deb=$(ls "$4"/"$3"_*_"$2".deb | head -n 1)
	fi
	echo "$deb"
}

# The cloud kernel's package: what the suite's linux-image-cloud-ARCH depends on now.
kernel_package() { # kernel_package ROOT ARCH
	apt_cache_root "$1" -o APT::Architecture="$2" -o APT::Architectures="$2" \
		depends "linux-image-cloud-$2" | awk '/Depends: linux-image-/ { print $2; exit }'
}

if [ -f "$what" ]; then
	deb=$what
	pkg=$(dpkg-deb -f "$deb" Package)
else
	root=$(suite_root "$what" "$arch")
	pkg=$(kernel_package "$root" "$arch")
	[ -n "$pkg" ] || { echo "fetch_vm: no cloud kernel in $what for $arch" >&2; exit 1; }
	deb=$(download "$root" "$arch" "$pkg" "$vm/debs")
fi
unpack "$deb" "$vm/kernels/$pkg"

bbroot=$(suite_root bookworm "$arch")
unpack "$(download "$bbroot" "$arch" busybox-static "$vm/debs")" "$vm/busybox-$arch"

echo "$(ls "$vm/kernels/$pkg"/boot/vmlinuz-* | head -n 1) $pkg"
