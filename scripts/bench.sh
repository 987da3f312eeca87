#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Sets everything up and runs the benchmarks side by side in one run:
#   1. bench/probe_cost: what one uprobe costs on each instruction kind here;
#   2. bench/bpf_prog_cost.py: what gomapleak's BPF programs cost a hit
#      apart from the trap (the kernel's bpf_stats), under watch --exact;
#   3. bench/bench.py: a map-heavy Go program untraced, under watch (budgets
#      of 1% and 5%), under watch --exact and under bpftrace entry probes, for
#      each map implementation, in two shapes: requests' maps of 4 entries
#      (never grow) and of 16 (grow past 8);
#   4. bench/bench_late.py, after each of the third part's: the same program
#      running throughout, watch sessions (budgets of 1% and 5%) attached to it
#      in turn, each against the untraced spells either side.
# Run as root. BENCH_SECONDS (a list: "3 10"), BENCH_REPEATS, BENCH_SHAPES tune
# the third and fourth parts, BENCH_SESSIONS the fourth (sessions of each budget).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/prepare.sh "gomapleak bench/probe_cost" "go1.19 go1.26"

echo "== machine: $(nproc) CPUs, kernel $(uname -r), $(date -u +%Y-%m-%d)"
for v in go1.19 go1.26; do
	echo "== uprobe cost by instruction: $v runtime.mapassign_fast64"
	build/bench/probe_cost "$cache/targets/$v/default/mapbench" runtime.mapassign_fast64 -d 1s
done
for v in go1.19 go1.26; do
	echo "== BPF programs' own time a hit: $v"
	python3 bench/bpf_prog_cost.py build/gomapleak "$cache/targets/$v/default/mapbench"
done
for seconds in ${BENCH_SECONDS:-3}; do
	for shape in ${BENCH_SHAPES:-mix grow}; do
		for v in go1.19 go1.26; do
			bench=$cache/targets/$v/default/mapbench
			echo "== map-heavy workload: $v, $shape, ${seconds}s runs"
			GOMAPLEAK_CACHE=$cache python3 bench/bench.py build/gomapleak "$bench" \
				"$seconds" "${BENCH_REPEATS:-3}" "$shape"
			echo "== attached late: $v, $shape, ${seconds}s sessions"
			GOMAPLEAK_CACHE=$cache python3 bench/bench_late.py build/gomapleak "$bench" \
				"$seconds" "${BENCH_SESSIONS:-16}" "$shape"
		done
	done
done
