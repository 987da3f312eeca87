// SPDX-License-Identifier: GPL-2.0
/*
 * Layouts: hmap (Go's runtime/map.go) and maps.Map / maps.table
 * (internal/runtime/maps/map.go, table.go). A header read while the target
 * writes can be torn: every field is checked for plausibility, and a header
 * that fails is reported as not ok rather than trusted. process_vm_readv
 * stops at the first iovec it cannot read, so a batch resumes after a failed
 * header.
 */
#define _GNU_SOURCE /* process_vm_readv */
#include "sampler.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "bytes.h"

#define SWISS_MAX_DIR_LEN	    (1u << 20)
#define SWISS_SMALL_SLOTS	    8
#define SWISS_TABLE_CAPACITY_OFF    2
#define MAX_PLAUSIBLE_COUNT	    (1ull << 48)
#define CLASSIC_FLAG_SAME_SIZE_GROW 8

size_t map_header_size(const struct golayout *layout)
{
	return layout->header_size;
}

#define CLASSIC_MAX_B		 40
#define CLASSIC_FLAGS_MASK	 0x0f
#define CLASSIC_EXACT_OVERFLOW_B 16 /* noverflow is approximate from here */
#define CLASSIC_OVERFLOW_SLACK	 8

/*
 * Below B = 16 noverflow is exact, and a map with 2^B overflow buckets grows
 * at its next insert (tooManyOverflowBuckets), which resets it: more means
 * words that are not a map's header (a goroutine stack's, where a map lived
 * until its stack moved). While a grow is in progress the new array takes
 * overflow buckets too: four times as many pass.
 */
static bool classic_overflow_plausible(const struct map_header *h)
{
	uint64_t limit;

	if (h->b >= CLASSIC_EXACT_OVERFLOW_B)
		return true;
	limit = (h->growing ? 4ull : 1ull) << h->b;
	return h->noverflow <= limit + CLASSIC_OVERFLOW_SLACK;
}

static bool classic_decode(const struct golayout *layout, const uint8_t *raw, struct map_header *h)
{
	uint16_t noverflow;

	h->count = le64(raw);
	h->b = raw[9];
	memcpy(&noverflow, raw + 10, sizeof(noverflow));
	h->noverflow = noverflow;
	h->seed = le32(raw + 12);
	h->buckets = le64(raw + 16);
	h->oldbuckets = le64(raw + 24);
	h->growing = h->oldbuckets != 0;
	h->same_size_grow = raw[8] & CLASSIC_FLAG_SAME_SIZE_GROW;
	h->capacity = h->b < 58 ? 8ull << h->b : 0;
	if (layout->clear_seq_off >= 0)
		h->clear_seq = le64(raw + layout->clear_seq_off);
	/*
	 * Buckets hold 8, overflow buckets more: 32 a bucket is far past any real
	 * load. 2^40 buckets would not fit in memory; flags use the low 4 bits.
	 */
	return h->b <= CLASSIC_MAX_B && !(raw[8] & ~CLASSIC_FLAGS_MASK) &&
	       h->count < MAX_PLAUSIBLE_COUNT &&
	       h->count <= (32ull << h->b) + 8ull * h->noverflow &&
	       (h->count == 0 || le64(raw + 16) != 0) && classic_overflow_plausible(h);
}

static bool swiss_decode(const uint8_t *raw, struct map_header *h)
{
	uint8_t depth = raw[32], shift = raw[33];

	h->count = le64(raw);
	h->seed = le64(raw + 8);
	h->dir_ptr = le64(raw + 16);
	h->dir_len = le64(raw + 24);
	h->clear_seq = le64(raw + 40);
	if (h->count >= MAX_PLAUSIBLE_COUNT)
		return false;
	if (h->dir_len == 0) /* small: at most one 8-slot group */
		return h->count <= SWISS_SMALL_SLOTS && (h->count == 0 || h->dir_ptr);
	return h->dir_ptr && h->dir_len <= SWISS_MAX_DIR_LEN && depth < 32 &&
	       h->dir_len == 1ull << depth && shift == 64 - depth;
}

