// SPDX-License-Identifier: GPL-2.0
#include "exporters.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hash.h"
/* The profile's leaf frames: each probed function, by its index in the plan. */
static void register_probed_functions(struct exporters *x)
{
	const struct probe_plan *plan = &x->src.bin->plan;
	int i;

	for (i = 0; i < plan->nsites && i < GML_MAX_PROBES; i++)
		profile_set_probe(&x->profile, i, plan->sites[i].spec->func,
				  plan->sites[i].func.entry + x->src.load_bias);
}

/* A path that cannot be written is found now, not after an hour of tracing. */
static int start_profile(struct exporters *x, char *why, size_t why_len)
{
	const char *path = x->src.opt.pprof_path ? x->src.opt.pprof_path : x->src.opt.folded_path;
	int err = profile_init(&x->profile, &x->src.bin->pclntab, x->src.load_bias,
			       x->src.target->exe_name);

	if (err) {
		snprintf(why, why_len, "cannot allocate the growth profile: %s", strerror(-err));
		return err;
	}
	x->profiling = true;
	register_probed_functions(x);
	if (x->src.opt.pprof_path)
		err = profile_write_pprof(&x->profile, x->src.opt.pprof_path);
	if (!err && x->src.opt.folded_path) {
		path = x->src.opt.folded_path;
		err = profile_write_folded_file(&x->profile, path);
	}
	if (err)
		snprintf(why, why_len, "cannot write %s: %s", path, strerror(-err));
	return err;
}

int exporters_start(struct exporters *x, const struct exporters_sources *src, char *why,
		    size_t why_len)
{
	const struct exporters_options *opt = &src->opt;
	int err;

	memset(x, 0, sizeof(*x));
	x->src = *src;
	if ((opt->pprof_path || opt->folded_path) && (err = start_profile(x, why, why_len)))
		return err;
	if (!opt->prometheus)
		return 0;
	err = metrics_init(&x->metrics, x->src.reg, &x->src.bin->types, x->src.load_bias);
	if (err) {
		snprintf(why, why_len, "cannot allocate metrics: %s", strerror(-err));
		return err;
	}
	x->serving = true;
	if (opt->shared_server)
		return 0;
	err = metrics_server_start(&x->server, opt->prometheus_host, opt->prometheus_port, why,
				   why_len);
	if (err)
		return err;
	x->own_server = true;
	return 0;
}

void exporters_announce(struct exporters *x)
{
	struct tracer_counters c = { 0 };
	const char *host;
	bool v6;

	if (!x->serving)
		return;
	host = x->src.opt.prometheus_host;
	v6 = strchr(host, ':') != NULL;
	/* The first text: process metrics at once, map metrics from the first interval. */
	tracer_read_counters(x->src.tracer, &c);
	exporters_tick(x, 0, &c);
	if (!x->own_server)
		return;
	report_note(x->src.notes, "metrics at http://%s%s%s:%u/metrics", v6 ? "[" : "", host,
		    v6 ? "]" : "", x->server.port);
}

void exporters_on_event(struct exporters *x, const struct gml_event *e,
			const struct gml_stack *stack, int site)
{
	if (x->serving && (e->kind == GML_EV_GROW || e->kind == GML_EV_CREATE))
		metrics_count(&x->metrics, e->kind == GML_EV_GROW ? METRIC_GROWS : METRIC_CREATIONS,
			      site, e->type);
	if (x->profiling && e->kind == GML_EV_GROW)
		profile_add(&x->profile, e->probe, e->stack, stack, e->count,
			    census_growth_bytes(x->src.census, e));
}

static int op_site(struct exporters *x, uint64_t pc)
{
	uint32_t slot = hash_u64(pc) % EXPORTERS_OP_SITE_CACHE;

	/* Keys are pc + 1: an empty slot (0) never matches, not even a caller of 0. */
	if (x->op_sites[slot].pc != pc + 1) {
		x->op_sites[slot].pc = pc + 1;
		x->op_sites[slot].site = registry_site_for_pc(x->src.reg, pc);
	}
	return x->op_sites[slot].site;
}

static void add_op(void *data, const struct gml_op_key *key, const struct gml_op_value *value)
{
	static const int metric_of[] = {
		[GML_OP_INSERT] = METRIC_INSERTS,
		[GML_OP_DELETE] = METRIC_DELETES,
		[GML_OP_CLEAR] = METRIC_CLEARS,
		[GML_OP_OVERFLOW] = METRIC_OVERFLOW_BUCKETS,
	};
	struct exporters *x = data;

	if (key->op >= GML_OP_INSERT && key->op <= GML_OP_OVERFLOW)
		metrics_ops_add(&x->metrics, metric_of[key->op], op_site(x, key->caller_pc),
				value->count);
}

