// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gobuildinfo.h"
#include "golayout.h"
#include "variants.h"

/* A .go.buildinfo blob as Go 1.18+ writes it: header, then two varint strings. */
static size_t make_blob(uint8_t *buf, uint8_t flags, const char *version, const char *mod)
{
	size_t n = 0, vlen = strlen(version), mlen = strlen(mod);

	memset(buf, 0, 32);
	memcpy(buf, "\xff Go buildinf:", 14);
	buf[14] = 8;
	buf[15] = flags;
	n = 32;
	buf[n++] = (uint8_t)vlen;
	memcpy(buf + n, version, vlen);
	n += vlen;
	buf[n++] = (uint8_t)(mlen | 0x80);
	buf[n++] = (uint8_t)(mlen >> 7);
	memcpy(buf + n, mod, mlen);
	return n + mlen;
}

Test(gobuildinfo, reads_version_and_build_settings)
{
	uint8_t blob[512];
	struct gobuildinfo bi;
	size_t n = make_blob(blob, 2, "go1.25.12",
			     "path\texample.com/api\nmod\texample.com/api\t(devel)\t\n"
			     "build\t-buildmode=pie\nbuild\tCGO_ENABLED=1\n"
			     "build\tGOEXPERIMENT=noswissmap\n");

	cr_assert_eq(gobuildinfo_parse(blob, n, &bi), 0);
	cr_assert_str_eq(bi.version, "go1.25.12");
	cr_assert_eq(bi.parsed.minor, 25);
	cr_assert_eq(bi.parsed.patch, 12);
	cr_assert_str_eq(bi.main_path, "example.com/api");
	cr_assert_str_eq(bi.buildmode, "pie");
	cr_assert_str_eq(bi.cgo_enabled, "1");
	cr_assert_str_eq(bi.goexperiment, "noswissmap");
}

Test(gobuildinfo, rejects_pre_go118_pointer_format)
{
	uint8_t blob[512];
	struct gobuildinfo bi;
	size_t n = make_blob(blob, 0, "go1.17", "");

	cr_assert_eq(gobuildinfo_parse(blob, n, &bi), -EPROTONOSUPPORT);
}

Test(gobuildinfo, rejects_truncated_strings_and_missing_magic)
{
	uint8_t blob[512];
	struct gobuildinfo bi;
	size_t n = make_blob(blob, 2, "go1.26.10", "path\tx\n");
	size_t cut;

	for (cut = 0; cut < n - 1; cut++)
		cr_assert_neq(gobuildinfo_parse(blob, cut, &bi), 0, "accepted %zu of %zu bytes",
			      cut, n);
	blob[0] = 0;
	cr_assert_eq(gobuildinfo_parse(blob, n, &bi), -ENOENT);
}

Test(gobuildinfo, parses_version_strings)
{
	struct go_version v;

	cr_assert_eq(go_version_parse("go1.21.13", &v), 0);
	cr_assert(v.major == 1 && v.minor == 21 && v.patch == 13);
	cr_assert_eq(go_version_parse("go1.26rc1", &v), 0);
	cr_assert(v.minor == 26 && v.patch == 0);
	cr_assert_neq(go_version_parse("devel +abc", &v), 0);
	cr_assert_neq(go_version_parse("go", &v), 0);
}

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
