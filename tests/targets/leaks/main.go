// SPDX-License-Identifier: GPL-2.0
// leaks runs real map leaks and leak-free controls side by side, each in its
// own goroutine, paced by tickers so a 2-core machine can run several:
//
//	cache   map[string]map[int]string, outer stable, inner maps grow forever
//	deep    map[string]map[string]map[string]interface{}, innermost grows
//	fanout  an outer map gaining new inner maps of 8 entries forever
//	bloat   a map filled to -bloat entries, then emptied with delete
//	churn   insert/delete churn on a map of stable size
//	lru     control: a cache capped at 4096 entries, oldest evicted
//	cleared control: a map filled, then emptied every 2 seconds (of wall time)
//	rebuilt control: a map built per request and dropped
//	stable  control: a large map filled once, then only read
//	bigkeys like cache, with keys and inner elements over 128 bytes (stored
//	        indirectly in classic buckets). Not run unless asked for.
//	stackmaps control: requests' maps on goroutine stacks that grow and
//	        move while the maps fill. Not run unless asked for.
//	tagged  a growing map whose type and filling function carry quotes and
//	        backslashes in their names (a struct tag): for label escaping.
//	        Not run unless asked for.
//
// It prints "ready" when every mode has made its maps, and runs until killed.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

var sink int

// longLived keeps every mode's long-lived map reachable from a global, as a
// service's caches are: a map that does not escape lives on its goroutine's
// stack and moves whenever the stack grows.
var longLived sync.Map

func keep(name string, m interface{}) { longLived.Store(name, m) }

func every(d time.Duration, f func(n int)) {
	t := time.NewTicker(d)
	for n := 0; ; n++ {
		<-t.C
		f(n)
	}
}

func runCache(ready *sync.WaitGroup, rate int) {
	users := make(map[string]map[int]string) // gomapleak:make-cache
	keep("cache", users)
	for u := 0; u < 32; u++ {
		users["user:"+strconv.Itoa(u)] = make(map[int]string) // gomapleak:outer-cache
	}
	ready.Done()
	every(10*time.Millisecond, func(n int) {
		for i := 0; i < rate/100; i++ {
			u := users["user:"+strconv.Itoa(i%32)]
			u[n*rate+i] = "session" // gomapleak:fill-cache
		}
	})
}

func runDeep(ready *sync.WaitGroup, rate int) {
	tenants := make(map[string]map[string]map[string]interface{}) // gomapleak:make-deep
	keep("deep", tenants)
	for t := 0; t < 16; t++ {
		regions := make(map[string]map[string]interface{})
		for r := 0; r < 2; r++ {
			regions["region-"+strconv.Itoa(r)] = make(map[string]interface{})
		}
		tenants["tenant-"+strconv.Itoa(t)] = regions
	}
	ready.Done()
	every(10*time.Millisecond, func(n int) {
		for i := 0; i < rate/100; i++ {
			leaf := tenants["tenant-"+strconv.Itoa(i%16)]["region-"+strconv.Itoa(i/16%2)]
			leaf["req-"+strconv.Itoa(n)+"-"+strconv.Itoa(i)] = n // gomapleak:fill-deep
		}
	})
}

func runFanout(ready *sync.WaitGroup, rate int) {
	sessions := make(map[int]map[int]int) // gomapleak:make-fanout
	keep("fanout", sessions)
	ready.Done()
	next := 0
	every(10*time.Millisecond, func(n int) {
		for i := 0; i < rate/100/8; i++ {
			inner := make(map[int]int)
			for k := 0; k < 8; k++ {
				inner[k] = k
			}
			sessions[next] = inner // gomapleak:fill-fanout
			next++
		}
	})
}

func runBloat(ready *sync.WaitGroup, size int) {
	ids := make(map[int64]int64) // gomapleak:make-bloat
	keep("bloat", ids)
	ready.Done()
	time.Sleep(time.Second)
	for i := 0; i < size; i++ {
		ids[int64(i)] = int64(i) // gomapleak:fill-bloat
	}
	for i := 0; i < size; i++ {
		delete(ids, int64(i))
	}
	ids[-1] = -1
	every(100*time.Millisecond, func(n int) { sink += len(ids) })
}

func runChurn(ready *sync.WaitGroup, rate int) {
	live := make(map[int]int) // gomapleak:make-churn
	keep("churn", live)
	const size = 6100 // ~6 an average bucket at B = 10 (1.21 grows past 6144): many overflow
	for i := 0; i < size; i++ {
		live[i] = i // gomapleak:fill-churn
	}
	ready.Done()
	next := size
	every(10*time.Millisecond, func(n int) {
		for i := 0; i < rate/100; i++ {
			live[next] = next       // gomapleak:churn-insert
			delete(live, next-size) // gomapleak:churn-delete
			next++
		}
	})
}

