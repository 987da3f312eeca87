// SPDX-License-Identifier: GPL-2.0

package main

import (
	"fmt"
	"strconv"
	"sync"
)

// pair is a 12-byte struct key (neither 4 nor 8 bytes): the generic runtime.mapassign.
type pair struct{ a, b, c int32 }

// bigKey and bigElem are over 128 bytes: classic buckets hold pointers to them.
type bigKey struct {
	id   int64
	seed int64
	pad  [144]byte
}
type bigElem [200]byte

// variantMaps holds one map per runtime function variant on amd64 (fast32ptr
// is for 32-bit pointers only).
type variantMaps struct {
	m32  map[int32]int32    // mapassign_fast32
	m64  map[int64]int      // mapassign_fast64
	m64p map[*int64]int     // mapassign_fast64ptr: a pointer key
	mstr map[string]int     // mapassign_faststr
	pair map[pair]int       // mapassign (generic)
	big  map[bigKey]bigElem // mapassign (generic, indirect key and element)
	ptrs []int64            // the pointer keys' targets
}

func fillVariants(v *variantMaps, n int, seed int32) {
	for i := 0; i < n; i++ {
		v.m32[int32(i)] = int32(i)                                        // gomapleak:v-insert-fast32
		v.m64[int64(i)] = i                                               // gomapleak:v-insert-fast64
		v.m64p[&v.ptrs[i]] = i                                            // gomapleak:v-insert-fast64ptr
		v.mstr[strconv.Itoa(i)] = i                                       // gomapleak:v-insert-faststr
		v.pair[pair{int32(i), seed, 7}] = i                               // gomapleak:v-insert-generic
		v.big[bigKey{id: int64(i), seed: int64(seed)}] = bigElem{byte(i)} // gomapleak:v-insert-big
	}
}

func drainVariants(v *variantMaps, n int, seed int32) {
	for i := 0; i < n; i++ {
		delete(v.m32, int32(i))                                // gomapleak:v-delete-fast32
		delete(v.m64p, &v.ptrs[i])                             // gomapleak:v-delete-fast64ptr
		delete(v.mstr, strconv.Itoa(i))                        // gomapleak:v-delete-faststr
		delete(v.pair, pair{int32(i), seed, 7})                // gomapleak:v-delete-generic
		delete(v.big, bigKey{id: int64(i), seed: int64(seed)}) // gomapleak:v-delete-big
	}
}

// variantsWorker fills each variant's map with n keys, deletes the first
// n/2 and clears the fast64 map: what remains goes into the checksum.
func variantsWorker(n int, seed int32) int {
	v := &variantMaps{
		m32: make(map[int32]int32), m64: make(map[int64]int), m64p: make(map[*int64]int),
		mstr: make(map[string]int), pair: make(map[pair]int),
		big: make(map[bigKey]bigElem), ptrs: make([]int64, n),
	}
	fillVariants(v, n, seed)
	drainVariants(v, n/2, seed)
	clearInts(v.m64)
	sum := len(v.m64)
	for k, e := range v.big {
		sum += int(k.id) + int(e[0])
	}
	return sum + len(v.m32) + len(v.m64p) + len(v.mstr) + len(v.pair)
}

// runVariants runs workers goroutines at once, each on its own maps.
func runVariants(workers, n int) string {
	var wg sync.WaitGroup
	var start sync.WaitGroup
	sums := make([]int, workers)
	start.Add(1)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			start.Wait()
			sums[w] = variantsWorker(n, int32(w))
		}(w)
	}
	start.Done()
	wg.Wait()
	sum := 0
	for _, s := range sums {
		sum += s
	}
	return fmt.Sprintf("variants workers=%d inserts=%d deletes=%d clears=%d checksum=%d",
		workers, workers*n, workers*(n/2), workers, sum)
}
