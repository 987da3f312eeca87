// SPDX-License-Identifier: GPL-2.0
#include "variants.h"

#include "gobinary.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env_or_fail(const char *name)
{
	const char *v = getenv(name);

	cr_assert(v && *v, "%s must be set (meson test sets it)", name);
	return v;
}

size_t variants_load(struct variant *out, size_t cap)
{
	char path[4096], line[256], series[16];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/targets/variants.txt",
		 env_or_fail("GOMAPLEAK_SOURCE"));
	f = fopen(path, "re");
	cr_assert(f, "cannot open %s", path);
	while (fgets(line, sizeof(line), f) && n < cap) {
		struct variant *v = &out[n];

		if (line[0] == '#' || line[0] == '\n')
			continue;
		cr_assert(sscanf(line, "%31s %15s %31s %15s", v->name, series, v->experiment,
				 v->impl) == 4,
			  "bad line in variants.txt: %s", line);
		v->minor = atoi(strchr(series, '.') + 1);
		if (!strcmp(v->experiment, "-"))
			v->experiment[0] = '\0';
		n++;
	}
	fclose(f);
	cr_assert(n >= 10, "variants.txt lists %zu variants", n);
	return n;
}

void variant_binary(char *buf, size_t len, const struct variant *v, const char *flavor,
		    const char *target)
{
	snprintf(buf, len, "%s/%s/%s/%s", env_or_fail("GOMAPLEAK_TARGETS"), v->name, flavor,
		 target);
}

void variants_each_binary(const char *target, const char *const flavors[2], variant_binary_fn check)
{
	struct variant vs[MAX_VARIANTS];
	size_t n = variants_load(vs, MAX_VARIANTS), i, f;
	char path[4096], why[512];

	for (i = 0; i < n; i++) {
		for (f = 0; f < 2; f++) {
			struct gobinary gb;

			variant_binary(path, sizeof(path), &vs[i], flavors[f], target);
			cr_assert_eq(gobinary_open(&gb, path, why, sizeof(why)), 0, "%s: %s", path,
				     why);
			check(&vs[i], path, &gb);
			gobinary_close(&gb);
		}
	}
}
