/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reads map headers from the target's memory (process_vm_readv; never
 * writes), batched, and validates them: the target writes while we read.
 */
#ifndef GOMAPLEAK_SAMPLER_H
#define GOMAPLEAK_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "golayout.h"

/* One map header, the same fields whichever the implementation. */
struct map_header {
	uint64_t count;	   /* entries (len) */
	uint64_t seed;	   /* hash seed: changes on clear and on reuse of the address */
	uint64_t capacity; /* slots: classic 8 << B; Swiss: sum over tables (sampler_swiss_capacity)
			    */
	uint8_t b;	   /* classic: log2 of buckets */
	uint16_t noverflow;  /* classic: overflow buckets (approximate past B = 16) */
	bool growing;	     /* classic: old buckets still being evacuated */
	uint64_t dir_ptr;    /* Swiss: directory, or the single group of a small map */
	uint64_t dir_len;    /* Swiss: 0 for a small map, else 1 << globalDepth */
	uint64_t clear_seq;  /* Swiss (and classic 1.24/1.25 noswissmap): clear(m) count */
	uint64_t buckets;    /* classic: the bucket array */
	uint64_t oldbuckets; /* classic: the array being evacuated, while growing */
	bool same_size_grow; /* classic: the grow in progress keeps B */
};

/* Headers are at most this big (classic with clearSeq: 56). */
#define MAP_HEADER_MAX 56
/* iovecs per process_vm_readv (the kernel's UIO_MAXIOV). */
#define SAMPLER_BATCH 1024

/*
 * Reads n headers at addrs; ok[i] says whether header i was read and looked
 * like a map header. Returns the number read, or a negative errno when the
 * process cannot be read at all (gone: -ESRCH; no permission: -EPERM).
 */
int sampler_read_headers(pid_t pid, const struct golayout *layout, const uint64_t *addrs, size_t n,
			 struct map_header *out, bool *ok);
/* Reads len bytes of the target at addr: 0, or a negative errno (-EFAULT if short). */
int sampler_read_remote(pid_t pid, uint64_t addr, void *dst, size_t len);
/* A Swiss map's capacity: its tables' capacities, or 8 for a small map. */
int sampler_swiss_capacity(pid_t pid, const struct map_header *h, uint64_t *capacity);
/* Decodes one header from its bytes (exposed for tests and fuzzing). */
bool map_header_decode(const struct golayout *layout, const uint8_t *raw, struct map_header *out);
size_t map_header_size(const struct golayout *layout);

#endif /* GOMAPLEAK_SAMPLER_H */
