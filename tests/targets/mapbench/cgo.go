// SPDX-License-Identifier: GPL-2.0
//go:build cgo

// In the cgo flavor the program links C code, as real cgo services do: the
// external linker lays out the binary and the runtime starts through cgo.
package main

// int gomapleak_c_rounds(void) { return 1; }
import "C"

var cRounds = int(C.gomapleak_c_rounds())
