// SPDX-License-Identifier: GPL-2.0
// lateleaks is a service that has run for a while before gomapleak attaches:
// its leaking maps were made (and partly filled) before it prints "ready",
// and many of them leak together, each too slowly to matter alone:
//
//	users50    a per-user cache map[string]map[int]string of 50 users made
//	           before the attach; each inner map gains 60 entries a second
//	users1000  the same with 1000 users gaining 4 a second each
//	tenants    40 tenant structs each holding a map filled at one line
//	deep3      map[string]map[string]map[string]interface{}: 10 innermost
//	           maps grow, the outer levels never do
//
// and leak-free controls beside them:
//
//	perreq     maps made and filled to 16 entries per request, 2000 a second
//	inflight   requests that each fill their own map over ~100 ms, 1000 a
//	           second: about 100 in flight at once
//	lru        a cache capped at 4096 entries, oldest evicted
//	emptied    a map filled, then emptied every 2 seconds of wall time
//	stable     a large map filled once, then only read
//	stopped    200 long-lived maps at one site, filled before "ready", then
//	           only updated in place
//
// and, not in the default set, maps that never grow while watched:
//
//	bigmap     a plain map filled to 900,000 entries before "ready", then
//	           gaining 4000 a second: classic maps next grow at 1,703,936
//	steadyops  2000 inserts and 1500 deletes a second at two lines, into one
//	           map; prints its own counts every second ("steady inserts=N
//	           deletes=M")
//	bloated    a map filled to 200,000 entries, emptied to 100 before
//	           "ready", then written 1000 times a second (as many deletes):
//	           it keeps its storage
//	busy       no maps: 2 ms of hashing every 10 ms, the work a service does
//	           besides its maps (what a CPU budget is a share of)
//
// Every leak's rate is fixed, so a test knows what each group gains. Runs
// until killed.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var sink int

// longLived keeps every mode's maps reachable from a global, as a service's
// caches are.
var longLived sync.Map

func keep(name string, m interface{}) { longLived.Store(name, m) }

// every runs f every d; n counts the calls.
func every(d time.Duration, f func(n int)) {
	t := time.NewTicker(d)
	for n := 0; ; n++ {
		<-t.C
		f(n)
	}
}

// prefill is what user u's inner map holds before the attach: spread, so
// that the maps do not all grow at the same moment.
func prefill(u int) int { return 100 + (u*37)%150 }

// runUsers keeps a per-user cache of users inner maps, made and partly filled
// before "ready", then adds rate entries a second round-robin through fill:
// each mode passes its own, so that each fills at a line of its own.
func runUsers(ready *sync.WaitGroup, name string, users, rate int, fill func(map[int]string, int)) {
	cache := make(map[string]map[int]string) // gomapleak:make-users
	keep(name, cache)
	next := make([]int, users)
	for u := 0; u < users; u++ {
		inner := make(map[int]string)
		for next[u] = 0; next[u] < prefill(u)/(1+users/300); next[u]++ {
			inner[next[u]] = "s"
		}
		cache["user:"+strconv.Itoa(u)] = inner
	}
	ready.Done()
	every(10*time.Millisecond, func(n int) {
		for i := 0; i < rate/100; i++ {
			u := (n*rate/100 + i) % users
			fill(cache["user:"+strconv.Itoa(u)], next[u])
			next[u]++
		}
	})
}

func runUsers50(ready *sync.WaitGroup) {
	runUsers(ready, "users50", 50, 3000, func(inner map[int]string, k int) {
		inner[k] = "session" // gomapleak:fill-users50
	})
}

func runUsers1000(ready *sync.WaitGroup) {
	runUsers(ready, "users1000", 1000, 4000, func(inner map[int]string, k int) {
		inner[k] = "session" // gomapleak:fill-users1000
	})
}

type tenant struct {
	name string
	seen map[string]int
}

func runTenants(ready *sync.WaitGroup) {
	const count, rate = 40, 3000
	tenants := make([]*tenant, count)
	for i := range tenants {
		tenants[i] = &tenant{name: "t" + strconv.Itoa(i), seen: make(map[string]int)}
		for k := 0; k < prefill(i); k++ {
			tenants[i].seen["old-"+strconv.Itoa(k)] = k
		}
	}
	keep("tenants", tenants)
	ready.Done()
	every(10*time.Millisecond, func(n int) {
		for i := 0; i < rate/100; i++ {
			t := tenants[(n*rate/100+i)%count]
			t.seen["req-"+strconv.Itoa(n)+"-"+strconv.Itoa(i)] = n // gomapleak:fill-tenants
		}
	})
}

func runDeep3(ready *sync.WaitGroup) {
	const services, endpoints, rate = 5, 2, 3000
	tree := make(map[string]map[string]map[string]interface{}) // gomapleak:make-deep3
	keep("deep3", tree)
	for s := 0; s < services; s++ {
		eps := make(map[string]map[string]interface{})
		for e := 0; e < endpoints; e++ {
			leaf := make(map[string]interface{})
			for k := 0; k < prefill(s*endpoints+e); k++ {
				leaf["old-"+strconv.Itoa(k)] = k
			}
			eps["ep-"+strconv.Itoa(e)] = leaf
		}
		tree["svc-"+strconv.Itoa(s)] = eps
	}
	ready.Done()
	every(10*time.Millisecond, func(n int) {
		for i := 0; i < rate/100; i++ {
			j := n*rate/100 + i
			leaf := tree["svc-"+strconv.Itoa(j%services)]["ep-"+strconv.Itoa(j/services%endpoints)]
			leaf["call-"+strconv.Itoa(j)] = j // gomapleak:fill-deep3
		}
	})
}

