// SPDX-License-Identifier: GPL-2.0
#include "bursts.h"

#include <stdio.h>

/* One creation at site: its probe's hit, and a single-stepped RET where the map is read there. */
static double creation_cost(const struct bursts *b, const struct probe_site *site)
{
	double entry = b->calibrated ? b->calibration.create_entry : PROBE_EMULATED_HIT_SECONDS;
	double ret = b->calibrated ? b->calibration.create_ret : PROBE_STEPPED_HIT_SECONDS;

	return entry + (probe_site_reads_at_rets(site) ? ret : 0);
}

/*
 * A creation's cost, averaged over the creation sites' hits so far: on Go
 * 1.22+ makemap_small's maps are read in its body (one emulated hit), and
 * makemap's at a RET (ten times that). Before any hit, the dearest site's.
 */
static void update_creation_cost(const struct bursts *b, const struct tracer_counters *c)
{
	double weighted = 0, dearest = 0;
	uint64_t hits = 0;
	int i;

	for (i = 0; i < b->plan->nsites; i++) {
		const struct probe_site *site = &b->plan->sites[i];
		double cost;

		if (site->status != PROBE_OK || site->spec->group != PROBE_GROUP_CREATE)
			continue;
		cost = creation_cost(b, site);
		weighted += cost * (double)c->hits[i];
		hits += c->hits[i];
		if (cost > dearest)
			dearest = cost;
	}
	if (dearest > 0)
		governor_set_hit_cost(b->gov, PROBE_GROUP_CREATE,
				      hits ? weighted / (double)hits : dearest);
}

/* The group's hit counter: its sites' hits summed (for creations, their cost updated). */
static uint64_t group_hits(const struct bursts *b, enum probe_group group)
{
	struct tracer_counters c;
	uint64_t hits = 0;
	int i;

	if (b->io->read_counters(b->io->ctx, &c))
		return 0;
	for (i = 0; i < b->plan->nsites; i++)
		if (b->plan->sites[i].spec->group == group)
			hits += c.hits[i];
	if (group == PROBE_GROUP_CREATE)
		update_creation_cost(b, &c);
	return hits;
}

static void set_costs(struct bursts *b)
{
	const struct calibration *c = &b->calibration;
	struct governor *g = b->gov;

	governor_set_hit_cost(g, PROBE_GROUP_INSERT, c->op_hit);
	governor_set_hit_cost(g, PROBE_GROUP_DELETE, c->op_hit);
	governor_set_hit_cost(g, PROBE_GROUP_CLEAR, c->op_hit);
	governor_set_hit_cost(g, PROBE_GROUP_OVERFLOW, c->overflow_hit);
	/* A growth probe walks the stack and emits an event, as makemap's entry does. */
	governor_set_hit_cost(g, PROBE_GROUP_GROWTH, c->create_entry);
}

void bursts_use_calibration(struct bursts *b, const struct calibration *c)
{
	b->calibration = *c;
	b->calibrated = true;
	set_costs(b);
	group_hits(b, PROBE_GROUP_CREATE); /* the creation cost, by where sites read the map */
}

void bursts_calibrate(struct bursts *b, struct tracer *tr)
{
	struct calibration c;
	char reason[256];

	if (calibrate_probes(tr, &c, reason, sizeof(reason))) {
		report_note(b->notes, "%s; the budget counts default costs", reason);
		return;
	}
	bursts_use_calibration(b, &c);
}

void bursts_start(struct bursts *b)
{
	b->attached_at = b->io->now(b->io->ctx);
	b->judge_after = BURSTS_FIRST_JUDGMENT;
	bursts_tick(b);
}

/* When the next early judgment is due; 0 once past. */
static double next_judgment(const struct bursts *b)
{
	return b->judge_after ? b->attached_at + b->judge_after : 0;
}

/* The timer at the soonest start or end of a burst, or judgment, or off. */
static void arm_timer(struct bursts *b)
{
	double end = governor_next_wakeup(b->gov), judge_at = next_judgment(b);

	if (judge_at && (!end || judge_at < end))
		end = judge_at;
	b->io->arm_timer(b->io->ctx, end);
}

/* The plan's next site of the group after site (-1: its first), or -1 past its last. */
static int next_site(const struct bursts *b, enum probe_group group, int site)
{
	int i;

	for (i = site + 1; i < b->plan->nsites; i++)
		if (b->plan->sites[i].status == PROBE_OK && b->plan->sites[i].spec->group == group)
			return i;
	return -1;
}

/* The group's burst, or one site's part of a walk, attached: it ends a burst's length later. */
static int attach_burst(struct bursts *b, enum probe_group group, int site)
{
	double length = governor_burst_length(b->gov, group);
	struct burst_span span;
	int err;

	err = b->io->attach_burst(b->io->ctx, group, site, (uint64_t)(length * 1e9));
	if (err)
		return err;
	b->io->span(b->io->ctx, group, &span);
	governor_burst_continues(b->gov, group, (double)span.attached_ns / 1e9 + length);
	return 0;
}

