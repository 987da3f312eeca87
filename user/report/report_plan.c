// SPDX-License-Identifier: GPL-2.0
#include "report_plan.h"

#include <inttypes.h>

#include "governor.h"
#include "json_writer.h"

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void report_site_detail(FILE *out, const struct probe_site *site)
{
	int i;

	fprintf(out, "  %-8s %-42s frame %u bytes, ret at", "", "", site->frame_size);
	for (i = 0; i < site->nrets; i++)
		fprintf(out, " +0x%" PRIx64, site->rets[i] - site->func.entry);
	fprintf(out, "%s\n", site->rets_truncated ? " ..." : "");
}

/* How watch and run attach a group, when not always. */
static const char *watch_note(enum probe_group group)
{
	if (governor_plan(group, ATTACH_MODE_WATCH) == ATTACH_ALWAYS)
		return "";
	if (governor_plan(group, ATTACH_MODE_WATCH) == ATTACH_UNLESS_HOT)
		return "  [watch: bursts past half the budget]";
	if (governor_plan(group, ATTACH_MODE_RUN) == ATTACH_GOVERNED)
		return "  [watch: bursts; run: governed; --exact]";
	if (governor_plan(group, ATTACH_MODE_WATCH) == ATTACH_BURSTS)
		return "  [watch: bursts; --exact]";
	return "  [--exact]";
}

static void report_site(FILE *out, const struct probe_site *site, int verbose)
{
	const struct probe_choice *c = &site->choice;
	const char *group = probe_group_name(site->spec->group);

	if (site->status == PROBE_ABSENT) {
		fprintf(out, "  %-8s %-42s absent (not linked or inlined): %s\n", group,
			site->spec->func, site->spec->if_absent);
		return;
	}
	if (site->status == PROBE_REFUSED) {
		fprintf(out, "  %-8s %-42s refused: %s\n", group, site->spec->func, c->reason);
		return;
	}
	fprintf(out, "  %-8s %-42s 0x%" PRIx64 "+0x%" PRIx64 " (file 0x%" PRIx64 ") %s%s%s%s\n",
		group, site->spec->func, site->func.entry, c->vaddr - site->func.entry,
		site->file_offset, c->insn,
		c->at_stack_check_jump ? ", morestack pass dropped" : "",
		c->result_in_body ? ", the new map read here" : "", watch_note(site->spec->group));
	if (verbose)
		report_site_detail(out, site);
}

void report_plan(FILE *out, const char *path, const struct gobinary *bin, int verbose)
{
	const struct gobuildinfo *bi = &bin->buildinfo;
	int i;

	fprintf(out, "binary:      %s\n", path);
	fprintf(out, "go version:  %s\n", bi->version);
	fprintf(out, "module:      %s\n", or_dash(bi->main_path));
	fprintf(out, "build:       buildmode=%s cgo=%s goexperiment=%s pie=%s\n",
		or_dash(bi->buildmode), or_dash(bi->cgo_enabled), or_dash(bi->goexperiment),
		bin->elf.is_dyn ? "yes" : "no");
	fprintf(out, "arch:        %s\n", goelf_arch_name(&bin->elf));
	fprintf(out, "maps:        %s\n", go_map_impl_name(bin->layout.impl));
	fprintf(out, "functions:   %" PRIu64 " (pclntab at 0x%" PRIx64 ", text at 0x%" PRIx64 ")\n",
		bin->pclntab.nfunc, bin->pclntab.vaddr, bin->pclntab.text_start);
	fprintf(out,
		"probe plan:  %d functions traced by watch (%d more in bursts), %d with --exact; "
		"each function, probe address and instruction:\n",
		governor_count_sites(&bin->plan, ATTACH_MODE_WATCH, false),
		governor_count_sites(&bin->plan, ATTACH_MODE_WATCH, true) -
			governor_count_sites(&bin->plan, ATTACH_MODE_WATCH, false),
		governor_count_sites(&bin->plan, ATTACH_MODE_EXACT, false));
	for (i = 0; i < bin->plan.nsites; i++)
		report_site(out, &bin->plan.sites[i], verbose);
}

static const char *status_name(enum probe_status status)
{
	return status == PROBE_OK ? "ok" : status == PROBE_ABSENT ? "absent" : "refused";
}

