// SPDX-License-Identifier: GPL-2.0
/*
 * profile.proto (github.com/google/pprof/proto/profile.proto), encoded by
 * hand: the handful of messages pprof needs, gzip'd with zlib.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "profile.h"
#include "hash.h"

/* profile.proto field numbers */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
};

enum { WIRE_VARINT = 0, WIRE_BYTES = 2 };

struct pbuf {
	uint8_t *data;
	size_t len, cap;
	bool failed;
};

static void pb_raw(struct pbuf *b, const void *d, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *grown;

		while (cap < b->len + n)
			cap *= 2;
		grown = realloc(b->data, cap);
		if (!grown) {
			b->failed = true;
			return;
		}
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, d, n);
	b->len += n;
}

static void pb_varint(struct pbuf *b, uint64_t v)
{
	uint8_t buf[10];
	size_t n = 0;

	do {
		buf[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	pb_raw(b, buf, n);
}

/* An integer field; zero is proto3's default and is left out. */
static void pb_uint(struct pbuf *b, int field, uint64_t v)
{
	if (!v)
		return;
	pb_varint(b, (uint64_t)field << 3 | WIRE_VARINT);
	pb_varint(b, v);
}

static void pb_bytes(struct pbuf *b, int field, const void *d, size_t n)
{
	pb_varint(b, (uint64_t)field << 3 | WIRE_BYTES);
	pb_varint(b, n);
	pb_raw(b, d, n);
}

/* An embedded message: m is emptied for reuse. */
static void pb_message(struct pbuf *b, int field, struct pbuf *m)
{
	if (m->failed)
		b->failed = true;
	pb_bytes(b, field, m->data, m->len);
	m->len = 0;
}

static void pb_packed(struct pbuf *b, int field, const uint64_t *v, int n, struct pbuf *scratch)
{
	int i;

	for (i = 0; i < n; i++)
		pb_varint(scratch, v[i]);
	pb_message(b, field, scratch);
}

/* Open addressing from a 64-bit key to an id (1-based: 0 is "none" in profile.proto). */
struct id_index {
	uint64_t *keys;
	uint32_t *ids;
	uint32_t size, n;
};

static int id_index_init(struct id_index *x, uint32_t capacity)
{
	x->size = 64;
	while (x->size < 2 * capacity)
		x->size *= 2;
	x->n = 0;
	x->keys = calloc(x->size, sizeof(*x->keys));
	x->ids = calloc(x->size, sizeof(*x->ids));
	return x->keys && x->ids ? 0 : -ENOMEM;
}

static void id_index_free(struct id_index *x)
{
	free(x->keys);
	free(x->ids);
}

/* The key's id; *added when it was given a new one. 0 when full. */
static uint32_t id_index_get(struct id_index *x, uint64_t key, bool *added)
{
	uint32_t i = hash_u64(key) & (x->size - 1);

	*added = false;
	for (; x->ids[i]; i = (i + 1) & (x->size - 1))
		if (x->keys[i] == key)
			return x->ids[i];
	if (2 * (x->n + 1) > x->size)
		return 0;
	x->keys[i] = key;
	x->ids[i] = ++x->n;
	*added = true;
	return x->ids[i];
}

/* The string table: strings interned by content, index 0 the empty string. */
struct string_table {
	const char **strings;
	uint32_t n, cap;
	struct id_index index; /* by hash of content; collisions checked below */
};

static int string_table_init(struct string_table *t, uint32_t capacity)
{
	t->cap = capacity + 1;
	t->n = 1;
	t->strings = calloc(t->cap, sizeof(*t->strings));
	if (!t->strings)
		return -ENOMEM;
	t->strings[0] = "";
	return id_index_init(&t->index, capacity);
}

static void string_table_free(struct string_table *t)
{
	free(t->strings);
	id_index_free(&t->index);
}

static int64_t string_id(struct string_table *t, const char *s)
{
	uint64_t h = hash_string(s);
	bool added;
	uint32_t id;

	if (!*s)
		return 0;
	/* Linear probing on the hash: a collision moves to the next key. */
	for (;; h++) {
		id = id_index_get(&t->index, h, &added);
		if (!id || t->n == t->cap)
			return 0;
		if (added) {
			t->strings[t->n] = s;
			if (id != t->n++)
				return 0;
			return id;
		}
		if (!strcmp(t->strings[id], s))
			return id;
	}
}

struct pprof_writer {
	const struct profile *p;
	struct pbuf out, msg, inner;
	struct string_table strings;
	struct id_index locations; /* by pc */
	struct id_index functions; /* by (name, file) string ids */
	uint64_t pc_min, pc_max;
};

static void write_value_type(struct pprof_writer *w, int field, const char *type, const char *unit)
{
	pb_uint(&w->inner, 1, (uint64_t)string_id(&w->strings, type));
	pb_uint(&w->inner, 2, (uint64_t)string_id(&w->strings, unit));
	pb_message(&w->out, field, &w->inner);
}

static uint32_t function_id(struct pprof_writer *w, const char *func, const char *path)
{
	int64_t name = string_id(&w->strings, func);
	int64_t file = string_id(&w->strings, path ? path : "");
	bool added;
	uint32_t id = id_index_get(&w->functions, (uint64_t)name << 32 | (uint64_t)file, &added);

	if (added) {
		pb_uint(&w->inner, 1, id);
		pb_uint(&w->inner, 2, (uint64_t)name);
		pb_uint(&w->inner, 3, (uint64_t)name);
		pb_uint(&w->inner, 4, (uint64_t)file);
		pb_message(&w->out, PROFILE_FUNCTION, &w->inner);
	}
	return id;
}

static uint32_t location_id(struct pprof_writer *w, const struct profile_frame *f)
{
	bool added;
	uint32_t id = id_index_get(&w->locations, f->pc, &added), fn;

	if (!added)
		return id;
	if (f->pc < w->pc_min)
		w->pc_min = f->pc;
	if (f->pc > w->pc_max)
		w->pc_max = f->pc;
	pb_uint(&w->msg, 1, id);
	pb_uint(&w->msg, 2, 1); /* the one mapping: the target's executable */
	pb_uint(&w->msg, 3, f->pc);
	/* Lines: the innermost (inlined) function first, then the one holding it. */
	if (f->func) {
		fn = function_id(w, f->func, f->file);
		pb_uint(&w->inner, 1, fn);
		pb_uint(&w->inner, 2, f->line > 0 ? (uint64_t)f->line : 0);
		pb_message(&w->msg, 4, &w->inner);
	}
	if (f->holder) {
		fn = function_id(w, f->holder, f->holder_file);
		pb_uint(&w->inner, 1, fn);
		pb_message(&w->msg, 4, &w->inner);
	}
	pb_message(&w->out, PROFILE_LOCATION, &w->msg);
	return id;
}

/* location_id lists the leaf first. */
static void write_sample(struct pprof_writer *w, const struct profile_stack *s)
{
	struct profile_frame frames[PROFILE_MAX_FRAMES];
	uint64_t ids[PROFILE_MAX_FRAMES];
	struct pbuf sample = { 0 };
	int n = profile_frames(w->p, s, frames), i;

	for (i = 0; i < n; i++)
		ids[n - 1 - i] = location_id(w, &frames[i]);
	pb_packed(&sample, 1, ids, n, &w->inner);
	pb_packed(&sample, 2, s->value, PROFILE_VALUES, &w->inner);
	pb_message(&w->out, PROFILE_SAMPLE, &sample);
	free(sample.data);
}

static void write_mapping(struct pprof_writer *w)
{
	pb_uint(&w->msg, 1, 1);
	pb_uint(&w->msg, 2, w->pc_min <= w->pc_max ? w->pc_min : 0);
	pb_uint(&w->msg, 3, w->pc_min <= w->pc_max ? w->pc_max + 1 : 0);
	pb_uint(&w->msg, 5, (uint64_t)string_id(&w->strings, w->p->exe_path));
	pb_uint(&w->msg, 7, 1); /* has_functions */
	pb_uint(&w->msg, 8, 1); /* has_filenames */
	pb_uint(&w->msg, 9, 1); /* has_line_numbers */
	pb_message(&w->out, PROFILE_MAPPING, &w->msg);
}

static void write_header(struct pprof_writer *w)
{
	struct timespec now;
	uint64_t now_ns;

	clock_gettime(CLOCK_REALTIME, &now);
	now_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	write_value_type(w, PROFILE_SAMPLE_TYPE, "grows", "count");
	write_value_type(w, PROFILE_SAMPLE_TYPE, "entries", "count");
	write_value_type(w, PROFILE_SAMPLE_TYPE, "bytes", "bytes");
	write_value_type(w, PROFILE_SAMPLE_TYPE, "live_bytes", "bytes");
	write_value_type(w, PROFILE_PERIOD_TYPE, "grows", "count");
	pb_uint(&w->out, PROFILE_PERIOD, 1);
	pb_uint(&w->out, PROFILE_TIME_NANOS, w->p->start_ns);
	pb_uint(&w->out, PROFILE_DURATION_NANOS,
		now_ns > w->p->start_ns ? now_ns - w->p->start_ns : 0);
	pb_uint(&w->out, PROFILE_DEFAULT_SAMPLE_TYPE, (uint64_t)string_id(&w->strings, "grows"));
}

static void write_string_table(struct pprof_writer *w)
{
	uint32_t i;

	for (i = 0; i < w->strings.n; i++)
		pb_bytes(&w->out, PROFILE_STRING_TABLE, w->strings.strings[i],
			 strlen(w->strings.strings[i]));
}

static int encode(struct pprof_writer *w)
{
	uint32_t frames = (w->p->nstacks + 1) * PROFILE_MAX_FRAMES, i;

	/* Each frame: at most a location, a function, a name and a file. */
	if (string_table_init(&w->strings, 2 * frames + 16) ||
	    id_index_init(&w->locations, frames) || id_index_init(&w->functions, frames))
		return -ENOMEM;
	w->pc_min = UINT64_MAX;
	write_header(w);
	for (i = 0; i < 2 * PROFILE_MAX_STACKS; i++)
		if (w->p->stacks[i].used)
			write_sample(w, &w->p->stacks[i]);
	write_mapping(w);
	write_string_table(w);
	return w->out.failed || w->msg.failed || w->inner.failed ? -ENOMEM : 0;
}

static int write_gzip(const char *path, void *ctx)
{
	const struct pbuf *b = ctx;
	gzFile gz = gzopen(path, "wb");
	int err = 0;

	if (!gz)
		return errno ? -errno : -ENOMEM;
	if (b->len && gzwrite(gz, b->data, (unsigned int)b->len) != (int)b->len)
		err = -EIO;
	if (gzclose(gz) != Z_OK && !err)
		err = -EIO;
	return err;
}

int profile_write_pprof(const struct profile *p, const char *path)
{
	struct pprof_writer w = { .p = p };
	int err = encode(&w);

	if (!err)
		err = profile_replace_file(path, write_gzip, &w.out);
	free(w.out.data);
	free(w.msg.data);
	free(w.inner.data);
	string_table_free(&w.strings);
	id_index_free(&w.locations);
	id_index_free(&w.functions);
	return err;
}
