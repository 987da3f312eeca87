// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <string.h>

#include "gobinary.h"
#include "sampler.h"
#include "spawn.h"
#include "target.h"
#include "variants.h"
#include "walker.h"

#include <stdlib.h>

static struct golayout layout_of(const char *version, const char *experiment)
{
	struct gobuildinfo bi = { 0 };
	struct golayout l;

	strcpy(bi.version, version);
	strcpy(bi.goexperiment, experiment);
	go_version_parse(version, &bi.parsed);
	cr_assert_eq(golayout_for(&bi, &l), 0);
	return l;
}

Test(sampler, decodes_a_classic_hmap_and_rejects_torn_ones)
{
	struct golayout l = layout_of("go1.23.5", "");
	uint8_t raw[56] = { 0 };
	struct map_header h;
	uint64_t count = 800, buckets = 0xc000100000;

	memcpy(raw, &count, 8);
	raw[9] = 7;	/* B */
	raw[12] = 0x2a; /* hash0 */
	memcpy(raw + 16, &buckets, 8);
	cr_assert(map_header_decode(&l, raw, &h));
	cr_assert_eq(h.count, 800);
	cr_assert_eq(h.capacity, 8 << 7);
	cr_assert_eq(h.seed, 0x2a);
	count = 1ull << 40; /* far more than 128 buckets hold */
	memcpy(raw, &count, 8);
	cr_assert_not(map_header_decode(&l, raw, &h));
	count = 3;
	memcpy(raw, &count, 8);
	memset(raw + 16, 0, 8); /* entries but no buckets */
	cr_assert_not(map_header_decode(&l, raw, &h));
}

Test(sampler, rejects_more_overflow_buckets_than_a_map_keeps)
{
	struct golayout l = layout_of("go1.24.4", "noswissmap");
	uint8_t raw[56] = { 0 };
	struct map_header h;
	uint64_t buckets = 0xc000100000, oldbuckets = 0xc000200000;
	uint16_t noverflow = 4;

	raw[9] = 2; /* B: 4 buckets, so at most 4 overflow buckets before a grow */
	memcpy(raw + 16, &buckets, 8);
	memcpy(raw + 10, &noverflow, 2);
	cr_assert(map_header_decode(&l, raw, &h));
	/* What a moved goroutine stack left at a tracked map's address: 770 at B = 2. */
	noverflow = 770;
	memcpy(raw + 10, &noverflow, 2);
	cr_assert_not(map_header_decode(&l, raw, &h));
	/* A grow in progress: the new array takes overflow buckets too. */
	noverflow = 16;
	memcpy(raw + 10, &noverflow, 2);
	memcpy(raw + 24, &oldbuckets, 8);
	cr_assert(map_header_decode(&l, raw, &h));
	/* From B = 16 noverflow is approximate: anything goes. */
	raw[9] = 16;
	noverflow = 65535;
	memcpy(raw + 10, &noverflow, 2);
	cr_assert(map_header_decode(&l, raw, &h));
}

Test(sampler, classic_header_grew_a_clear_seq_in_go124_noswissmap)
{
	cr_assert_eq(layout_of("go1.23.5", "").header_size, 48);
	cr_assert_eq(layout_of("go1.23.5", "").clear_seq_off, -1);
	cr_assert_eq(layout_of("go1.24.4", "noswissmap").header_size, 56);
	cr_assert_eq(layout_of("go1.24.4", "noswissmap").clear_seq_off, 40);
	cr_assert_eq(layout_of("go1.26.10", "").header_size, 48);
}

Test(sampler, decodes_swiss_maps_and_rejects_inconsistent_directories)
{
	struct golayout l = layout_of("go1.26.10", "");
	uint8_t raw[48] = { 0 };
	struct map_header h;
	uint64_t used = 5, dir = 0xc000200000, dir_len = 0;

	memcpy(raw, &used, 8);
	memcpy(raw + 16, &dir, 8);
	cr_assert(map_header_decode(&l, raw, &h)); /* small map: one group */
	used = 3000;
	dir_len = 4;
	memcpy(raw, &used, 8);
	memcpy(raw + 24, &dir_len, 8);
	raw[32] = 2;  /* globalDepth */
	raw[33] = 62; /* globalShift */
	cr_assert(map_header_decode(&l, raw, &h));
	cr_assert_eq(h.dir_len, 4);
	raw[33] = 63;
	cr_assert_not(map_header_decode(&l, raw, &h));
	raw[33] = 62;
	dir_len = 3;
	memcpy(raw + 24, &dir_len, 8);
	cr_assert_not(map_header_decode(&l, raw, &h));
	used = 9; /* a small map holds 8 at most */
	dir_len = 0;
	memcpy(raw, &used, 8);
	memcpy(raw + 24, &dir_len, 8);
	cr_assert_not(map_header_decode(&l, raw, &h));
}

/*
 * B after n inserts into a map without a hint (the runtime's overLoadFactor),
 * and whether it is still evacuating: the last doubling left 2^(B-1) old
 * buckets, and each insert since evacuated one or two of them.
 */
static unsigned int classic_final_b(uint64_t n, int minor, bool *growing)
{
	uint64_t num = minor == 21 ? 12 : 13, last_grow = 0, old;
	unsigned int b = 0;

	while (n > 8 && n > num * ((1ull << b) / 2)) {
		last_grow = b ? num * ((1ull << b) / 2) : 8; /* count when it doubled */
		b++;
	}
	old = b ? 1ull << (b - 1) : 0;
	/* 2 a insert can leave it growing; 1 a insert must finish it. */
	cr_assert(2 * (n - last_grow) < old || n - last_grow >= old, "undetermined");
	*growing = 2 * (n - last_grow) < old;
	return b;
}

