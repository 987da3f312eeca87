#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A long run: gomapleak watch --prometheus on tests/targets/leaks (Go 1.19,
# classic maps) and on mapbench's growing-requests mix (Go 1.26, Swiss maps),
# both scraped every second; the tracers' RSS and CPU printed every interval.
# Fails if a tracer dies or exits non-zero, a scrape fails, or a tracer's RSS
# grows by more than 20% over the second half. Run as root.
# Usage: scripts/soak.sh [MINUTES [EVERY_SECONDS]]   (default: 60 minutes, every 60 s)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/prepare.sh gomapleak "go1.19 go1.26"

echo "== soak: ${1:-60} minutes on $(nproc) CPUs, kernel $(uname -r), $(date -u '+%Y-%m-%d %H:%M') UTC"
exec python3 scripts/soak.py build/gomapleak "$cache/targets/go1.19/stripped-pie/leaks" \
	"$cache/targets/go1.26/default/mapbench" "${1:-60}" "${2:-60}"
