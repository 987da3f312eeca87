// SPDX-License-Identifier: GPL-2.0
//go:build !go1.21

package main

// clearInts empties m with the loop the compiler turns into runtime.mapclear
// (Go 1.19 has no clear builtin). Not inlined: Go 1.19 keeps the loop of an
// inlined copy.
//
//go:noinline
func clearInts(m map[int64]int) {
	for k := range m { // gomapleak:v-clear
		delete(m, k)
	}
}