func runLRU(ready *sync.WaitGroup, rate int) {
	const capacity = 4096
	lru := make(map[string]int) // gomapleak:make-lru
	keep("lru", lru)
	var order []string
	ready.Done()
	every(10*time.Millisecond, func(n int) {
		for i := 0; i < rate/100; i++ {
			k := "k" + strconv.Itoa(n) + "." + strconv.Itoa(i)
			lru[k] = n // gomapleak:fill-lru
			order = append(order, k)
			if len(order) > capacity {
				delete(lru, order[0])
				order = order[1:]
			}
		}
	})
}

func runCleared(ready *sync.WaitGroup, rate int) {
	recent := make(map[int]string) // gomapleak:make-cleared
	keep("cleared", recent)
	ready.Done()
	cleared := time.Now()
	every(10*time.Millisecond, func(n int) {
		if time.Since(cleared) >= 2*time.Second { // wall time: ticks run late under load
			for k := range recent {
				delete(recent, k)
			}
			cleared = time.Now()
		}
		for i := 0; i < rate/100; i++ {
			recent[n*rate+i] = "x" // gomapleak:fill-cleared
		}
	})
}

func runRebuilt(ready *sync.WaitGroup, rate int) {
	ready.Done()
	every(10*time.Millisecond, func(n int) {
		for r := 0; r < rate/100/200+1; r++ {
			req := make(map[string]int) // gomapleak:make-rebuilt
			for i := 0; i < 200; i++ {
				req["field"+strconv.Itoa(i)] = i // gomapleak:fill-rebuilt
			}
			sink += len(req)
		}
	})
}

func runStable(ready *sync.WaitGroup, size int) {
	table := make(map[int]int) // gomapleak:make-stable
	keep("stable", table)
	for i := 0; i < size; i++ {
		table[i] = i // gomapleak:fill-stable
	}
	ready.Done()
	every(10*time.Millisecond, func(n int) { sink += table[n%size] })
}

// taggedKey's tag puts '"' and '\' in the map's type name and in the name of
// the generic function instantiated with it.
type taggedKey = struct {
	ID int `json:"id\"\\"`
}

//go:noinline
func fillTagged[K comparable](m map[K]int, k K) {
	m[k] = len(m) // gomapleak:fill-tagged
}

func runTagged(ready *sync.WaitGroup, rate int) {
	m := make(map[taggedKey]int) // gomapleak:make-tagged
	keep("tagged", m)
	ready.Done()
	next := 0
	every(10*time.Millisecond, func(n int) {
		for i := 0; i < rate/100; i++ {
			fillTagged(m, taggedKey{ID: next})
			next++
		}
	})
}

func main() {
	modes := flag.String("modes", "cache,deep,fanout,bloat,churn,lru,cleared,rebuilt,stable",
		"comma-separated modes to run")
	rate := flag.Int("rate", 4000, "inserts a second per mode")
	bloat := flag.Int("bloat", 1000000, "entries the bloat mode adds, then deletes")
	wait := flag.Bool("wait", false, "wait for a line on stdin before starting")
	flag.Parse()
	if *wait {
		var line string
		fmt.Scanln(&line)
	}
	run := map[string]func(*sync.WaitGroup){
		"cache":     func(w *sync.WaitGroup) { runCache(w, *rate) },
		"deep":      func(w *sync.WaitGroup) { runDeep(w, *rate) },
		"fanout":    func(w *sync.WaitGroup) { runFanout(w, *rate) },
		"bloat":     func(w *sync.WaitGroup) { runBloat(w, *bloat) },
		"churn":     func(w *sync.WaitGroup) { runChurn(w, *rate*25) },
		"lru":       func(w *sync.WaitGroup) { runLRU(w, *rate) },
		"cleared":   func(w *sync.WaitGroup) { runCleared(w, *rate) },
		"rebuilt":   func(w *sync.WaitGroup) { runRebuilt(w, *rate) },
		"stable":    func(w *sync.WaitGroup) { runStable(w, 200000) },
		"tagged":    func(w *sync.WaitGroup) { runTagged(w, *rate) },
		"bigkeys":   func(w *sync.WaitGroup) { runBigKeys(w, *rate) },
		"stackmaps": func(w *sync.WaitGroup) { runStackMaps(w) },
	}
	var ready sync.WaitGroup
	for _, m := range strings.Split(*modes, ",") {
		f, ok := run[m]
		if !ok {
			fmt.Fprintf(os.Stderr, "leaks: unknown mode %q\n", m)
			os.Exit(2)
		}
		ready.Add(1)
		go f(&ready)
	}
	ready.Wait()
	fmt.Println("ready")
	select {}
}
