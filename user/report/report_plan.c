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

static void json_site(struct json_writer *w, const struct probe_site *site)
{
	enum attach_when when = governor_plan(site->spec->group, ATTACH_MODE_WATCH);
	bool always = when == ATTACH_ALWAYS || when == ATTACH_UNLESS_HOT;
	const struct probe_choice *c = &site->choice;
	int i;

	json_object_begin(w);
	json_field_str(w, "function", site->spec->func);
	json_field_str(w, "group", probe_group_name(site->spec->group));
	json_field_str(w, "status", status_name(site->status));
	json_field_bool(w, "traced", site->status == PROBE_OK && always);
	json_field_bool(w, "exact_only", !always);
	json_field_bool(w, "governed", when == ATTACH_GOVERNED);
	json_field_bool(w, "bursts", when == ATTACH_BURSTS || when == ATTACH_UNLESS_HOT);
	if (site->status == PROBE_ABSENT) {
		json_field_str(w, "reason", site->spec->if_absent);
	} else if (site->status == PROBE_REFUSED) {
		json_field_str(w, "reason", c->reason);
	} else {
		json_field_u64(w, "entry", site->func.entry);
		json_field_u64(w, "size", site->func.end - site->func.entry);
		json_field_u64(w, "probe_offset", c->vaddr - site->func.entry);
		json_field_u64(w, "file_offset", site->file_offset);
		json_field_str(w, "instruction", c->insn);
		json_field_bool(w, "drops_morestack_pass", c->at_stack_check_jump);
		json_field_bool(w, "result_in_body", c->result_in_body);
		json_field_u64(w, "frame_size", site->frame_size);
		json_key(w, "ret_offsets");
		json_array_begin(w);
		for (i = 0; i < site->nrets; i++)
			json_u64(w, site->rets[i] - site->func.entry);
		json_array_end(w);
	}
	json_object_end(w);
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

static void report_kernel_json(struct json_writer *w, const struct kernel_report *k)
{
	json_field_str(w, "kernel", k->kf->release);
	json_field_str(w, "attach_path", k->path < 0 ? NULL : attach_path_name(k->path));
}

void report_plan_json(FILE *out, const char *path, const struct gobinary *bin,
		      const struct kernel_report *k)
{
	const struct gobuildinfo *bi = &bin->buildinfo;
	struct json_writer w;
	int i;

	json_writer_init(&w, out);
	json_object_begin(&w);
	json_field_str(&w, "binary", path);
	json_field_str(&w, "go_version", bi->version);
	json_field_str(&w, "module", bi->main_path);
	json_field_str(&w, "buildmode", bi->buildmode);
	json_field_str(&w, "cgo_enabled", bi->cgo_enabled);
	json_field_str(&w, "goexperiment", bi->goexperiment);
	json_field_str(&w, "arch", goelf_arch_name(&bin->elf));
	if (k)
		report_kernel_json(&w, k);
	json_field_bool(&w, "pie", bin->elf.is_dyn);
	json_field_str(&w, "map_implementation", go_map_impl_name(bin->layout.impl));
	json_field_u64(&w, "functions", bin->pclntab.nfunc);
	json_field_u64(&w, "pclntab", bin->pclntab.vaddr);
	json_field_u64(&w, "text", bin->pclntab.text_start);
	json_key(&w, "probes");
	json_array_begin(&w);
	for (i = 0; i < bin->plan.nsites; i++)
		json_site(&w, &bin->plan.sites[i]);
	json_array_end(&w);
	json_writer_finish(&w);
}