static void start_burst(struct bursts *b, enum probe_group group)
{
	struct site_walk *w = &b->walks[group];
	uint64_t hits = group_hits(b, group);
	int site = TRACER_ALL_SITES;
	struct burst_span span;

	b->allowance_ns[group] =
		b->io->limit_hits(b->io->ctx, group, governor_burst_hits(b->gov, group));
	if (b->gov->probes_linger) {
		*w = (struct site_walk){ .on = true, .site = next_site(b, group, -1) };
		site = w->site;
	}
	if ((w->on && w->site == -1) || attach_burst(b, group, site)) {
		/* A burst that cannot attach is skipped; the next may. */
		w->on = false;
		b->io->limit_hits(b->io->ctx, group, 0);
		governor_burst_skipped(b->gov, group);
		return;
	}
	w->in = w->on;
	b->io->span(b->io->ctx, group, &span);
	governor_attached_at(b->gov, group, (double)span.attach_began_ns / 1e9,
			     (double)span.attached_ns / 1e9, hits);
}

/* A group the governor switched: hot, its probes go until its bursts; cooled, they come back. */
static void switch_group(struct bursts *b, enum probe_group group)
{
	const struct governor_group *g = &b->gov->groups[group];

	if (!g->attached) {
		b->io->detach(b->io->ctx, group);
		report_note(b->notes,
			    "%s probes in bursts from now: attached all the time they cost %.0f "
			    "hits a second, over half the budget",
			    probe_group_name(group), g->rate);
		return;
	}
	if (b->io->attach_group(b->io->ctx, group)) {
		governor_stay_hot(b->gov, group);
		return;
	}
	report_note(b->notes, "%s probes attached all the time again: %.0f hits a second",
		    probe_group_name(group), g->rate);
}

/*
 * Groups attached all the time get the hits they may take before they are
 * judged again: the BPF side says when they are taken (bursts_on_spent()).
 */
static void limit_attached_hits(struct bursts *b)
{
	enum probe_group group;

	for (group = 0; group < PROBE_GROUPS; group++) {
		if (b->gov->groups[group].when != ATTACH_UNLESS_HOT ||
		    governor_in_bursts(b->gov, group))
			continue;
		b->allowance_ns[group] =
			b->io->limit_hits(b->io->ctx, group, governor_judge_hits(b->gov, group));
	}
}

void bursts_charge_lingering(struct bursts *b)
{
	enum probe_group group;

	for (group = 0; group < PROBE_GROUPS; group++)
		if (b->gov->groups[group].ended)
			governor_charge_linger(b->gov, group, group_hits(b, group));
}

void bursts_tick(struct bursts *b)
{
	enum probe_group group;
	unsigned int switched;
	double cpu;

	if (b->io->target_cpu(b->io->ctx, &cpu))
		return;
	bursts_charge_lingering(b);
	for (group = 0; group < PROBE_GROUPS; group++)
		if (b->gov->groups[group].when == ATTACH_UNLESS_HOT)
			governor_note_hits(b->gov, group, group_hits(b, group));
	governor_tick(b->gov, b->io->now(b->io->ctx), cpu);
	switched = governor_switched(b->gov);
	for (group = 0; group < PROBE_GROUPS; group++)
		if (switched & (1u << group))
			switch_group(b, group);
	limit_attached_hits(b);
	arm_timer(b);
}

static void take_op(void *ctx, const struct gml_op_key *key, const struct gml_op_value *value)
{
	struct bursts *b = ctx;
	int site = registry_site_for_pc(b->reg, key->caller_pc);

	op_estimates_add(b->est, b->reg, key->map, value->type, site, key->op, value->count);
}

/* The operations counted in a burst, each counted for exposure seconds, to the estimates. */
static void hand_over_ops(struct bursts *b, enum probe_group group, double exposure)
{
	unsigned int ops = probe_group_ops(group);

	if (!ops)
		return;
	op_estimates_add_exposure(b->est, ops, exposure);
	b->io->drain_ops(b->io->ctx, ops, take_op, b);
	op_estimates_end_burst(b->est);
}

/*
 * Ends a burst: its operations were counted from its attach's end to its
 * deadline, or to its detach's start if that came first.
 */
static void end_burst(struct bursts *b, enum probe_group group)
{
	double ended = (double)b->io->detach(b->io->ctx, group) / 1e9, exposure;
	struct burst_span span;
	uint64_t hits = group_hits(b, group);

	b->io->span(b->io->ctx, group, &span);
	b->io->limit_hits(b->io->ctx, group, 0);
	exposure = governor_burst_ended(b->gov, group, ended, (double)span.counted_until_ns / 1e9,
					hits);
	hand_over_ops(b, group, exposure);
}