/* Whether inserts and deletes are counted exactly, by site (--exact). */
static bool ops_probed(const struct exporters *x)
{
	return governor_plan(PROBE_GROUP_INSERT, x->src.governor->mode) == ATTACH_ALWAYS;
}

static double own_cpu_seconds(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Hits of every probe the governor attaches (always, or in bursts), and their cost. */
static void fill_probes(struct exporters *x, const struct tracer_counters *c,
			struct metrics_process *p)
{
	const struct probe_plan *plan = &x->src.bin->plan;
	int i;

	for (i = 0; i < plan->nsites && p->nprobes < METRICS_MAX_PROBES; i++) {
		const struct probe_site *site = &plan->sites[i];

		if (site->status != PROBE_OK ||
		    !governor_probed(x->src.governor, site->spec->group))
			continue;
		p->probe_func[p->nprobes] = site->spec->func;
		p->probe_hits[p->nprobes++] = c->hits[i];
		p->probe_overhead_seconds +=
			(double)c->hits[i] * x->src.governor->groups[site->spec->group].hit_seconds;
	}
}

static void fill_process(struct exporters *x, uint64_t events, const struct tracer_counters *c,
			 struct metrics_process *p)
{
	p->pid = (uint32_t)x->src.target->pid;
	p->go_version = x->src.bin->buildinfo.version;
	p->map_impl = go_map_impl_name(x->src.bin->layout.impl);
	p->events = events;
	p->events_lost = c->lost;
	p->ops_lost = c->ops_lost;
	p->small_maps = x->src.reg->small_maps;
	p->maps_dropped = x->src.reg->maps_dropped;
	p->alerts = &x->src.census->stats;
	p->ops_probed = ops_probed(x);
	p->tracer_cpu_seconds = own_cpu_seconds();
	if (target_cpu_seconds(x->src.target, &p->target_cpu_seconds))
		p->target_cpu_seconds = 0;
	fill_probes(x, c, p);
	if (governor_plan(PROBE_GROUP_INSERT, x->src.governor->mode) == ATTACH_BURSTS) {
		p->estimates = x->src.estimates;
		p->budget_ratio = x->src.governor->budget;
		p->burst_overhead_seconds = governor_spent(x->src.governor);
	}
}

void exporters_tick(struct exporters *x, uint64_t events, const struct tracer_counters *c)
{
	struct metrics_process p = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	if (!x->serving)
		return;
	metrics_refresh(&x->metrics);
	if (ops_probed(x)) {
		metrics_ops_begin(&x->metrics);
		tracer_for_each_op(x->src.tracer, add_op, x);
		metrics_ops_end(&x->metrics);
	}
	fill_process(x, events, c, &p);
	out = open_memstream(&text, &len);
	if (!out)
		return;
	if (metrics_render(out, &x->metrics, &p)) {
		fclose(out);
		free(text);
		return; /* the last good text stays served */
	}
	fclose(out);
	if (x->own_server) {
		metrics_server_publish(&x->server, text, len);
		return;
	}
	free(x->page);
	x->page = text;
	x->page_len = len;
}

/* What each tracked map holds now, at the stack where it last grew. */
static void refresh_live_bytes(struct exporters *x)
{
	const struct registry *r = x->src.reg;
	const struct tracked_map *m;
	uint32_t i;

	profile_clear_live(&x->profile);
	for (i = 0; i < r->nmaps; i++) {
		m = &r->maps[i];
		if (m->sample.sampled && !m->id.parent && !m->id.shadow && m->origin.fill_stack)
			profile_add_live(&x->profile, m->origin.fill_probe, m->origin.fill_stack,
					 m->sample.bytes + m->nested.totals.bytes);
	}
}

void exporters_write_profiles(struct exporters *x)
{
	int err;

	if (!x->profiling)
		return;
	refresh_live_bytes(x);
	if (x->src.opt.pprof_path) {
		err = profile_write_pprof(&x->profile, x->src.opt.pprof_path);
		if (err)
			report_note(x->src.notes, "cannot write %s: %s", x->src.opt.pprof_path,
				    strerror(-err));
	}
	if (x->src.opt.folded_path) {
		err = profile_write_folded_file(&x->profile, x->src.opt.folded_path);
		if (err)
			report_note(x->src.notes, "cannot write %s: %s", x->src.opt.folded_path,
				    strerror(-err));
	}
}

void exporters_stop(struct exporters *x)
{
	if (x->own_server)
		metrics_server_stop(&x->server);
	free(x->page);
	x->page = NULL;
	x->own_server = false;
	if (x->src.opt.prometheus)
		metrics_free(&x->metrics);
	if (x->profiling)
		profile_free(&x->profile);
	x->serving = false;
	x->profiling = false;
}
