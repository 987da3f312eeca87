// SPDX-License-Identifier: GPL-2.0
#include "report_run.h"

#include <inttypes.h>

#include "gomapleak.h"

void report_attached(const struct report_notes *n, const struct report_attached *a)
{
	const struct calibration *c = a->calibration;
	char budget[64] = "";

	if (a->budget_percent > 0)
		snprintf(budget, sizeof(budget), ", overhead budget %g%%", a->budget_percent);
	report_note(n, "attached to %d (%s, %s, %s maps, %d functions, %d uprobes%s)", a->pid,
		    a->exe, a->go_version, a->map_impl, a->functions, a->uprobes, budget);
	if (!c)
		return;
	report_note(n,
		    "a probe hit costs, measured here: %.2f us an operation, %.2f us an overflow "
		    "bucket, %.2f us a creation read in its body, %.2f us one read at a RET; a "
		    "probe takes %.2f ms to attach, %.2f ms to detach",
		    c->op_hit * 1e6, c->overflow_hit * 1e6, c->create_entry * 1e6,
		    (c->create_entry + c->create_ret) * 1e6, c->attach_probe * 1e3,
		    c->detach_probe * 1e3);
}

void report_budget(const struct report_notes *n, const struct report_budget *b)
{
	char early[64] = "", judged[64] = "";

	if (b->spent_early)
		snprintf(early, sizeof(early), ", %" PRIu64 " ended by their hit allowance",
			 b->spent_early);
	if (b->judged_by_hits)
		snprintf(judged, sizeof(judged), ", %" PRIu64 " judgment%s brought forward by hits",
			 b->judged_by_hits, b->judged_by_hits == 1 ? "" : "s");
	report_note(n,
		    "overhead budget %g%% of the target's %.2fs CPU: bursts and creations cost "
		    "~%.3fs (%.2f%%) in %" PRIu64 " bursts%s%s%s",
		    b->budget_percent, b->target_cpu, b->spent,
		    b->target_cpu > 0 ? 100 * b->spent / b->target_cpu : 0, b->bursts, early,
		    judged, b->calibrated ? "" : " (hit costs not measured: defaults)");
	if (b->walked)
		report_note(n,
			    "bursts walked their groups' functions one probe at a time, one burst "
			    "at a time: %" PRIu64 " started later, another's probes going",
			    b->postponed);
}

void report_no_bursts(const struct report_notes *n, const char *group, double seconds,
		      bool budget_taken)
{
	report_note(n, "no %s rate: its probes had no burst in %.1fs%s", group, seconds,
		    budget_taken ? ", the budget went to the probes attached all the time" : "");
}

void report_run_end(const struct report_notes *n, FILE *out, const struct report_run_end *e)
{
	const struct tracer_counters *c = e->counters;
	int i;

	report_note(n, "kernel %s, probes attached by %s (%s)", e->kernel->release,
		    attach_path_name(e->path), attach_path_describe(e->path));
	if (c->ops_lost)
		report_note(n,
			    "%" PRIu64 " map operations not counted: more than %d (map, site, "
			    "operation) counters",
			    c->ops_lost, GML_MAX_OP_COUNTERS);
	if (!e->verbose)
		return;
	for (i = 0; i < e->plan->nsites; i++) {
		const struct probe_site *site = &e->plan->sites[i];

		if (site->status == PROBE_OK && governor_probed(e->governor, site->spec->group))
			fprintf(out, "gomapleak:   %-45s %" PRIu64 " hits\n", site->spec->func,
				c->hits[i]);
	}
}

void report_trace_end(const struct report_notes *n, double seconds, const char *reason,
		      uint64_t events, uint64_t lost)
{
	report_note(n, "detached after %.1fs (%s); %" PRIu64 " events; %" PRIu64 " events lost",
		    seconds, reason, events, lost);
}
