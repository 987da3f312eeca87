// SPDX-License-Identifier: GPL-2.0

package main

import (
	"sync"
	"sync/atomic"
	"time"
)

var stackSink atomic.Int64

// deepen recurses with a 512-byte frame: 200 levels grow a goroutine's
// stack from 8 KiB past 64 KiB, copying it (and the maps on it) each time.
//
//go:noinline
func deepen(depth int) int {
	var frame [64]int
	frame[depth%64] = depth
	if depth == 0 {
		return 0
	}
	return deepen(depth-1) + frame[depth%64] - depth + 1
}

// handleDeep fills a request's map that lives on its goroutine's stack (it
// does not escape), moves the stack, and fills the map again.
func handleDeep() {
	fields := make(map[int]int) // gomapleak:make-stackmaps
	for i := 0; i < 12; i++ {
		fields[i] = i // gomapleak:fill-stackmaps
	}
	levels := deepen(200)
	for i := 12; i < 24; i++ {
		fields[i] = levels // gomapleak:refill-stackmaps
	}
	stackSink.Add(int64(len(fields)))
}

// runStackMaps is a control: 1000 requests a second, each with a map on a
// stack that grows and moves while the map is in use.
func runStackMaps(ready *sync.WaitGroup) {
	ready.Done()
	every(10*time.Millisecond, func(n int) {
		for r := 0; r < 10; r++ {
			go handleDeep()
		}
	})
}
