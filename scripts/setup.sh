#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs gomapleak's build and test dependencies from Debian, and the Go
# toolchains the tests build targets with, into a private cache. Idempotent:
# a second run installs nothing and takes seconds.
set -euo pipefail
. "$(dirname "$0")/apt_private.sh"

# Debian packages the build and the tests need.
DEB_PACKAGES=(
	clang clang-format llvm lld libbpf-dev bpftool libelf-dev zlib1g-dev libcapstone-dev
	libcriterion-dev libmicrohttpd-dev meson ninja-build pkg-config
	libclang-rt-14-dev prometheus bpftrace binutils jq procps curl groff-base python3-yaml
	systemd qemu-system-x86 qemu-system-arm
)

# The kernels the test command boots in VMs (tests/vm): Debian's cloud kernels of these suites.
VM_SUITES=(bullseye bookworm trixie)

# Go release series the tests build targets with, and the Debian suite that
# packages each one (golang-1.N-go).
GO_SERIES=(1.19 1.21 1.22 1.23 1.24 1.25 1.26 1.27)
declare -A GO_SUITE=(
	[1.19]=bookworm [1.21]=bookworm-backports [1.22]=bookworm-backports
	[1.23]=bookworm-backports [1.24]=trixie [1.25]=trixie-backports
	[1.26]=sid [1.27]=experimental
)

GO_CACHE=${GOMAPLEAK_CACHE:-/var/cache/gomapleak}/go

log() { printf 'setup: %s\n' "$*"; }

missing_debs() {
	local p
	for p in "${DEB_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			printf '%s\n' "$p"
	done
}

install_debs() {
	local missing
	missing=$(missing_debs)
	if [ -z "$missing" ]; then
		log "Debian packages: all present"
		return
	fi
	log "installing: $(echo $missing)"
	apt-get update -qq || log "apt-get update reported errors; continuing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

apt_private() { apt_root "$GO_CACHE" "$@"; }

go_root() { echo "$GO_CACHE/$1/usr/lib/go-$1"; }

install_go_series() {
	local v=$1 debs
	if [ -x "$(go_root "$v")/bin/go" ]; then
		return
	fi
	log "fetching Go $v from Debian ${GO_SUITE[$v]}"
	mkdir -p "$GO_CACHE/debs/$v" "$GO_CACHE/$v"
	(cd "$GO_CACHE/debs/$v" && apt_private download "golang-$v-go" "golang-$v-src")
	for debs in "$GO_CACHE/debs/$v"/*.deb; do
		dpkg-deb -x "$debs" "$GO_CACHE/$v"
	done
	"$(go_root "$v")/bin/go" version
}

install_go_toolchains() {
	local v need=0 mirror
	for v in "${GO_SERIES[@]}"; do
		[ -x "$(go_root "$v")/bin/go" ] || need=1
	done
	if [ "$need" = 0 ]; then
		log "Go toolchains: all present in $GO_CACHE"
		return
	fi
	mirror=$(debian_mirror)
	: >"$GO_CACHE/sources.list"
	for v in "${GO_SERIES[@]}"; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror ${GO_SUITE[$v]} main"
	done | sort -u >"$GO_CACHE/sources.list"
	apt_private update -qq
	for v in "${GO_SERIES[@]}"; do
		install_go_series "$v"
	done
}

fetch_vm_kernels() {
	local suite
	for suite in "${VM_SUITES[@]}"; do
		log "VM kernel: $("$(dirname "$0")/fetch_vm.sh" "$suite" | cut -d' ' -f2)"
	done
}

main() {
	if [ "$(id -u)" != 0 ]; then
		echo "setup: must run as root (apt-get, BPF)" >&2
		exit 1
	fi
	install_debs
	install_go_toolchains
	fetch_vm_kernels
}

main "$@"
