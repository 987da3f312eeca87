#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Sets everything up and runs the bundled leaking Go program (a per-user cache
# whose inner maps grow forever; stripped PIE build, Go 1.26) under
# gomapleak run, which watches it from its start, prints SUSPECT and LEAK
# alerts and ends it (by PID) after the duration, then shows the growth
# profile it wrote with go tool pprof. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

VARIANT=${DEMO_VARIANT:-go1.26}
SECONDS_TO_WATCH=${DEMO_SECONDS:-18}
. scripts/prepare.sh gomapleak "$VARIANT"

leaky=$cache/targets/$VARIANT/stripped-pie/leakycache
series=$(awk -v v="$VARIANT" '$1 == v { print $2 }' tests/targets/variants.txt)
go=$cache/go/$series/usr/lib/go-$series/bin/go
work=$(mktemp -d /tmp/gomapleak-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Short windows so that LEAK shows within the demo: 0.5 s samples, 5 s windows.
echo "\$ gomapleak run -i 0.5 --window 5 --duration $SECONDS_TO_WATCH --pprof growth.pb.gz -- leakycache"
build/gomapleak run -i 0.5 --window 5 --duration "$SECONDS_TO_WATCH" --pprof "$work/growth.pb.gz" \
	-- "$leaky"
echo
echo "\$ go tool pprof -top -cum -nodecount 8 growth.pb.gz"
HOME=$work GOTOOLCHAIN=local GOCACHE=$cache/gocache "$go" tool pprof -top -cum -nodecount 8 \
	"$work/growth.pb.gz" 2>/dev/null
