// SPDX-License-Identifier: GPL-2.0
/*
 * The growth profile: stacks add up, frames come out root first with the
 * growth function as leaf, a full table still counts every growth, and the
 * pprof file is gzip'd profile.proto naming the functions. go tool pprof
 * itself reads the files in tests/integration/test_exporters.py.
 */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gobinary.h"
#include "profile.h"
#include "variants.h"

static struct gobinary gb;
static struct profile prof;
static struct go_func filler, holder, grower;

/* The leaks target of the first variant of impl, opened as a file (load bias 0). */
static void open_leaks(const char *impl)
{
	struct variant vs[MAX_VARIANTS];
	size_t n = variants_load(vs, MAX_VARIANTS), i;
	char path[4096], why[512];

	for (i = 0; i < n && strcmp(vs[i].impl, impl); i++)
		;
	cr_assert_lt(i, n);
	variant_binary(path, sizeof(path), &vs[i], "stripped-pie", "leaks");
	cr_assert_eq(gobinary_open(&gb, path, why, sizeof(why)), 0, "%s: %s", path, why);
	cr_assert_eq(pclntab_find_func(&gb.pclntab, "main.runCache.func1", &filler), 0);
	cr_assert_eq(pclntab_find_func(&gb.pclntab, "runtime.goexit", &holder), 0);
	cr_assert(!pclntab_find_func(&gb.pclntab, "runtime.hashGrow", &grower) ||
		  !pclntab_find_func(&gb.pclntab, "internal/runtime/maps.(*table).grow", &grower));
	cr_assert_eq(profile_init(&prof, &gb.pclntab, 0, path), 0);
	profile_set_probe(&prof, 3, grower.name, grower.entry);
}

static void close_leaks(void)
{
	profile_free(&prof);
	gobinary_close(&gb);
}

static char *folded(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_eq(profile_write_folded(&prof, f), 0);
	fclose(f);
	return text;
}

static uint64_t folded_sum(const char *text)
{
	const char *line = text, *end, *value;
	uint64_t sum = 0;

	for (; (end = strchr(line, '\n')); line = end + 1) {
		for (value = end; value > line && value[-1] != ' '; value--)
			;
		sum += strtoull(value, NULL, 10);
	}
	return sum;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *at;

	for (at = text; (at = strstr(at, line)); at++)
		if ((at == text || at[-1] == '\n') && at[n] == '\n')
			return true;
	return false;
}

static void stacks_add_up(const char *impl)
{
	struct gml_stack a = { 0 }, b = { 0 };
	char expect[512], *text;
	int i;

	open_leaks(impl);
	a.pcs[0] = b.pcs[0] = filler.entry + 1;
	a.pcs[1] = holder.entry + 1;
	for (i = 0; i < 3; i++)
		profile_add(&prof, 3, 0xa, &a, 100, 4096);
	profile_add(&prof, 3, 0xb, &b, 7, 64);
	profile_add(&prof, 3, 0xb, &b, 7, 64);
	profile_add(&prof, 3, 0xc, NULL, 1, 8); /* a stack BPF no longer had */
	text = folded();
	snprintf(expect, sizeof(expect), "runtime.goexit;main.runCache.func1;%s 3", grower.name);
	cr_assert(has_line(text, expect), "%s", text);
	snprintf(expect, sizeof(expect), "main.runCache.func1;%s 2", grower.name);
	cr_assert(has_line(text, expect), "%s", text);
	snprintf(expect, sizeof(expect), "%s 1", grower.name);
	cr_assert(has_line(text, expect), "%s", text);
	cr_assert_eq(folded_sum(text), 6);
	free(text);
	close_leaks();
}

Test(profile, stacks_add_up_classic)
{
	stacks_add_up("classic");
}

Test(profile, stacks_add_up_swiss)
{
	stacks_add_up("swiss");
}

Test(profile, a_full_table_still_counts_every_growth)
{
	struct gml_stack s = { 0 };
	char *text;
	uint64_t i;

	open_leaks("swiss");
	s.pcs[0] = filler.entry + 1;
	for (i = 1; i <= PROFILE_MAX_STACKS + 1000; i++)
		profile_add(&prof, 3, i, &s, 1, 1);
	cr_assert_leq(prof.nstacks, PROFILE_MAX_STACKS + 1);
	text = folded();
	cr_assert_eq(folded_sum(text), PROFILE_MAX_STACKS + 1000);
	free(text);
	close_leaks();
}

/* The live bytes of the stack (probe 3, key). */
static uint64_t live_at(uint64_t key)
{
	uint32_t i;

	for (i = 0; i < 2 * PROFILE_MAX_STACKS; i++)
		if (prof.stacks[i].used && prof.stacks[i].key == key && prof.stacks[i].probe == 3)
			return prof.stacks[i].value[PROFILE_LIVE_BYTES];
	return UINT64_MAX;
}

Test(profile, live_bytes_are_set_anew_at_the_stack_each_map_last_grew)
{
	struct gml_stack a = { 0 };

	open_leaks("classic");
	a.pcs[0] = filler.entry + 1;
	profile_add(&prof, 3, 0xa, &a, 100, 4096);
	profile_add_live(&prof, 3, 0xa, 5000);
	profile_add_live(&prof, 3, 0xa, 3000);
	cr_assert_eq(live_at(0xa), 8000);
	profile_clear_live(&prof);
	profile_add_live(&prof, 3, 0xa, 100);
	cr_assert_eq(live_at(0xa), 100, "what a map held before is not kept");
	cr_assert_eq(prof.nstacks, 1);
	close_leaks();
}

static bool contains(const uint8_t *data, size_t len, const char *s)
{
	return memmem(data, len, s, strlen(s)) != NULL;
}

Test(profile, pprof_is_gzipd_profile_proto_naming_the_functions)
{
	char path[] = "/tmp/gomapleak-profile-XXXXXX";
	struct gml_stack s = { 0 };
	static uint8_t data[1 << 20];
	int fd = mkstemp(path), n;
	gzFile gz;

	cr_assert_geq(fd, 0);
	close(fd);
	open_leaks("classic");
	s.pcs[0] = filler.entry + 1;
	s.pcs[1] = holder.entry + 1;
	profile_add(&prof, 3, 0xa, &s, 100, 4096);
	cr_assert_eq(profile_write_pprof(&prof, path), 0);
	gz = gzopen(path, "rb");
	cr_assert_not_null(gz);
	cr_assert_eq(gzdirect(gz), 0, "not gzip'd");
	n = gzread(gz, data, sizeof(data));
	gzclose(gz);
	unlink(path);
	cr_assert_gt(n, 0);
	/* string_table entries: sample types, units, functions, the file */
	cr_assert(contains(data, (size_t)n, "grows"));
	cr_assert(contains(data, (size_t)n, "bytes"));
	cr_assert(contains(data, (size_t)n, "live_bytes"));
	cr_assert(contains(data, (size_t)n, "main.runCache.func1"));
	cr_assert(contains(data, (size_t)n, grower.name));
	cr_assert(contains(data, (size_t)n, "tests/targets/leaks/main.go"));
	close_leaks();
}
