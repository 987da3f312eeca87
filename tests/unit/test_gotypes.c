// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gobinary.h"
#include "spawn.h"
#include "target.h"
#include "variants.h"

#define MAX_TYPES 16

struct printed_type {
	uint64_t addr; /* runtime address in the process */
	char name[256];
};

/* Starts the typenames target and reads its TYPE lines up to "ready". */
static size_t start_typenames(const char *path, struct spawned *r, struct printed_type *types)
{
	char line[512];
	size_t n = 0;

	spawn_start(r, path, NULL);
	for (spawn_read_line(r, line, sizeof(line)); strcmp(line, "ready");
	     spawn_read_line(r, line, sizeof(line))) {
		cr_assert_lt(n, MAX_TYPES);
		cr_assert_eq(sscanf(line, "TYPE %lx %255[^\n]", &types[n].addr, types[n].name), 2,
			     "%s", line);
		n++;
	}
	return n;
}

static void check_names(const struct variant *v, const char *flavor)
{
	struct printed_type types[MAX_TYPES];
	struct spawned r;
	struct target t;
	struct gobinary gb;
	char path[4096], why[512], name[256];
	uint64_t bias;
	size_t n, i;

	variant_binary(path, sizeof(path), v, flavor, "typenames");
	n = start_typenames(path, &r, types);
	cr_assert_eq(n, 10, "%s printed %zu types", path, n);
	cr_assert_eq(target_open(&t, r.pid, NULL, 0), 0);
	cr_assert_eq(gobinary_open(&gb, t.exe_path, why, sizeof(why)), 0, "%s: %s", path, why);
	cr_assert_eq(target_load_bias(&t, &gb.elf, &bias, NULL, 0), 0, "%s", path);
	for (i = 0; i < n; i++) {
		struct go_map_type mt;
		uint64_t typ = types[i].addr - bias;

		cr_assert_eq(gotypes_name(&gb.types, typ, name, sizeof(name)), 0, "%s: %s", path,
			     types[i].name);
		cr_assert_str_eq(name, types[i].name, "%s", path);
		cr_assert_eq(gotypes_map(&gb.types, gb.layout.impl, typ, &mt), 0, "%s: %s", path,
			     name);
		cr_assert_gt(mt.storage_size, 0);
	}
	gobinary_close(&gb);
	target_close(&t);
	spawn_stop(&r);
}

Test(gotypes, names_map_types_as_the_program_prints_them_on_every_toolchain)
{
	static const char *const flavors[] = { "default", "stripped-pie", "cgo-ext-stripped" };
	struct variant vs[MAX_VARIANTS];
	size_t n = variants_load(vs, MAX_VARIANTS), i, f;

	for (i = 0; i < n; i++)
		for (f = 0; f < 3; f++)
			check_names(&vs[i], flavors[f]);
}

/* map[string]map[int]string: key string (16 bytes), element a map (a pointer, 8 bytes). */
Test(gotypes, reads_key_and_element_of_a_nested_map)
{
	struct variant vs[MAX_VARIANTS];
	size_t n = variants_load(vs, MAX_VARIANTS), i;
	struct printed_type types[MAX_TYPES];
	char path[4096], why[512], name[256];

	for (i = 0; i < n; i++) {
		struct spawned r;
		struct target t;
		struct gobinary gb;
		struct go_map_type mt;
		uint64_t bias, typ;

		variant_binary(path, sizeof(path), &vs[i], "default", "typenames");
		start_typenames(path, &r, types);
		cr_assert_str_eq(types[2].name, "map[string]map[int]string");
		cr_assert_eq(target_open(&t, r.pid, NULL, 0), 0);
		cr_assert_eq(gobinary_open(&gb, t.exe_path, why, sizeof(why)), 0, "%s", why);
		cr_assert_eq(target_load_bias(&t, &gb.elf, &bias, NULL, 0), 0);
		typ = types[2].addr - bias;
		cr_assert_eq(gotypes_map(&gb.types, gb.layout.impl, typ, &mt), 0);
		cr_assert_eq(mt.key_kind, GO_KIND_STRING);
		cr_assert_eq(mt.key_size, 16);
		cr_assert_eq(mt.elem_kind, GO_KIND_MAP);
		cr_assert_eq(mt.elem_size, 8);
		cr_assert_eq(gotypes_name(&gb.types, mt.elem, name, sizeof(name)), 0);
		cr_assert_str_eq(name, "map[int]string");
		/* Classic bucket: 8 tophash + 8 keys (16) + 8 elems (8) + overflow ptr = 208.
		 * Swiss group: 8 ctrl + 8 slots of key 16 + elem 8 = 200. */
		cr_assert_eq(mt.storage_size, strcmp(vs[i].impl, "swiss") ? 208 : 200, "%s", path);
		if (!strcmp(vs[i].impl, "swiss"))
			cr_assert_eq(mt.slot_size, 24, "%s", path);
		gobinary_close(&gb);
		target_close(&t);
		spawn_stop(&r);
	}
}