static void json_site(FILE *out, const struct probe_site *site)
{
	enum attach_when when = governor_plan(site->spec->group, ATTACH_MODE_WATCH);
	bool always = when == ATTACH_ALWAYS || when == ATTACH_UNLESS_HOT;
	const struct probe_choice *c = &site->choice;
	int i;

	fputs("{\"function\":", out);
	json_string(out, site->spec->func);
	fprintf(out,
		",\"group\":\"%s\",\"status\":\"%s\",\"traced\":%s,\"exact_only\":%s,"
		"\"governed\":%s,\"bursts\":%s",
		probe_group_name(site->spec->group), status_name(site->status),
		site->status == PROBE_OK && always ? "true" : "false", always ? "false" : "true",
		when == ATTACH_GOVERNED ? "true" : "false",
		when == ATTACH_BURSTS || when == ATTACH_UNLESS_HOT ? "true" : "false");
	if (site->status == PROBE_ABSENT) {
		fputs(",\"reason\":", out);
		json_string(out, site->spec->if_absent);
	} else if (site->status == PROBE_REFUSED) {
		fputs(",\"reason\":", out);
		json_string(out, c->reason);
	} else {
		fprintf(out,
			",\"entry\":%" PRIu64 ",\"size\":%" PRIu64 ",\"probe_offset\":%" PRIu64
			",\"file_offset\":%" PRIu64 ",\"instruction\":",
			site->func.entry, site->func.end - site->func.entry,
			c->vaddr - site->func.entry, site->file_offset);
		json_string(out, c->insn);
		fprintf(out,
			",\"drops_morestack_pass\":%s,\"result_in_body\":%s,\"frame_size\":%u,"
			"\"ret_offsets\":[",
			c->at_stack_check_jump ? "true" : "false",
			c->result_in_body ? "true" : "false", site->frame_size);
		for (i = 0; i < site->nrets; i++)
			fprintf(out, "%s%" PRIu64, i ? "," : "", site->rets[i] - site->func.entry);
		fputc(']', out);
	}
	fputc('}', out);
}

/* One JSON object; schema in docs/json.md. */
void report_kernel(FILE *out, const struct kernel_report *k)
{
	fprintf(out, "kernel:      %s, ", k->kf->release);
	if (k->path < 0)
		fprintf(out, "probes cannot be attached: %s\n", k->why);
	else
		fprintf(out, "probes attached by %s (%s)\n", attach_path_name(k->path),
			attach_path_describe(k->path));
}

static void report_kernel_json(FILE *out, const struct kernel_report *k)
{
	fputs(",\"kernel\":", out);
	json_string(out, k->kf->release);
	fputs(",\"attach_path\":", out);
	if (k->path < 0)
		fputs("null", out);
	else
		json_string(out, attach_path_name(k->path));
}

void report_plan_json(FILE *out, const char *path, const struct gobinary *bin,
		      const struct kernel_report *k)
{
	const struct gobuildinfo *bi = &bin->buildinfo;
	int i;

	fputs("{\"binary\":", out);
	json_string(out, path);
	fputs(",\"go_version\":", out);
	json_string(out, bi->version);
	fputs(",\"module\":", out);
	json_string(out, bi->main_path);
	fputs(",\"buildmode\":", out);
	json_string(out, bi->buildmode);
	fputs(",\"cgo_enabled\":", out);
	json_string(out, bi->cgo_enabled);
	fputs(",\"goexperiment\":", out);
	json_string(out, bi->goexperiment);
	fprintf(out, ",\"arch\":\"%s\"", goelf_arch_name(&bin->elf));
	if (k)
		report_kernel_json(out, k);
	fprintf(out,
		",\"pie\":%s,\"map_implementation\":\"%s\",\"functions\":%" PRIu64
		",\"pclntab\":%" PRIu64 ",\"text\":%" PRIu64 ",\"probes\":[",
		bin->elf.is_dyn ? "true" : "false", go_map_impl_name(bin->layout.impl),
		bin->pclntab.nfunc, bin->pclntab.vaddr, bin->pclntab.text_start);
	for (i = 0; i < bin->plan.nsites; i++) {
		if (i)
			fputc(',', out);
		json_site(out, &bin->plan.sites[i]);
	}
	fputs("]}\n", out);
}
