// SPDX-License-Identifier: GPL-2.0
// growonce grows one heap map to a known number of entries, then waits.
// The walking-skeleton test counts the growth events the tracer reports and
// compares them with what the map implementation implies for that size.
//
// Protocol on stdout: "ready" once started (the tracer attaches then), then
// after a line arrives on stdin it inserts -n keys and prints
// "grown N len L map ADDRESS";
// it then waits until stdin closes.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
)

var grown map[int64]int64

func fill(n int) {
	grown = make(map[int64]int64) // gomapleak:make
	for i := 0; i < n; i++ {
		grown[int64(i)*7919] = int64(i) // gomapleak:fill
	}
}

func main() {
	n := flag.Int("n", 800, "number of keys to insert")
	flag.Parse()
	in := bufio.NewScanner(os.Stdin)
	fmt.Println("ready")
	if !in.Scan() {
		return
	}
	fill(*n)
	fmt.Printf("grown %d len %d map %p\n", *n, len(grown), grown)
	for in.Scan() {
	}
}
