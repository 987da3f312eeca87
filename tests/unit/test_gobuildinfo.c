// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gobuildinfo.h"
#include "golayout.h"

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
