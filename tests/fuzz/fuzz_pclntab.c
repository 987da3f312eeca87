// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: a pclntab blob -> every lookup gomapleak makes on one. */
#include <stddef.h>
#include <stdint.h>

#include "pclntab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pclntab pt;
	struct go_func fn, found;
	struct go_pos pos;
	uint64_t i;

	if (pclntab_open_memory(&pt, data, size, 0x400000, 0x401000))
		return 0;
	for (i = 0; i < pt.nfunc && i < 4096; i++) {
		if (pclntab_func_at(&pt, i, &fn))
			continue;
		pclntab_find_func(&pt, fn.name, &found);
		pclntab_func_for_pc(&pt, fn.entry, &found);
		pclntab_pos_for_pc(&pt, fn.entry + (fn.end - fn.entry) / 2, &pos);
	}
	pclntab_pos_for_pc(&pt, 0x401000, &pos);
	pclntab_close(&pt);
	return 0;
}
