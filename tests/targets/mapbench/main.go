// SPDX-License-Identifier: GPL-2.0
// mapbench runs a map-insert loop on a heap map of bounded size for -d
// seconds and prints "ops N per_sec R checksum C": the workload of the probe
// cost microbenchmark (scripts/probe_cost.sh) and, later, of bench.sh.
package main

import (
	"flag"
	"fmt"
	"time"
)

var sink map[uint64]uint64

func main() {
	d := flag.Duration("d", 2*time.Second, "how long to run")
	size := flag.Uint64("size", 4096, "keys in the map (inserts overwrite once full)")
	flag.Parse()
	sink = make(map[uint64]uint64, *size)
	var ops, sum uint64
	start := time.Now()
	for time.Since(start) < *d {
		for i := uint64(0); i < 1024; i++ {
			k := (ops + i) % *size
			sink[k] = ops + i
			sum += k
		}
		ops += 1024
	}
	el := time.Since(start).Seconds()
	fmt.Printf("ops %d per_sec %.0f checksum %d\n", ops, float64(ops)/el, sum)
}
