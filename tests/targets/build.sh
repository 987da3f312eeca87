#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds every Go program under tests/targets with every Go variant listed in
# variants.txt, in every flavor, into $GOMAPLEAK_TARGETS/VARIANT/FLAVOR/NAME.
# Outputs and Go's build cache live outside the checkout, so a clean checkout
# rebuilds only what changed. Usage: build.sh [STAMP_FILE]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${GOMAPLEAK_CACHE:-/var/cache/gomapleak}
out=${GOMAPLEAK_TARGETS:-$cache/targets}
export GOCACHE=$cache/gocache GOPATH=$cache/gopath GOFLAGS=-mod=mod GOTOOLCHAIN=local \
	GOPROXY=off GOTELEMETRY=off GOENV=off

# Two checkouts on one machine share the outputs (a test run and a demo, a
# CI clone beside a work tree): one builds at a time, the other then finds
# what it needs built.
mkdir -p "$out"
exec 9>>"$out/.lock"
flock 9

# A target's flavors are listed in its "flavors" file, else these.
DEFAULT_FLAVORS="default stripped-pie"

flavor_flags() { # flavor_flags FLAVOR: go build flags, one a line
	case $1 in
	default) ;;
	stripped) printf '%s\n' '-ldflags=-s -w' ;;
	pie) printf '%s\n' -buildmode=pie ;;
	stripped-pie) printf '%s\n' -buildmode=pie '-ldflags=-s -w' ;;
	cgo-ext) printf '%s\n' -buildmode=pie '-ldflags=-linkmode=external' ;;
	cgo-ext-stripped) printf '%s\n' -buildmode=pie '-ldflags=-s -w -linkmode=external' ;;
	arm64) ;;
	arm64-stripped-pie) printf '%s\n' -buildmode=pie '-ldflags=-s -w' ;;
	*) echo "unknown flavor $1" >&2; return 1 ;;
	esac
}

flavor_cgo() { case $1 in cgo-*) echo 1 ;; *) echo 0 ;; esac; }

# arm64 flavors are cross-built (Go needs no C toolchain for them): inspect and the probe
# plan read them on any host, and the arm64 VMs run them.
flavor_goarch() { case $1 in arm64*) echo arm64 ;; *) go_host_arch ;; esac; }
go_host_arch() { case $(uname -m) in aarch64) echo arm64 ;; *) echo amd64 ;; esac; }

# What an output is built from: its sources, this script and the variant's
# settings. Content, not mtimes, so a fresh checkout reuses cached outputs.
inputs_hash() { # inputs_hash SOURCE_DIR SETTINGS...
	local dir=$1
	shift
	{
		printf '%s\n' "$@"
		cat "$here/build.sh"
		find "$dir" -type f -print0 | sort -z | xargs -0 sha256sum | sed "s|$dir/||"
	} | sha256sum | cut -d' ' -f1
}

build_one() { # build_one VARIANT SERIES EXPERIMENT FLAVOR TARGET_DIR
	local variant=$1 series=$2 experiment=$3 flavor=$4 dir=$5 dest
	local go=$cache/go/$series/usr/lib/go-$series/bin/go flags hash
	dest=$out/$variant/$flavor/$(basename "$dir")
	hash=$(inputs_hash "$dir" "$variant" "$series" "$experiment" "$flavor")
	[ -x "$dest" ] && [ "$(cat "$dest.inputs" 2>/dev/null)" = "$hash" ] && return 0
	mkdir -p "$(dirname "$dest")"
	[ "$experiment" = - ] && experiment=
	mapfile -t flags < <(flavor_flags "$flavor")
	(cd "$dir" && GOEXPERIMENT=$experiment CGO_ENABLED=$(flavor_cgo "$flavor") \
		GOARCH=$(flavor_goarch "$flavor") "$go" build "${flags[@]}" -o "$dest.tmp" .)
	mv "$dest.tmp" "$dest"
	echo "$hash" >"$dest.inputs"
	echo "built $variant/$flavor/$(basename "$dir")"
}

# The Go runtime's own map tests (go test -c of runtime and, with Swiss maps,
# internal/runtime/maps) into $out/VARIANT/gotests/, rebuilt when the
# toolchain or the experiment changes: test_runtime_maps.py runs them traced.
build_gotests() { # build_gotests VARIANT SERIES EXPERIMENT IMPL
	local variant=$1 series=$2 experiment=$3 impl=$4 pkg dest hash
	local goroot=$cache/go/$series/usr/lib/go-$series
	[ "$experiment" = - ] && experiment=
	for pkg in runtime internal/runtime/maps; do
		[ "$pkg" = internal/runtime/maps ] && [ "$impl" != swiss ] && continue
		dest=$out/$variant/gotests/$(basename "$pkg").test
		hash=$({ "$goroot/bin/go" version; echo "$experiment $pkg"; cat "$here/build.sh"; } |
			sha256sum | cut -d' ' -f1)
		[ -x "$dest" ] && [ "$(cat "$dest.inputs" 2>/dev/null)" = "$hash" ] && continue
		mkdir -p "$(dirname "$dest")"
		(cd "$goroot/src" && GOEXPERIMENT=$experiment GOFLAGS= CGO_ENABLED=0 \
			"$goroot/bin/go" test -c -o "$dest.tmp" "$pkg")
		mv "$dest.tmp" "$dest"
		echo "$hash" >"$dest.inputs"
		echo "built $variant/gotests/$(basename "$pkg").test"
	done
}

# GOMAPLEAK_VARIANTS: space-separated variant names to build (default: all).
wanted() { [ -z "${GOMAPLEAK_VARIANTS:-}" ] || [[ " $GOMAPLEAK_VARIANTS " == *" $1 "* ]]; }

while read -r variant series experiment impl _; do
	case $variant in '#'* | '') continue ;; esac
	wanted "$variant" || continue
	build_gotests "$variant" "$series" "$experiment" "$impl"
	for dir in "$here"/*/; do
		flavors=$DEFAULT_FLAVORS
		[ -f "$dir/flavors" ] && flavors=$(cat "$dir/flavors")
		for flavor in $flavors; do
			build_one "$variant" "$series" "$experiment" "$flavor" "${dir%/}"
		done
	done
done <"$here/variants.txt"

[ $# -ge 1 ] && date >"$1"
exit 0
