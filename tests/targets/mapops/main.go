// SPDX-License-Identifier: GPL-2.0
// mapops performs known map operations at known lines (each marked
// "// gomapleak:NAME" for the tests) and prints its own counts, the maps'
// addresses and a checksum of their contents. Commands, one a line on stdin:
//
//	early N   make map "early" and insert N keys (before a tracer attaches)
//	more N    insert N more keys into "early"
//	run N     the known operations on fresh maps, N inserts each
//	nested U K  make a map[string]map[int]string of U inner maps of K entries;
//	          answer its address, its type descriptor's and the entries in all
//	variants W N  W goroutines at once, each filling one map of every
//	          runtime variant (fast32, fast32ptr, fast64, fast64ptr, faststr,
//	          generic, generic with keys and elements over 128 bytes) with N
//	          keys, deleting N/2 and clearing one (variants.go)
//	exec [PROGRAM ARGS...]  replace this process with PROGRAM (default /bin/sleep 30)
//
// Each command answers one line; the program exits when stdin closes.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

var (
	early   map[int64]int64
	byName  map[string]int
	byID    map[int64]string
	sized   map[int]int
	nextKey int64
	nested  map[string]map[int]string
)

// typeAddr is the type word of an empty interface holding v: its *_type.
func typeAddr(v any) uintptr {
	return (*[2]uintptr)(unsafe.Pointer(&v))[0]
}

func makeNested(users, entries int) {
	nested = make(map[string]map[int]string)
	for u := 0; u < users; u++ {
		inner := make(map[int]string)
		for e := 0; e < entries; e++ {
			inner[e] = "v"
		}
		nested["user:"+strconv.Itoa(u)] = inner
	}
}

func addEarly(n int) {
	for i := 0; i < n; i++ {
		early[nextKey] = nextKey // gomapleak:early-insert
		nextKey++
	}
}

// run makes three maps and fills, empties and clears them; it reports its
// own counts of each operation and a checksum of what remains.
func run(n int) string {
	byName = make(map[string]int)  // gomapleak:make-str
	byID = make(map[int64]string)  // gomapleak:make-64
	sized = make(map[int]int, 100) // gomapleak:make-hint
	inserts, deletes := 0, 0
	for i := 0; i < n; i++ {
		byName["k"+strconv.Itoa(i)] = i // gomapleak:insert-str
		byID[int64(i)] = "v"            // gomapleak:insert-64
		sized[i] = i * 3                // gomapleak:insert-hint
		inserts += 3
	}
	for i := 0; i < n/2; i++ {
		delete(byName, "k"+strconv.Itoa(i)) // gomapleak:delete-str
		delete(byID, int64(i))              // gomapleak:delete-64
		deletes += 2
	}
	sum := 0
	for k, v := range byName {
		sum += len(k) * v
	}
	for k := range sized { // gomapleak:clear (the compiler turns this loop into mapclear)
		delete(sized, k)
	}
	return fmt.Sprintf("ran inserts=%d deletes=%d clears=1 str=%p 64=%p hint=%p checksum=%d",
		inserts, deletes, byName, byID, sized, sum+len(byID))
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	fmt.Println("ready")
	for in.Scan() {
		f := strings.Fields(in.Text())
		n := 0
		if len(f) > 1 {
			n, _ = strconv.Atoi(f[1])
		}
		switch f[0] {
		case "early":
			early = make(map[int64]int64) // gomapleak:make-early
			addEarly(n)
			fmt.Printf("early %p len %d\n", early, len(early))
		case "more":
			addEarly(n)
			fmt.Printf("more len %d\n", len(early))
		case "run":
			fmt.Println(run(n))
		case "nested":
			entries, _ := strconv.Atoi(f[2])
			makeNested(n, entries)
			fmt.Printf("nested %p type %#x total %d\n", nested, typeAddr(nested), n*entries)
		case "variants":
			workers := n
			keys, _ := strconv.Atoi(f[2])
			fmt.Println(runVariants(workers, keys))
		case "exec":
			// "exec" runs sleep; "exec PROGRAM ARGS..." another program.
			argv := []string{"/bin/sleep", "30"}
			if len(f) > 1 {
				argv = f[1:]
			}
			fmt.Println("execing")
			syscall.Exec(argv[0], argv, os.Environ())
		}
	}
}
