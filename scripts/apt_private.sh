# SPDX-License-Identifier: GPL-2.0
# Sourced by setup.sh and fetch_vm.sh: apt-get against a private sources list and private
# state folders, to download packages of other Debian suites and architectures (the Go
# toolchains, the test VMs' kernels and busybox) without touching the machine's apt sources.

# The mirror host the machine's own apt sources name, so the private lists use the same one.
debian_mirror() {
	local uri
	uri=$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
		grep -v security | head -n 1 | tr -d ' ')
	echo "${uri:-http://deb.debian.org/debian}"
}

# apt_root ROOT ARGS...: apt-get with ROOT/sources.list and its lists and archives under ROOT.
apt_root() {
	local root=$1
	shift
	mkdir -p "$root/lists/partial" "$root/cache/archives/partial"
	apt-get -o Dir::Etc::SourceList="$root/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$root/lists" -o Dir::Cache="$root/cache" \
		-o APT::Sandbox::User=root "$@"
}

# apt_cache_root ROOT ARGS...: apt-cache with the same private state.
apt_cache_root() {
	local root=$1
	shift
	apt-cache -o Dir::Etc::SourceList="$root/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$root/lists" -o Dir::Cache="$root/cache" "$@"
}
