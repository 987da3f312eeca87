// SPDX-License-Identifier: GPL-2.0
// mapbench is the workload of gomapleak's benchmarks. It prints "ready",
// waits for a line on stdin (so a tracer can attach first), runs for -d and
// prints "ops N per_sec R checksum C". With -n it runs exactly N rounds
// (rounded up to 1024), so the checksum can be compared between runs; with
// -hold it waits for another line before it exits. With -every D it also prints
// "tick SECONDS OPS" every D, so that a benchmark can compare spells of one
// process's run (a tracer attached, then not) instead of separate runs.
//
//	-mode insert  a map-insert loop on a bounded map (runtime.mapassign_fast64
//	              on every operation): bench/probe_cost's workload
//	-mode mix     a map-heavy service: a round is an insert, a lookup and a
//	              delete on a bounded map, an insert into a nested map, and
//	              every -rebuild rounds a small map built for one "request"
//	              and dropped (scripts/bench.sh's workload); with -reqsize
//	              above 8 that map is made without a size and grows past
//	              its first 8 entries, as a request's maps do
//	-mode make    a map made for every round and kept (it escapes to the heap,
//	              so runtime.makemap_small makes it), filled with -reqsize
//	              entries: what creation probes cost (bench/probe_cost)
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

var (
	bounded  map[uint64]uint64
	nested   map[string]map[int]int
	users    []string
	reqKeys  = []string{"method", "path", "user", "trace"}
	sinkSize int
	reqSink  [64]map[string]int
)

func insertRounds(n, size uint64) uint64 {
	var sum uint64
	for i := uint64(0); i < n; i++ {
		bounded[i%size] = i
		sum += i % size
	}
	return sum
}

func mixRound(i, size, rebuild uint64) uint64 {
	bounded[i%size] = i // gomapleak:mix-insert
	v := bounded[(i*7)%size]
	delete(bounded, (i*13)%size) // gomapleak:mix-delete
	nested[users[i%uint64(len(users))]][int(i%512)] = int(i)
	if i%rebuild == 0 {
		var req map[string]int
		if len(reqKeys) > 8 {
			req = make(map[string]int) // grows: 8, then 16 slots (classic: B 0 to 2)
		} else {
			req = make(map[string]int, len(reqKeys))
		}
		for j, k := range reqKeys {
			req[k] = j
		}
		sinkSize += len(req)
	}
	return v
}

// makeRound makes one request's map and keeps it until 64 rounds later.
func makeRound(i uint64) uint64 {
	req := make(map[string]int)
	for j, k := range reqKeys {
		req[k] = j
	}
	reqSink[i%uint64(len(reqSink))] = req
	return uint64(len(req))
}

func main() {
	d := flag.Duration("d", 2*time.Second, "how long to run")
	mode := flag.String("mode", "insert", "insert, mix or make")
	size := flag.Uint64("size", 4096, "keys in the bounded map")
	rebuild := flag.Uint64("rebuild", 256, "mix: rounds per rebuilt map")
	wait := flag.Bool("wait", false, "print ready and wait for a line on stdin before starting")
	reqSize := flag.Int("reqsize", 4, "mix: entries of each request's map")
	rounds := flag.Uint64("n", 0, "run this many rounds instead of -d")
	hold := flag.Bool("hold", false, "after the result, wait for a line on stdin before exiting")
	every := flag.Duration("every", 0, "print the rounds so far this often")
	flag.Parse()
	for j := len(reqKeys); j < *reqSize; j++ {
		reqKeys = append(reqKeys, "header-"+strconv.Itoa(j))
	}
	reqKeys = reqKeys[:*reqSize]
	bounded = make(map[uint64]uint64, *size)
	nested = make(map[string]map[int]int)
	for u := 0; u < 64; u++ {
		users = append(users, "user:"+strconv.Itoa(u))
		nested[users[u]] = make(map[int]int)
	}
	stdin := bufio.NewScanner(os.Stdin)
	if *wait {
		fmt.Println("ready")
		stdin.Scan()
	}
	var ops, sum uint64
	start, nextTick := time.Now(), *every
	for (*rounds == 0 && time.Since(start) < *d) || ops < *rounds {
		switch *mode {
		case "mix":
			for i := uint64(0); i < 1024; i++ {
				sum += mixRound(ops+i, *size, *rebuild)
			}
		case "make":
			for i := uint64(0); i < 1024; i++ {
				sum += makeRound(ops + i)
			}
		default:
			sum += insertRounds(1024, *size)
		}
		ops += 1024
		if *every > 0 {
			if el := time.Since(start); el >= nextTick {
				fmt.Printf("tick %.3f %d\n", el.Seconds(), ops)
				nextTick += *every
			}
		}
	}
	el := time.Since(start).Seconds()
	fmt.Printf("ops %d per_sec %.0f checksum %d\n", ops, float64(ops)/el, sum+uint64(sinkSize))
	if *hold {
		stdin.Scan()
	}
}