bool map_header_decode(const struct golayout *layout, const uint8_t *raw, struct map_header *out)
{
	memset(out, 0, sizeof(*out));
	if (layout->impl == GO_MAP_CLASSIC)
		return classic_decode(layout, raw, out);
	return swiss_decode(raw, out);
}

/* One process_vm_readv of up to SAMPLER_BATCH headers; returns how many were read whole. */
static ssize_t read_batch(pid_t pid, size_t hsize, const uint64_t *addrs, size_t n, uint8_t *buf)
{
	struct iovec local[SAMPLER_BATCH], remote[SAMPLER_BATCH];
	ssize_t got;
	size_t i;

	for (i = 0; i < n; i++) {
		local[i].iov_base = buf + i * hsize;
		local[i].iov_len = hsize;
		remote[i].iov_base = (void *)(uintptr_t)addrs[i];
		remote[i].iov_len = hsize;
	}
	got = process_vm_readv(pid, local, n, remote, n, 0);
	if (got < 0)
		return errno == EFAULT ? 0 : -errno;
	return got / (ssize_t)hsize;
}

int sampler_read_headers(pid_t pid, const struct golayout *layout, const uint64_t *addrs, size_t n,
			 struct map_header *out, bool *ok)
{
	size_t hsize = map_header_size(layout), i = 0, j, batch;
	uint8_t *buf = malloc(SAMPLER_BATCH * MAP_HEADER_MAX);
	int nread = 0;
	ssize_t got;

	if (!buf)
		return -ENOMEM;
	while (i < n) {
		batch = n - i < SAMPLER_BATCH ? n - i : SAMPLER_BATCH;
		got = read_batch(pid, hsize, addrs + i, batch, buf);
		if (got < 0) {
			free(buf);
			return (int)got;
		}
		for (j = 0; j < (size_t)got; j++) {
			ok[i + j] = map_header_decode(layout, buf + j * hsize, &out[i + j]);
			nread += ok[i + j];
		}
		i += got;
		if ((size_t)got < batch) { /* header i is unreadable: skip it, resume after */
			ok[i] = false;
			memset(&out[i], 0, sizeof(out[i]));
			i++;
		}
	}
	free(buf);
	return nread;
}

int sampler_read_remote(pid_t pid, uint64_t addr, void *dst, size_t len)
{
	struct iovec local = { .iov_base = dst, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (got < 0)
		return -errno;
	return (size_t)got == len ? 0 : -EFAULT;
}

/* Sums the capacity of each distinct table; equal neighbours share a table. */
static int sum_table_capacities(pid_t pid, const uint64_t *dir, uint64_t dir_len,
				uint64_t *capacity)
{
	uint64_t i;
	uint16_t cap;
	int err;

	*capacity = 0;
	for (i = 0; i < dir_len; i++) {
		if (i && dir[i] == dir[i - 1])
			continue;
		err = sampler_read_remote(pid, dir[i] + SWISS_TABLE_CAPACITY_OFF, &cap,
					  sizeof(cap));
		if (err)
			return err;
		*capacity += cap;
	}
	return 0;
}

int sampler_swiss_capacity(pid_t pid, const struct map_header *h, uint64_t *capacity)
{
	uint64_t *dir;
	int err;

	if (h->dir_len == 0) {
		*capacity = h->dir_ptr ? SWISS_SMALL_SLOTS : 0;
		return 0;
	}
	if (h->dir_len > SWISS_MAX_DIR_LEN)
		return -EINVAL;
	dir = malloc(h->dir_len * sizeof(*dir));
	if (!dir)
		return -ENOMEM;
	err = sampler_read_remote(pid, h->dir_ptr, dir, h->dir_len * sizeof(*dir));
	if (!err)
		err = sum_table_capacities(pid, dir, h->dir_len, capacity);
	free(dir);
	return err;
}