/* A walk's site detached: how long its operations were counted and its probes in. */
static void detach_site(struct bursts *b, enum probe_group group)
{
	struct site_walk *w = &b->walks[group];
	double ended = (double)b->io->detach(b->io->ctx, group) / 1e9, counted;
	struct burst_span span;

	b->io->span(b->io->ctx, group, &span);
	counted = ((double)span.counted_until_ns - (double)span.attached_ns) / 1e9;
	w->counted += counted > 0 ? counted : 0;
	w->attached += ended - (double)span.attach_began_ns / 1e9;
	w->sites++;
	w->in = false;
}

/* Ends a walk: each site's operations scaled by the sites' average time counted. */
static void end_walk(struct bursts *b, enum probe_group group)
{
	struct site_walk *w = &b->walks[group];
	double exposure = 0, attached = 0;

	if (w->in)
		detach_site(b, group);
	if (w->sites) {
		exposure = w->counted / w->sites;
		attached = w->attached / w->sites;
	}
	b->io->limit_hits(b->io->ctx, group, 0);
	governor_walk_ended(b->gov, group, exposure, attached, group_hits(b, group));
	w->on = false;
	hand_over_ops(b, group, exposure);
}

/*
 * A walk's site is done, or the next one waits: the next site is attached
 * once no probe is going, or the walk ends past its last site.
 */
static void step_walk(struct bursts *b, enum probe_group group, double now)
{
	struct site_walk *w = &b->walks[group];
	int next;

	if (w->in)
		detach_site(b, group);
	next = next_site(b, group, w->site);
	if (next == -1) {
		end_walk(b, group);
		return;
	}
	if (b->io->closing(b->io->ctx)) {
		governor_burst_continues(b->gov, group, now + BURSTS_RETRY_SECONDS);
		return;
	}
	if (attach_burst(b, group, next)) {
		end_walk(b, group);
		return;
	}
	w->site = next;
	w->in = true;
}

/* A burst, or a walk, ends now. */
static void finish_burst(struct bursts *b, enum probe_group group)
{
	if (b->walks[group].on)
		end_walk(b, group);
	else
		end_burst(b, group);
}

/*
 * Where probes linger after a burst (perf-event uprobes), one burst at a
 * time, started once the last one's probes are gone: each burst's busiest
 * probe then goes at once, not after the grace periods of probes queued
 * before it (the io's closing()).
 */
static bool must_wait(const struct bursts *b)
{
	return b->gov->probes_linger && (governor_bursting(b->gov) || b->io->closing(b->io->ctx));
}

void bursts_on_timer(struct bursts *b)
{
	/* A millisecond early is close enough: the timer is not exact either. */
	double soon = b->io->now(b->io->ctx) + 0.001, judge_at;
	unsigned int over = governor_over(b->gov, soon), due = governor_due(b->gov, soon);
	enum probe_group group;

	judge_at = next_judgment(b);
	if (judge_at && judge_at <= soon) {
		b->judge_after *= 2;
		if (b->judge_after >= b->gov->interval * GOVERNOR_EARLY_TICK_SHARE)
			b->judge_after = 0;
		bursts_tick(b); /* arms the timer */
	}
	for (group = 0; group < PROBE_GROUPS; group++) {
		if (!(over & (1u << group)))
			continue;
		if (b->walks[group].on)
			step_walk(b, group, soon);
		else
			end_burst(b, group);
	}
	for (group = 0; group < PROBE_GROUPS; group++) {
		if (!(due & (1u << group)))
			continue;
		if (must_wait(b)) {
			governor_postpone(b->gov, group, soon + BURSTS_RETRY_SECONDS);
			b->postponed++;
			continue;
		}
		start_burst(b, group);
	}
	arm_timer(b);
}

void bursts_on_spent(struct bursts *b, enum probe_group group, uint64_t ts_ns)
{
	if (group >= PROBE_GROUPS || !b->gov->groups[group].attached ||
	    ts_ns < b->allowance_ns[group])
		return;
	if (!governor_in_bursts(b->gov, group)) {
		/* Attached all the time, it took the hits it may take before a judgment. */
		b->judged_by_hits++;
		bursts_tick(b);
		return;
	}
	finish_burst(b, group);
	b->spent_early++;
	arm_timer(b);
}

void bursts_take_over(struct bursts *b, enum probe_group group)
{
	if (b->gov->groups[group].attached)
		finish_burst(b, group);
}

void bursts_end_all(struct bursts *b)
{
	enum probe_group group;

	for (group = 0; group < PROBE_GROUPS; group++) {
		if (b->gov->groups[group].attached && governor_in_bursts(b->gov, group))
			finish_burst(b, group);
	}
}
