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

FLAVORS=(default pie stripped-pie)

flavor_flags() { # flavor_flags FLAVOR: go build flags, one a line
	case $1 in
	default) ;;
	pie) printf '%s\n' -buildmode=pie ;;
	stripped-pie) printf '%s\n' -buildmode=pie '-ldflags=-s -w' ;;
	esac
}

stale() { # stale OUTPUT SOURCE_DIR
	[ ! -x "$1" ] || [ -n "$(find "$2" "$here/build.sh" -newer "$1" -type f | head -n 1)" ]
}

build_one() { # build_one VARIANT SERIES EXPERIMENT FLAVOR TARGET_DIR
	local variant=$1 series=$2 experiment=$3 flavor=$4 dir=$5 dest
	local go=$cache/go/$series/usr/lib/go-$series/bin/go flags
	dest=$out/$variant/$flavor/$(basename "$dir")
	stale "$dest" "$dir" || return 0
	mkdir -p "$(dirname "$dest")"
	[ "$experiment" = - ] && experiment=
	mapfile -t flags < <(flavor_flags "$flavor")
	(cd "$dir" && GOEXPERIMENT=$experiment CGO_ENABLED=0 \
		"$go" build "${flags[@]}" -o "$dest.tmp" .)
	mv "$dest.tmp" "$dest"
	echo "built $variant/$flavor/$(basename "$dir")"
}

# GOMAPLEAK_VARIANTS: space-separated variant names to build (default: all).
wanted() { [ -z "${GOMAPLEAK_VARIANTS:-}" ] || [[ " $GOMAPLEAK_VARIANTS " == *" $1 "* ]]; }

while read -r variant series experiment _; do
	case $variant in '#'* | '') continue ;; esac
	wanted "$variant" || continue
	for dir in "$here"/*/; do
		for flavor in "${FLAVORS[@]}"; do
			build_one "$variant" "$series" "$experiment" "$flavor" "${dir%/}"
		done
	done
done <"$here/variants.txt"

[ $# -ge 1 ] && date >"$1"
exit 0
