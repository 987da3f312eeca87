// SPDX-License-Identifier: GPL-2.0
//go:build go1.21

package main

// clearInts empties m with the clear builtin (Go 1.21): runtime.mapclear.
func clearInts(m map[int64]int) {
	clear(m) // gomapleak:v-clear
}
