// SPDX-License-Identifier: GPL-2.0
/*
 * Build info of every test binary, every toolchain and flavor: the Go targets
 * built, so in the integration suite (test_gobuildinfo.c reads synthetic blobs).
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <string.h>

#include "gobuildinfo.h"
#include "goelf.h"
#include "golayout.h"
#include "variants.h"

static bool flavor_is_pie(const char *flavor)
{
	return strcmp(flavor, "default") && strcmp(flavor, "stripped");
}

/* Go records -buildmode from 1.20 on (Go 1.19 leaves it out). */
static const char *expected_buildmode(const struct variant *v, const char *flavor)
{
	if (v->minor < 20)
		return "";
	return flavor_is_pie(flavor) ? "pie" : "exe";
}

Test(gobuildinfo, reads_version_and_settings_of_every_test_binary)
{
	static const char *const flavors[] = { "default",      "stripped", "pie",
					       "stripped-pie", "cgo-ext",  "cgo-ext-stripped" };
	struct variant vs[MAX_VARIANTS];
	size_t n = variants_load(vs, MAX_VARIANTS), i, f;
	char path[4096];

	for (i = 0; i < n; i++) {
		for (f = 0; f < sizeof(flavors) / sizeof(flavors[0]); f++) {
			struct goelf ge;
			struct gobuildinfo bi;
			struct golayout l;

			variant_binary(path, sizeof(path), &vs[i], flavors[f], "growonce");
			cr_assert_eq(goelf_open(&ge, path), 0, "%s", path);
			cr_assert_eq(gobuildinfo_read(&ge, &bi), 0, "%s", path);
			cr_assert_eq(bi.parsed.minor, vs[i].minor, "%s: %s", path, bi.version);
			cr_assert_eq(golayout_for(&bi, &l), 0, "%s", path);
			cr_assert_str_eq(go_map_impl_name(l.impl), vs[i].impl, "%s", path);
			cr_assert_str_eq(bi.main_path, "gomapleak.test/growonce", "%s", path);
			cr_assert_str_eq(bi.goexperiment, vs[i].experiment, "%s", path);
			cr_assert_str_eq(bi.cgo_enabled, strncmp(flavors[f], "cgo", 3) ? "0" : "1",
					 "%s", path);
			cr_assert_str_eq(bi.buildmode, expected_buildmode(&vs[i], flavors[f]), "%s",
					 path);
			cr_assert_eq(ge.is_dyn, flavor_is_pie(flavors[f]), "%s", path);
			goelf_close(&ge);
		}
	}
}
