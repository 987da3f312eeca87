// SPDX-License-Identifier: GPL-2.0
#include "report_plan.h"

#include <inttypes.h>

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void report_site(FILE *out, const struct probe_site *site)
{
	const struct probe_choice *c = &site->choice;

	if (site->status != PROBE_OK) {
		fprintf(out, "  %-44s %-7s %s\n", site->spec->func,
			site->status == PROBE_ABSENT ? "absent" : "refused", c->reason);
		return;
	}
	fprintf(out, "  %-44s %-7s entry 0x%" PRIx64 " +0x%" PRIx64 " file 0x%" PRIx64 "  %s%s\n",
		site->spec->func, site->spec->purpose, site->func.entry,
		c->vaddr - site->func.entry, site->file_offset, c->insn,
		c->at_stack_check_jump ? "  (drops morestack pass)" : "");
}

void report_plan(FILE *out, const char *path, const struct gobinary *bin)
{
	const struct gobuildinfo *bi = &bin->buildinfo;
	int i;

	fprintf(out, "binary:      %s\n", path);
	fprintf(out, "go version:  %s\n", bi->version);
	fprintf(out, "module:      %s\n", or_dash(bi->main_path));
	fprintf(out, "build:       buildmode=%s cgo=%s goexperiment=%s pie=%s\n",
		or_dash(bi->buildmode), or_dash(bi->cgo_enabled), or_dash(bi->goexperiment),
		bin->elf.is_dyn ? "yes" : "no");
	fprintf(out, "maps:        %s\n", go_map_impl_name(bin->layout.impl));
	fprintf(out, "functions:   %" PRIu64 " (pclntab at 0x%" PRIx64 ", text at 0x%" PRIx64 ")\n",
		bin->pclntab.nfunc, bin->pclntab.vaddr, bin->pclntab.text_start);
	fprintf(out, "probe plan:  %d of %d attachable\n", probe_plan_attachable(&bin->plan),
		bin->plan.nsites);
	for (i = 0; i < bin->plan.nsites; i++)
		report_site(out, &bin->plan.sites[i]);
}
