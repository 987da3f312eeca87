/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Walks a map of maps in the target's memory and yields its inner maps: how
 * nested maps are linked outer -> inner even when the inner ones never grow.
 */
#ifndef GOMAPLEAK_WALKER_H
#define GOMAPLEAK_WALKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "golayout.h"
#include "gotypes.h"
#include "sampler.h"

/* Bytes one walk may read from the target (a 1M-entry outer map is ~30 MB). */
#define WALKER_MAX_BYTES (256u << 20)

typedef void (*walker_fn)(void *ctx, uint64_t inner_map);
/* One live slot: its key and element bytes (pointers, when indirect). */
typedef bool (*walker_slot_fn)(void *ctx, const uint8_t *key, const uint8_t *elem);

/*
 * Calls fn with each live slot of the map h of type mt, until it returns
 * false. Same reads, bounds and errors as walker_inner_maps.
 */
int walker_slots(pid_t pid, enum go_map_impl impl, const struct go_map_type *mt,
		 const struct map_header *h, walker_slot_fn fn, void *ctx);

/*
 * Calls fn with the header address of each inner map of the outer map h of
 * type mt (whose element must be a map). Reads bucket or group arrays whole;
 * a torn or unreadable part is skipped. Returns 0, -EINVAL when the element
 * is not a map, -E2BIG past WALKER_MAX_BYTES, or a read error.
 */
int walker_inner_maps(pid_t pid, enum go_map_impl impl, const struct go_map_type *mt,
		      const struct map_header *h, walker_fn fn, void *ctx);

#endif /* GOMAPLEAK_WALKER_H */
