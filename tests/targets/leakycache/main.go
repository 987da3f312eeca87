// SPDX-License-Identifier: GPL-2.0
// leakycache is the demo's leaking service: a per-user cache,
// map[string]map[int]string, whose inner maps are filled forever and never
// trimmed, while new users keep arriving. It runs until killed.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

type Cache struct {
	byUser map[string]map[int]string
}

func NewCache() *Cache {
	return &Cache{byUser: make(map[string]map[int]string)}
}

// Put stores v for (user, id). The inner map is created on a user's first
// request and nothing ever removes entries from it: the leak.
func (c *Cache) Put(user string, id int, v string) {
	inner, ok := c.byUser[user]
	if !ok {
		inner = make(map[int]string)
		c.byUser[user] = inner
	}
	inner[id] = v
}

// The service's cache, shared by its handlers (so it lives on the heap).
var cache *Cache

func main() {
	rate := flag.Int("rate", 20000, "cache writes per second")
	users := flag.Int("users", 64, "users at start; one more arrives every second")
	flag.Parse()
	fmt.Printf("leakycache: pid %d, %d writes/s\n", os.Getpid(), *rate)
	cache = NewCache()
	tick := time.NewTicker(10 * time.Millisecond)
	start := time.Now()
	for n := 0; ; n++ {
		<-tick.C
		nusers := *users + int(time.Since(start).Seconds())
		for i := 0; i < *rate/100; i++ {
			user := "user:" + strconv.Itoa((n*7+i)%nusers)
			cache.Put(user, n*(*rate/100)+i, "session-data")
		}
	}
}
