// SPDX-License-Identifier: GPL-2.0

package main

import (
	"strconv"
	"sync"
	"time"
)

// bigKey is over 128 bytes, as is the inner maps' element: classic buckets
// hold pointers to them instead (indirect keys and elements).
type bigKey struct {
	tenant string
	pad    [136]byte
}

// runBigKeys leaks as cache does, through an outer map whose keys are stored
// indirectly: the walker must follow them to find the inner maps.
func runBigKeys(ready *sync.WaitGroup, rate int) {
	byTenant := make(map[bigKey]map[int][160]byte) // gomapleak:make-bigkeys
	keep("bigkeys", byTenant)
	for t := 0; t < 16; t++ {
		byTenant[bigKey{tenant: "tenant-" + strconv.Itoa(t)}] = make(map[int][160]byte)
	}
	ready.Done()
	every(10*time.Millisecond, func(n int) {
		for i := 0; i < rate/100; i++ {
			inner := byTenant[bigKey{tenant: "tenant-" + strconv.Itoa(i%16)}]
			inner[n*rate+i] = [160]byte{byte(i)} // gomapleak:fill-bigkeys
		}
	})
}
