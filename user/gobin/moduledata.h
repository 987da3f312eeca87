/* SPDX-License-Identifier: GPL-2.0 */
/* runtime.firstmoduledata, found without symbols: where Go's text and types start. */
#ifndef GOMAPLEAK_MODULEDATA_H
#define GOMAPLEAK_MODULEDATA_H

#include <stdint.h>

#include "goelf.h"

struct moduledata {
	uint64_t vaddr;
	uint64_t text;	 /* first instruction of Go code (runtime.text) */
	uint64_t types;	 /* base of type descriptors and the names they refer to */
	uint64_t gofunc; /* base of funcdata (inline trees...); 0 until moduledata_read_gofunc */
};

/* moduledata.types: 280 in Go 1.18-1.19 (pclntab magic 0xfffffff0), 296 from 1.20. */
uint32_t moduledata_types_offset(uint32_t pclntab_magic);
int moduledata_find(const struct goelf *ge, uint64_t pclntab_vaddr, uint32_t pclntab_magic,
		    struct moduledata *out);
int moduledata_read_gofunc(const struct goelf *ge, struct moduledata *md, int go_minor);

#endif /* GOMAPLEAK_MODULEDATA_H */
