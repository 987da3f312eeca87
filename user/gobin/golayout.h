/* SPDX-License-Identifier: GPL-2.0 */
/* Per-Go-version facts: which map implementation, and its struct offsets. */
#ifndef GOMAPLEAK_GOLAYOUT_H
#define GOMAPLEAK_GOLAYOUT_H

#include "gobuildinfo.h"
#include "gomapleak.h"

enum go_map_impl {
	GO_MAP_CLASSIC = 1, /* hmap + buckets, Go 1.18-1.23, 1.24/1.25 noswissmap */
	GO_MAP_SWISS = 2,   /* internal/runtime/maps, Go 1.24+ */
};

struct golayout {
	enum go_map_impl impl;
	struct gml_go_layout bpf;
	uint32_t header_size;  /* hmap or maps.Map */
	int32_t clear_seq_off; /* clearSeq in the header, -1 when it has none */
};

/* Oldest and newest release series whose layouts are known. */
#define GOLAYOUT_MIN_MINOR 18
#define GOLAYOUT_MAX_MINOR 27

int golayout_for(const struct gobuildinfo *bi, struct golayout *out);
const char *go_map_impl_name(enum go_map_impl impl);

#endif /* GOMAPLEAK_GOLAYOUT_H */
