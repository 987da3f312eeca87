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
