/* SPDX-License-Identifier: GPL-2.0 */
/* What census.c shares with the files of its parts (nested walks, discovery). */
#ifndef GOMAPLEAK_CENSUS_INTERNAL_H
#define GOMAPLEAK_CENSUS_INTERNAL_H

#include "census.h"

/* Reads n headers, their addresses stride bytes apart from first, into the scratch arrays. */
int census_read_headers(struct census *c, const uint64_t *first, size_t stride, size_t n);
/* Bytes of a map's storage, from its type and header. */
uint64_t census_estimate_bytes(enum go_map_impl impl, const struct go_map_type *mt,
			       const struct map_header *h);
/* Inner maps of m, all levels: how many, their entries and bytes (scaled past the sample). */
int census_measure_nested(struct census *c, struct tracked_map *m, const struct go_map_type *mt);
/* Maps the bursts saw written that are not tracked yet: read, and the big ones tracked. */
int census_discover_maps(struct census *c, double now);

#endif /* GOMAPLEAK_CENSUS_INTERNAL_H */
