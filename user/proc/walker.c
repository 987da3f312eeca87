// SPDX-License-Identifier: GPL-2.0
/*
 * Classic: 2^B buckets (and, while growing, the old array), each with 8
 * tophash bytes, keys, elements and an overflow pointer in its last word; a
 * slot is live when its tophash is >= minTopHash (5); evacuated old slots
 * are marked 2-4, so every entry is seen once. Swiss: a small map's single
 * group, or each distinct table of the directory (groups.data at +16,
 * lengthMask at +24); a slot is full when its ctrl byte's top bit is clear.
 */
#include "walker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

#define SLOTS			   8
#define CLASSIC_MIN_TOPHASH	   5
#define CLASSIC_MAX_OVERFLOW_READS (1u << 16)
#define SWISS_CTRL_EMPTY_BIT	   0x80
#define SWISS_TABLE_HEADER	   32
#define SWISS_MAX_GROUPS	   128 /* a table holds at most 1024 slots */
#define WALKER_CHUNK		   (1u << 20)

struct walk {
	pid_t pid;
	const struct go_map_type *mt;
	walker_slot_fn fn;
	void *ctx;
	uint64_t budget; /* bytes left to read */
	bool stopped;	 /* fn asked for no more slots */
};

static void yield_slot(struct walk *w, const uint8_t *storage, unsigned int slot)
{
	const struct go_map_type *mt = w->mt;

	if (!w->stopped)
		w->stopped = !w->fn(w->ctx, storage + mt->keys_off + slot * mt->key_stride,
				    storage + mt->elems_off + slot * mt->elem_stride);
}

/* Reads len bytes into a fresh buffer, charged to the walk's budget. */
static int read_charged(struct walk *w, uint64_t addr, uint64_t len, uint8_t **out)
{
	int err;

	if (len > w->budget)
		return -E2BIG;
	w->budget -= len;
	*out = malloc(len ? len : 1);
	if (!*out)
		return -ENOMEM;
	err = sampler_read_remote(w->pid, addr, *out, len);
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}

static void walk_bucket(struct walk *w, const uint8_t *b)
{
	unsigned int i;

	for (i = 0; i < SLOTS; i++)
		if (b[i] >= CLASSIC_MIN_TOPHASH)
			yield_slot(w, b, i);
}

/* A bucket's overflow chain, bounded: each overflow bucket is one read. */
static int walk_overflow(struct walk *w, uint64_t next, unsigned int *reads)
{
	uint64_t size = w->mt->storage_size;
	uint8_t *b;
	int err;

	while (next && !w->stopped && (*reads)++ < CLASSIC_MAX_OVERFLOW_READS) {
		err = read_charged(w, next, size, &b);
		if (err)
			return err == -EFAULT ? 0 : err; /* freed under us: skip the rest */
		walk_bucket(w, b);
		next = le64(b + size - 8);
		free(b);
	}
	return 0;
}

/*
 * The array in reads of about WALKER_CHUNK bytes: a 1M-entry map's buckets
 * are tens of megabytes, and the tracer's memory should not follow them.
 */
static int walk_classic_array(struct walk *w, uint64_t array, uint64_t nbuckets)
{
	uint64_t size = w->mt->storage_size, per_read = WALKER_CHUNK / size + 1, at, i, n;
	unsigned int overflow_reads = 0;
	uint8_t *buckets;
	int err = 0;

	if (!array || !nbuckets)
		return 0;
	if (nbuckets > w->budget / size)
		return -E2BIG;
	for (at = 0; !err && !w->stopped && at < nbuckets; at += n) {
		n = nbuckets - at < per_read ? nbuckets - at : per_read;
		err = read_charged(w, array + at * size, n * size, &buckets);
		for (i = 0; !err && !w->stopped && i < n; i++) {
			walk_bucket(w, buckets + i * size);
			err = walk_overflow(w, le64(buckets + i * size + size - 8),
					    &overflow_reads);
		}
		free(buckets);
	}
	return err;
}

