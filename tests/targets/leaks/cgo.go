// SPDX-License-Identifier: GPL-2.0
//go:build cgo

// In the cgo flavor the program links C code, as real cgo services do, so
// the external linker lays out the binary: node mode must find its leaks too.
package main

// int gomapleak_c_answer(void) { return 42; }
import "C"

var cAnswer = int(C.gomapleak_c_answer())
