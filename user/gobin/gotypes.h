/* SPDX-License-Identifier: GPL-2.0 */
/* Go type descriptors read from the binary: names, kinds, sizes, map key and element. */
#ifndef GOMAPLEAK_GOTYPES_H
#define GOMAPLEAK_GOTYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "goelf.h"
#include "golayout.h"
#include "moduledata.h"

#define GO_KIND_MAP	21
#define GO_KIND_POINTER 22
#define GO_KIND_STRING	24

struct gotypes {
	const struct goelf *ge;
	uint64_t types; /* moduledata.types: names are relative to it */
	int go_minor;
};

struct go_map_type {
	uint64_t key, elem; /* type descriptor addresses */
	uint64_t key_size, elem_size;
	uint8_t key_kind, elem_kind;
	uint64_t storage_size; /* classic: bucket size; Swiss: group size */
	uint64_t slot_size;    /* Swiss: bytes a slot (key and element); classic: 0 */
	uint64_t keys_off;     /* key 0 within a bucket or group */
	uint64_t key_stride;   /* from one key to the next */
	bool indirect_key;     /* keys over 128 bytes are stored as pointers */
	uint64_t elems_off;    /* element 0 within a bucket or group */
	uint64_t elem_stride;  /* from one element to the next */
	bool indirect_elem;    /* elements over 128 bytes are stored as pointers */
};

void gotypes_init(struct gotypes *gt, const struct goelf *ge, const struct moduledata *md,
		  int go_minor);
int gotypes_name(const struct gotypes *gt, uint64_t typ, char *buf, size_t len);
int gotypes_map(const struct gotypes *gt, enum go_map_impl impl, uint64_t typ,
		struct go_map_type *out);

#endif /* GOMAPLEAK_GOTYPES_H */
