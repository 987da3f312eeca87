// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: a whole executable -> everything gomapleak reads from one (ELF,
 * build info, pclntab, moduledata, type names, probe plan by disassembly).
 */
#include <stddef.h>
#include <stdint.h>

#include "gobuildinfo.h"
#include "goelf.h"
#include "golayout.h"
#include "gotypes.h"
#include "moduledata.h"
#include "pclntab.h"
#include "probes.h"

static void read_types(const struct goelf *ge, struct pclntab *pt, int minor, enum go_map_impl impl)
{
	struct moduledata md;
	struct gotypes gt;
	struct go_map_type mt;
	char name[256];
	uint64_t off;

	struct go_pos pos;
	struct go_func fn;

	if (moduledata_find(ge, pt->vaddr, pt->magic, &md))
		return;
	gotypes_init(&gt, ge, &md, minor);
	/* Inline trees: funcdata found through moduledata.gofunc. */
	if (!moduledata_read_gofunc(ge, &md, minor)) {
		pclntab_set_gofunc(pt, ge, md.gofunc);
		for (off = 0; off < pt->nfunc && off < 256; off++)
			if (!pclntab_func_at(pt, off, &fn))
				pclntab_pos_for_pc(pt, fn.entry + (fn.end - fn.entry) / 2, &pos);
	}
	/* Type descriptors are 8-aligned; try the first few past types. */
	for (off = 0; off < 4096; off += 8) {
		gotypes_name(&gt, md.types + off, name, sizeof(name));
		gotypes_map(&gt, impl, md.types + off, &mt);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct probe_plan plan;
	struct goelf ge;
	struct gobuildinfo bi;
	struct golayout layout;
	struct pclntab pt;

	if (goelf_open_memory(&ge, data, size))
		return 0;
	if (!gobuildinfo_read(&ge, &bi) && !golayout_for(&bi, &layout) && !pclntab_open(&pt, &ge)) {
		probe_plan_build(&plan, &ge, &pt, layout.impl);
		read_types(&ge, &pt, bi.parsed.minor, layout.impl);
		pclntab_close(&pt);
	}
	goelf_close(&ge);
	return 0;
}