/*
 * A live map of every toolchain: growonce fills one to 800 entries and prints
 * its address. The header read from the process has its count and size; an
 * unreadable address in the same batch fails alone.
 */
Test(sampler, reads_live_map_headers_of_every_toolchain)
{
	struct variant vs[MAX_VARIANTS];
	size_t n = variants_load(vs, MAX_VARIANTS), i;
	static const char *const args[] = { "-n", "800", NULL };
	char path[4096], line[256], why[512];

	for (i = 0; i < n; i++) {
		struct spawned t;
		struct gobinary gb;
		struct map_header h[3];
		uint64_t addrs[3] = { 0x10, 0, 0x10 }, capacity;
		bool ok[3];

		variant_binary(path, sizeof(path), &vs[i], "stripped-pie", "growonce");
		cr_assert_eq(gobinary_open(&gb, path, why, sizeof(why)), 0, "%s", why);
		spawn_start(&t, path, args);
		spawn_read_line(&t, line, sizeof(line));
		spawn_send(&t, "go");
		spawn_read_line(&t, line, sizeof(line));
		cr_assert_eq(sscanf(line, "grown 800 len 800 map %lx", &addrs[1]), 1, "%s", line);
		cr_assert_eq(sampler_read_headers(t.pid, &gb.layout, addrs, 3, h, ok), 1, "%s",
			     path);
		cr_assert(!ok[0] && ok[1] && !ok[2], "%s", path);
		cr_assert_eq(h[1].count, 800, "%s", path);
		cr_assert_neq(h[1].seed, 0, "%s", path);
		if (gb.layout.impl == GO_MAP_CLASSIC) {
			bool growing;

			cr_assert_eq(h[1].b, classic_final_b(800, vs[i].minor, &growing), "%s",
				     path);
			/* Go 1.21 doubled at 769 entries: 31 inserts evacuate < 64 of 128. */
			cr_assert_eq(h[1].growing, growing, "%s", path);
		} else {
			/* 800 entries: one table, grown to 1024 slots (holds 896). */
			cr_assert_eq(h[1].dir_len, 1, "%s", path);
			cr_assert_eq(sampler_swiss_capacity(t.pid, &h[1], &capacity), 0);
			cr_assert_eq(capacity, 1024, "%s", path);
		}
		spawn_stop(&t);
		gobinary_close(&gb);
	}
}

struct inner_sum {
	pid_t pid;
	const struct golayout *layout;
	uint64_t maps, entries;
};

/* Reads each inner map's header as the walker yields it, and sums them. */
static void sum_inner(void *ctx, uint64_t inner)
{
	struct inner_sum *s = ctx;
	struct map_header h;
	bool ok;

	cr_assert_eq(sampler_read_headers(s->pid, s->layout, &inner, 1, &h, &ok), 1);
	s->maps++;
	s->entries += h.count;
}

/* mapops "nested U K": U inner maps of K entries in a map[string]map[int]string. */
static void check_nested(const struct variant *v, const char *users, const char *entries)
{
	char path[4096], line[256], cmd[64], why[512];
	struct spawned t;
	struct target tgt;
	struct gobinary gb;
	struct go_map_type mt;
	struct map_header outer;
	struct inner_sum sum = { 0 };
	uint64_t addr, type, total, bias;
	bool ok;

	variant_binary(path, sizeof(path), v, "stripped-pie", "mapops");
	spawn_start(&t, path, NULL);
	spawn_read_line(&t, line, sizeof(line));
	snprintf(cmd, sizeof(cmd), "nested %s %s", users, entries);
	spawn_send(&t, cmd);
	spawn_read_line(&t, line, sizeof(line));
	cr_assert_eq(sscanf(line, "nested %lx type %lx total %lu", &addr, &type, &total), 3, "%s",
		     line);
	cr_assert_eq(target_open(&tgt, t.pid, NULL, 0), 0);
	cr_assert_eq(gobinary_open(&gb, tgt.exe_path, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(target_load_bias(&tgt, &gb.elf, &bias, NULL, 0), 0);
	cr_assert_eq(gotypes_map(&gb.types, gb.layout.impl, type - bias, &mt), 0, "%s", path);
	cr_assert_eq(sampler_read_headers(t.pid, &gb.layout, &addr, 1, &outer, &ok), 1, "%s", path);
	sum.pid = t.pid;
	sum.layout = &gb.layout;
	cr_assert_eq(walker_inner_maps(t.pid, gb.layout.impl, &mt, &outer, sum_inner, &sum), 0,
		     "%s", path);
	cr_assert_eq(sum.maps, outer.count, "%s: %s users", path, users);
	cr_assert_eq(sum.maps, strtoull(users, NULL, 10), "%s", path);
	cr_assert_eq(sum.entries, total, "%s: %s x %s", path, users, entries);
	gobinary_close(&gb);
	target_close(&tgt);
	spawn_stop(&t);
}

/*
 * Outer maps small (5 inner maps: one Swiss group, one classic bucket), mid
 * (300: overflow buckets, Swiss tables) and large (3000: several Swiss tables
 * in a directory); inner maps of 3 entries (never grown past their first
 * group) and of 20.
 */
Test(walker, finds_every_inner_map_and_sums_their_entries_on_every_toolchain)
{
	struct variant vs[MAX_VARIANTS];
	size_t n = variants_load(vs, MAX_VARIANTS), i;

	for (i = 0; i < n; i++) {
		check_nested(&vs[i], "5", "3");
		check_nested(&vs[i], "300", "20");
		check_nested(&vs[i], "3000", "3");
	}
}