func runPerRequest(ready *sync.WaitGroup) {
	ready.Done()
	every(10*time.Millisecond, func(n int) {
		for r := 0; r < 20; r++ {
			req := make(map[string]int) // gomapleak:make-perreq
			for i := 0; i < 16; i++ {
				req["h"+strconv.Itoa(i)] = i // gomapleak:fill-perreq
			}
			sink += len(req)
		}
	})
}

func handle(id int) {
	fields := make(map[int]int) // gomapleak:make-inflight
	for i := 0; i < 50; i++ {
		fields[i] = id // gomapleak:fill-inflight
		time.Sleep(2 * time.Millisecond)
	}
	sink += len(fields)
}

func runInflight(ready *sync.WaitGroup) {
	ready.Done()
	id := 0
	every(10*time.Millisecond, func(n int) {
		for r := 0; r < 10; r++ {
			go handle(id)
			id++
		}
	})
}

func runLRU(ready *sync.WaitGroup) {
	const capacity, rate = 4096, 3000
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

func runEmptied(ready *sync.WaitGroup) {
	const rate = 3000
	recent := make(map[int]string) // gomapleak:make-emptied
	keep("emptied", recent)
	ready.Done()
	last := time.Now()
	next := 0
	every(10*time.Millisecond, func(n int) {
		if time.Since(last) >= 2*time.Second {
			for k := range recent {
				delete(recent, k)
			}
			last = time.Now()
		}
		for i := 0; i < rate/100; i++ {
			recent[next] = "x" // gomapleak:fill-emptied
			next++
		}
	})
}

func runStable(ready *sync.WaitGroup) {
	const size = 200000
	table := make(map[int]int) // gomapleak:make-stable
	keep("stable", table)
	for i := 0; i < size; i++ {
		table[i] = i // gomapleak:fill-stable
	}
	ready.Done()
	every(10*time.Millisecond, func(n int) { sink += table[n%size] })
}

func runStopped(ready *sync.WaitGroup) {
	const count = 200
	maps := make([]map[int]int, count)
	for i := range maps {
		maps[i] = make(map[int]int) // gomapleak:make-stopped
		for k := 0; k < prefill(i); k++ {
			maps[i][k] = k // gomapleak:fill-stopped
		}
	}
	keep("stopped", maps)
	ready.Done()
	every(10*time.Millisecond, func(n int) {
		m := maps[n%count]
		m[n%len(m)] = n // gomapleak:update-stopped
	})
}

func runBigMap(ready *sync.WaitGroup) {
	const size, rate = 900000, 4000
	big := make(map[int64]int64) // gomapleak:make-bigmap
	keep("bigmap", big)
	next := int64(0)
	for ; next < size; next++ {
		big[next] = next // gomapleak:prefill-bigmap
	}
	ready.Done()
	every(time.Millisecond, func(n int) {
		for i := 0; i < rate/1000; i++ {
			big[next] = next // gomapleak:fill-bigmap
			next++
		}
	})
}

func runSteadyOps(ready *sync.WaitGroup) {
	var inserts, deletes atomic.Int64
	m := make(map[int]int) // gomapleak:make-steady
	keep("steadyops", m)
	next, oldest := 0, 0
	ready.Done()
	go every(time.Second, func(n int) {
		fmt.Printf("steady inserts=%d deletes=%d\n", inserts.Load(), deletes.Load())
	})
	every(2*time.Millisecond, func(n int) {
		for i := 0; i < 4; i++ {
			m[next] = next // gomapleak:insert-steady
			next++
		}
		inserts.Add(4)
		for i := 0; i < 3; i++ {
			delete(m, oldest) // gomapleak:delete-steady
			oldest++
		}
		deletes.Add(3)
	})
}

func runBloated(ready *sync.WaitGroup) {
	const size, kept = 200000, 100
	m := make(map[int]int) // gomapleak:make-bloated
	keep("bloated", m)
	for i := 0; i < size; i++ {
		m[i] = i // gomapleak:prefill-bloated
	}
	for i := 0; i < size-kept; i++ {
		delete(m, i)
	}
	next, oldest := size, size-kept
	ready.Done()
	every(10*time.Millisecond, func(n int) {
		for i := 0; i < 10; i++ {
			m[next] = next // gomapleak:churn-bloated
			next++
			delete(m, oldest)
			oldest++
		}
	})
}

func runBusy(ready *sync.WaitGroup) {
	ready.Done()
	sum := sha256.Sum256([]byte("busy"))
	every(10*time.Millisecond, func(n int) {
		for start := time.Now(); time.Since(start) < 2*time.Millisecond; {
			sum = sha256.Sum256(sum[:])
		}
		sink += int(sum[0])
	})
}

func main() {
	modes := flag.String("modes", "users50,users1000,tenants,deep3,perreq,inflight,lru,emptied,stable,stopped",
		"comma-separated modes to run")
	flag.Parse()
	run := map[string]func(*sync.WaitGroup){
		"users50":   runUsers50,
		"users1000": runUsers1000,
		"tenants":   runTenants,
		"deep3":     runDeep3,
		"perreq":    runPerRequest,
		"inflight":  runInflight,
		"lru":       runLRU,
		"emptied":   runEmptied,
		"stable":    runStable,
		"stopped":   runStopped,
		"bigmap":    runBigMap,
		"steadyops": runSteadyOps,
		"bloated":   runBloated,
		"busy":      runBusy,
	}
	var ready sync.WaitGroup
	for _, m := range strings.Split(*modes, ",") {
		f, ok := run[m]
		if !ok {
			fmt.Fprintf(os.Stderr, "lateleaks: unknown mode %q\n", m)
			os.Exit(2)
		}
		ready.Add(1)
		go f(&ready)
	}
	ready.Wait()
	fmt.Println("ready")
	select {}
}
