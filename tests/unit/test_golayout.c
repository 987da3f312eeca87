// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "golayout.h"

static struct golayout layout_of(const char *version, const char *experiment, int *err)
{
	struct gobuildinfo bi = { 0 };
	struct golayout l;

	strcpy(bi.version, version);
	strcpy(bi.goexperiment, experiment);
	cr_assert_eq(go_version_parse(version, &bi.parsed), 0);
	*err = golayout_for(&bi, &l);
	return l;
}

Test(golayout, go118_and_go120_use_classic_maps_with_load_factor_6_5)
{
	int err;
	struct golayout l = layout_of("go1.18", "", &err);

	cr_assert_eq(err, 0);
	cr_assert_eq(l.impl, GO_MAP_CLASSIC);
	cr_assert_eq(l.bpf.load_factor_num, 13);
	cr_assert_eq(l.bpf.load_factor_den, 2);
	l = layout_of("go1.20.14", "", &err);
	cr_assert_eq(err, 0);
	cr_assert_eq(l.impl, GO_MAP_CLASSIC);
	cr_assert_eq(l.bpf.hmap_b_off, 9);
}

Test(golayout, go121_load_factor_is_6_from_integer_division)
{
	int err;
	struct golayout l = layout_of("go1.21.13", "", &err);

	cr_assert_eq(err, 0);
	cr_assert_eq(l.bpf.load_factor_num, 12);
}

Test(golayout, go124_is_swiss_unless_noswissmap)
{
	int err;

	cr_assert_eq(layout_of("go1.24.4", "", &err).impl, GO_MAP_SWISS);
	cr_assert_eq(layout_of("go1.24.4", "noswissmap", &err).impl, GO_MAP_CLASSIC);
	cr_assert_eq(layout_of("go1.25.12", "loopvar,noswissmap", &err).impl, GO_MAP_CLASSIC);
	cr_assert_eq(layout_of("go1.25.12", "noswissmapx", &err).impl, GO_MAP_SWISS);
}

Test(golayout, go126_has_no_classic_maps_left)
{
	int err;

	cr_assert_eq(layout_of("go1.26.10", "noswissmap", &err).impl, GO_MAP_SWISS);
	cr_assert_eq(layout_of("go1.27.3", "", &err).bpf.swiss_table_cap_off, 2);
}

Test(golayout, rejects_go117_and_unknown_future_series)
{
	int err;

	layout_of("go1.17.13", "", &err);
	cr_assert_eq(err, -EPROTONOSUPPORT);
	layout_of("go1.28", "", &err);
	cr_assert_eq(err, -EPROTONOSUPPORT);
	layout_of("go2.0", "", &err);
	cr_assert_eq(err, -EPROTONOSUPPORT);
}

/*
 * No Go 1.18 or 1.20 toolchain is packaged here: these values come from the
 * Go sources (runtime/symtab.go moduledata, runtime/symtab.go pcHeader) and
 * are pinned so that a change to them is deliberate.
 */
#include "moduledata.h"
#include "pclntab.h"

Test(golayout, go118_and_go119_moduledata_types_at_280)
{
	cr_assert_eq(moduledata_types_offset(PCLNTAB_MAGIC_GO118), 280);
}

Test(golayout, go120_and_later_moduledata_types_at_296_after_covctrs)
{
	cr_assert_eq(moduledata_types_offset(PCLNTAB_MAGIC_GO120), 296);
}

Test(golayout, go118_format_magic_and_go120_format_magic_are_both_read)
{
	uint8_t hdr[72] = { 0 };
	struct pclntab pt;
	uint32_t magics[] = { PCLNTAB_MAGIC_GO118, PCLNTAB_MAGIC_GO120 };
	size_t i;

	for (i = 0; i < 2; i++) {
		memcpy(hdr, &magics[i], 4);
		hdr[6] = 1;
		hdr[7] = 8;
		/* A header alone has no functions: refused, but not as an old format. */
		cr_assert_eq(pclntab_parse(&pt, hdr, sizeof(hdr), 0), -EINVAL);
	}
}
