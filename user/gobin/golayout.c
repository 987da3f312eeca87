// SPDX-License-Identifier: GPL-2.0
/*
 * Offsets from Go's runtime/map.go (classic) and internal/runtime/maps
 * (Swiss) at each release tag, pinned by tests/unit/test_golayout.c.
 */
#include "golayout.h"

#include <errno.h>
#include <string.h>

/* GOEXPERIMENT is a comma-separated list; "noswissmap" turns Swiss maps off. */
static int goexperiment_has(const char *experiments, const char *name)
{
	size_t len = strlen(name);
	const char *p = experiments;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t tok = comma ? (size_t)(comma - p) : strlen(p);

		if (tok == len && !strncmp(p, name, len))
			return 1;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

static enum go_map_impl map_impl_for(const struct gobuildinfo *bi)
{
	if (bi->parsed.minor < 24)
		return GO_MAP_CLASSIC;
	if (bi->parsed.minor < 26 && goexperiment_has(bi->goexperiment, "noswissmap"))
		return GO_MAP_CLASSIC;
	return GO_MAP_SWISS;
}

int golayout_for(const struct gobuildinfo *bi, struct golayout *out)
{
	const struct go_version v = bi->parsed;

	memset(out, 0, sizeof(*out));
	if (v.major != 1 || v.minor < GOLAYOUT_MIN_MINOR || v.minor > GOLAYOUT_MAX_MINOR)
		return -EPROTONOSUPPORT;
	out->impl = map_impl_for(bi);
	/* hmap: count at 0, B at 9 in every classic layout (1.18-1.25). */
	out->bpf.hmap_count_off = 0;
	out->bpf.hmap_b_off = 9;
	/* 1.21 computed loadFactorNum with integer division: 6.0 entries a bucket. */
	out->bpf.load_factor_num = v.minor == 21 ? 12 : 13;
	out->bpf.load_factor_den = 2;
	/* maps.Map.used at 0, maps.table.capacity at 2 (1.24-1.27). */
	out->bpf.swiss_used_off = 0;
	out->bpf.swiss_table_cap_off = 2;
	/* maps.Map: 48 bytes, clearSeq at 40. hmap: 48 bytes; 1.24/1.25 noswissmap added
	 * clearSeq at 40 (56 bytes). */
	out->header_size = out->impl == GO_MAP_CLASSIC && v.minor >= 24 ? 56 : 48;
	out->clear_seq_off = out->impl == GO_MAP_SWISS || v.minor >= 24 ? 40 : -1;
	return 0;
}

const char *go_map_impl_name(enum go_map_impl impl)
{
	return impl == GO_MAP_SWISS ? "swiss" : "classic";
}