static int walk_classic(struct walk *w, const struct map_header *h)
{
	int err;

	if (h->b >= 40 || w->mt->storage_size < SLOTS + 8)
		return -EINVAL;
	err = walk_classic_array(w, h->buckets, 1ull << h->b);
	if (!err && h->growing)
		err = walk_classic_array(w, h->oldbuckets,
					 h->same_size_grow || !h->b ? 1ull << h->b
								    : 1ull << (h->b - 1));
	return err;
}

static void walk_group(struct walk *w, const uint8_t *g)
{
	uint64_t ctrl = le64(g);
	unsigned int i;

	for (i = 0; i < SLOTS; i++)
		if (!((ctrl >> (8 * i)) & SWISS_CTRL_EMPTY_BIT))
			yield_slot(w, g, i);
}

static int walk_table(struct walk *w, uint64_t table)
{
	uint64_t size = w->mt->storage_size, ngroups, i;
	uint8_t header[SWISS_TABLE_HEADER], *groups;
	int err = sampler_read_remote(w->pid, table, header, sizeof(header));

	if (err)
		return err == -EFAULT ? 0 : err;
	ngroups = le64(header + 24) + 1;
	if (ngroups > SWISS_MAX_GROUPS)
		return 0; /* torn: skip the table */
	err = read_charged(w, le64(header + 16), ngroups * size, &groups);
	if (err)
		return err == -EFAULT ? 0 : err;
	for (i = 0; i < ngroups && !w->stopped; i++)
		walk_group(w, groups + i * size);
	free(groups);
	return 0;
}

static int walk_swiss(struct walk *w, const struct map_header *h)
{
	uint8_t *group, *dir;
	uint64_t i, prev = 0;
	int err;

	if (!h->dir_ptr)
		return 0;
	if (h->dir_len == 0) {
		err = read_charged(w, h->dir_ptr, w->mt->storage_size, &group);
		if (!err)
			walk_group(w, group);
		free(group);
		return err;
	}
	err = read_charged(w, h->dir_ptr, h->dir_len * 8, &dir);
	for (i = 0; !err && !w->stopped && i < h->dir_len; i++) {
		uint64_t table = le64(dir + i * 8);

		if (table != prev) /* several directory entries may share a table */
			err = walk_table(w, table);
		prev = table;
	}
	free(dir);
	return err;
}

/* Whether every key and element slot lies inside one bucket or group. */
static bool slots_fit(const struct go_map_type *mt)
{
	uint64_t key_size = mt->indirect_key ? 8 : mt->key_size;
	uint64_t elem_size = mt->indirect_elem ? 8 : mt->elem_size;

	return mt->storage_size >= SLOTS + 8 && mt->key_stride >= key_size &&
	       mt->elem_stride >= elem_size &&
	       mt->keys_off + (SLOTS - 1) * mt->key_stride + key_size <= mt->storage_size &&
	       mt->elems_off + (SLOTS - 1) * mt->elem_stride + elem_size <= mt->storage_size;
}

int walker_slots(pid_t pid, enum go_map_impl impl, const struct go_map_type *mt,
		 const struct map_header *h, walker_slot_fn fn, void *ctx)
{
	struct walk w = { .pid = pid, .mt = mt, .fn = fn, .ctx = ctx, .budget = WALKER_MAX_BYTES };

	if (!slots_fit(mt))
		return -EINVAL;
	return impl == GO_MAP_CLASSIC ? walk_classic(&w, h) : walk_swiss(&w, h);
}

struct inner_walk {
	walker_fn fn;
	void *ctx;
};

static bool yield_inner_map(void *data, const uint8_t *key, const uint8_t *elem)
{
	struct inner_walk *iw = data;
	uint64_t inner = le64(elem);

	(void)key;
	if (inner)
		iw->fn(iw->ctx, inner);
	return true;
}

int walker_inner_maps(pid_t pid, enum go_map_impl impl, const struct go_map_type *mt,
		      const struct map_header *h, walker_fn fn, void *ctx)
{
	struct inner_walk iw = { .fn = fn, .ctx = ctx };

	if (mt->elem_kind != GO_KIND_MAP || mt->indirect_elem || mt->elem_size != 8)
		return -EINVAL;
	return walker_slots(pid, impl, mt, h, yield_inner_map, &iw);
}
