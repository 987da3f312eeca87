// SPDX-License-Identifier: GPL-2.0
/*
 * The bursts carried out (user/session/bursts.c) against a fake target: a
 * clock the test moves, probes that take hits at a set rate while they are
 * in, operations counted from the attach's end to the burst's deadline as
 * the BPF side counts them, a hit allowance reported when it is taken, and
 * a timer the test fires, on time or late. The cases docs/governor.md
 * describes: a burst's operations over the time they were counted, a late
 * timer, a burst ended by its hit allowance (and a stale report of an
 * earlier one), a group resting within the budget, and a walk of a group's
 * sites where probes linger.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "bursts.h"

#define INTERVAL    1.0
#define WINDOW	    5.0
#define HIT	    5e-6 /* seconds a hit costs the target */
#define ATTACH_TIME 0.002
#define INSERT_PC   0x401000

static const struct probe_spec insert_spec = { .func = "runtime.mapassign_fast64",
					       .group = PROBE_GROUP_INSERT };
static const struct probe_spec insert_str_spec = { .func = "runtime.mapassign_faststr",
						   .group = PROBE_GROUP_INSERT };
static const struct probe_spec delete_spec = { .func = "runtime.mapdelete",
					       .group = PROBE_GROUP_DELETE };

/* The fake target and its probes. */
struct fake {
	double now;
	double cpus;			  /* cores the target keeps busy */
	double site_rate[GML_MAX_PROBES]; /* hits a second of each site's probe while it is in */
	bool in[GML_MAX_PROBES];	  /* each site's probe */
	double hits[GML_MAX_PROBES];
	struct burst_span span[PROBE_GROUPS];
	double ops_counted[PROBE_GROUPS]; /* operations counted, not yet drained */
	uint64_t hits_left[PROBE_GROUPS]; /* the allowance left; 0: no limit */
	double spent_at[PROBE_GROUPS];	  /* when the allowance was taken; 0: not */
	uint64_t allowance_set_ns[PROBE_GROUPS];
	bool closing;	 /* detached probes still going */
	double timer_at; /* 0: off */
	int max_in;	 /* most sites in at once */
	int attaches[GML_MAX_PROBES];
	int last_site;	    /* the last site attached alone */
	double hit_seconds; /* hits taken, in the target's CPU seconds */
};

static struct fake f;
static struct probe_plan plan;
static struct governor gov;
static struct registry reg;
static struct op_estimates est;
static struct detector_config cfg;
static struct bursts b;
static struct bursts_io io;
static const struct pclntab no_functions = { .text_start = UINT64_MAX };
static struct report_notes notes;

static uint64_t ns(double seconds)
{
	return (uint64_t)llround(seconds * 1e9);
}

static enum probe_group group_of(int site)
{
	return plan.sites[site].spec->group;
}

/* Hits a second the group's probes in now take. */
static double group_rate(enum probe_group group)
{
	double rate = 0;
	int i;

	for (i = 0; i < plan.nsites; i++)
		if (f.in[i] && group_of(i) == group)
			rate += f.site_rate[i];
	return rate;
}

/*
 * Time passes until to, or until a group's probes take the last hit of its
 * allowance (the BPF side reports it then: spent_at). Probes in take hits;
 * their operations count until their burst's deadline.
 */
static void advance(double to)
{
	enum probe_group g;
	int i;

	for (g = 0; g < PROBE_GROUPS; g++) {
		double rate = group_rate(g);

		if (f.hits_left[g] && rate > 0 && f.now + (double)f.hits_left[g] / rate < to)
			to = f.now + (double)f.hits_left[g] / rate;
	}
	if (to <= f.now)
		return;
	for (i = 0; i < plan.nsites; i++) {
		double counted_until, hits;

		g = group_of(i);
		if (!f.in[i])
			continue;
		hits = f.site_rate[i] * (to - f.now);
		f.hits[i] += hits;
		f.hit_seconds += hits * HIT;
		/* The BPF side counts operations while the deadline has not passed. */
		counted_until = fmin(to, (double)f.span[g].counted_until_ns / 1e9);
		if (counted_until > f.now)
			f.ops_counted[g] += f.site_rate[i] * (counted_until - f.now);
	}
	for (g = 0; g < PROBE_GROUPS; g++) {
		double taken = group_rate(g) * (to - f.now);

		if (!f.hits_left[g] || taken <= 0)
			continue;
		if (taken + 0.5 >= (double)f.hits_left[g]) {
			f.hits_left[g] = 0;
			f.spent_at[g] = to;
		} else {
			f.hits_left[g] -= (uint64_t)taken;
		}
	}
	f.now = to;
}

static double fake_now(void *ctx)
{
	(void)ctx;
	return f.now;
}

static int fake_target_cpu(void *ctx, double *seconds)
{
	(void)ctx;
	*seconds = f.cpus * f.now;
	return 0;
}

static int sites_in(void)
{
	int i, n = 0;

	for (i = 0; i < plan.nsites; i++)
		n += f.in[i];
	return n;
}

static void put_in(enum probe_group group, int site)
{
	int i;

	for (i = 0; i < plan.nsites; i++) {
		if (group_of(i) != group || (site != TRACER_ALL_SITES && i != site))
			continue;
		f.in[i] = true;
		f.attaches[i]++;
		if (site != TRACER_ALL_SITES)
			f.last_site = i;
	}
	if (sites_in() > f.max_in)
		f.max_in = sites_in();
}

static int fake_attach_burst(void *ctx, enum probe_group group, int site, uint64_t count_ns)
{
	(void)ctx;
	f.span[group].attach_began_ns = ns(f.now);
	advance(f.now + ATTACH_TIME); /* the attach takes time: no counting meanwhile */
	put_in(group, site);
	f.span[group].attached_ns = ns(f.now);
	f.span[group].counted_until_ns = ns(f.now) + count_ns;
	return 0;
}

static int fake_attach_group(void *ctx, enum probe_group group)
{
	(void)ctx;
	put_in(group, TRACER_ALL_SITES);
	f.span[group] = (struct burst_span){ ns(f.now), ns(f.now), UINT64_MAX };
	return 0;
}

static uint64_t fake_detach(void *ctx, enum probe_group group)
{
	int i;

	(void)ctx;
	for (i = 0; i < plan.nsites; i++)
		if (group_of(i) == group)
			f.in[i] = false;
	if (f.span[group].counted_until_ns > ns(f.now))
		f.span[group].counted_until_ns = ns(f.now);
	return ns(f.now);
}

static void fake_span(void *ctx, enum probe_group group, struct burst_span *out)
{
	(void)ctx;
	*out = f.span[group];
}

static uint64_t fake_limit_hits(void *ctx, enum probe_group group, uint64_t hits)
{
	(void)ctx;
	f.hits_left[group] = hits;
	f.spent_at[group] = 0;
	f.allowance_set_ns[group] = ns(f.now);
	return ns(f.now);
}

static bool fake_closing(void *ctx)
{
	(void)ctx;
	return f.closing;
}

static int fake_read_counters(void *ctx, struct tracer_counters *out)
{
	int i;

	(void)ctx;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < plan.nsites; i++)
		out->hits[i] = (uint64_t)f.hits[i];
	return 0;
}

static int fake_drain_ops(void *ctx, unsigned int ops, tracer_op_fn fn, void *fn_ctx)
{
	enum probe_group group;

	(void)ctx;
	for (group = 0; group < PROBE_GROUPS; group++) {
		unsigned int op_bits = probe_group_ops(group);
		struct gml_op_key key = { .map = 0xc000100000, .caller_pc = INSERT_PC };
		struct gml_op_value value = { .type = 0x4a0000 };

		if (!(op_bits & ops) || f.ops_counted[group] < 0.5)
			continue;
		key.op = (uint32_t)__builtin_ctz(op_bits);
		value.count = (uint64_t)llround(f.ops_counted[group]);
		f.ops_counted[group] = 0;
		fn(fn_ctx, &key, &value);
	}
	return 0;
}

static void fake_arm_timer(void *ctx, double at)
{
	(void)ctx;
	f.timer_at = at;
}

static void add_site(const struct probe_spec *spec, double rate)
{
	plan.sites[plan.nsites].spec = spec;
	plan.sites[plan.nsites].status = PROBE_OK;
	f.site_rate[plan.nsites] = rate;
	plan.nsites++;
}

static void setup(void)
{
	enum probe_group group;

	memset(&f, 0, sizeof(f));
	notes = (struct report_notes){ .out = stderr };
	memset(&plan, 0, sizeof(plan));
	f.cpus = 1.0;
	f.last_site = -1;
	io = (struct bursts_io){
		.now = fake_now,
		.target_cpu = fake_target_cpu,
		.attach_burst = fake_attach_burst,
		.attach_group = fake_attach_group,
		.detach = fake_detach,
		.span = fake_span,
		.limit_hits = fake_limit_hits,
		.closing = fake_closing,
		.read_counters = fake_read_counters,
		.drain_ops = fake_drain_ops,
		.arm_timer = fake_arm_timer,
	};
	governor_init(&gov, ATTACH_MODE_WATCH, 0.01, INTERVAL, WINDOW);
	for (group = 0; group < PROBE_GROUPS; group++)
		governor_set_hit_cost(&gov, group, HIT);
	detector_config_default(&cfg);
	/* No function at any PC: every operation is unsited, its count kept whole. */
	cr_assert_eq(registry_init(&reg, &cfg, &no_functions, 0), 0);
	cr_assert_eq(op_estimates_init(&est), 0);
	b = (struct bursts){
		.io = &io, .gov = &gov, .plan = &plan, .reg = &reg, .est = &est, .notes = &notes
	};
	f.now = 100.0; /* the clock of a machine up for a while */
}

static void teardown(void)
{
	op_estimates_free(&est);
	registry_free(&reg);
}

TestSuite(bursts, .init = setup, .fini = teardown);

/*
 * Runs the bursts until the clock reads until: ticks every interval, the
 * timer fired late seconds after it was due, spent allowances reported when
 * taken (unless report_spent is false).
 */
static void run_until(double until, double late, bool report_spent)
{
	double next_tick = f.now + INTERVAL;

	if (!b.attached_at)
		bursts_start(&b);
	while (f.now < until) {
		double at = next_tick, timer = f.timer_at ? f.timer_at + late : 0;
		enum probe_group group;
		bool spent = false;

		if (timer && timer < at)
			at = timer;
		advance(at);
		for (group = 0; group < PROBE_GROUPS; group++) {
			if (!f.spent_at[group])
				continue;
			spent = true;
			f.spent_at[group] = 0;
			if (report_spent)
				bursts_on_spent(&b, group, ns(f.now));
		}
		if (spent)
			continue;
		if (timer && at == timer) {
			bursts_on_timer(&b);
		} else {
			next_tick += INTERVAL;
			bursts_tick(&b);
		}
	}
	bursts_end_all(&b);
}

/* The estimated rate of the insert group's operations a second, unsited (no pclntab here). */
static double estimated_insert_rate(void)
{
	cr_assert_gt(est.exposure[GML_OP_INSERT], 0);
	return (double)est.unsited[GML_OP_INSERT] / est.exposure[GML_OP_INSERT];
}

Test(bursts, operations_are_counted_for_the_time_they_were_counted)
{
	add_site(&insert_spec, 20000);
	run_until(130, 0, true);
	cr_assert_gt(gov.groups[PROBE_GROUP_INSERT].bursts, 10);
	cr_assert_eq(sites_in(), 0, "every burst ended");
	cr_assert_float_eq(estimated_insert_rate(), 20000, 20000 * 0.01);
}

Test(bursts, a_late_timer_does_not_lengthen_what_was_counted)
{
	/*
	 * Every timer 30 ms late: the probes stay in longer, but the BPF side
	 * stopped counting at the deadline, and the exposure ends there too.
	 */
	add_site(&insert_spec, 20000);
	run_until(130, 0.03, true);
	cr_assert_gt(gov.groups[PROBE_GROUP_INSERT].bursts, 10);
	cr_assert_float_eq(estimated_insert_rate(), 20000, 20000 * 0.01);
}

Test(bursts, a_burst_ended_by_its_hit_allowance_ends_when_it_is_taken)
{
	double cpu_before, hits_before;

	/* The group turns 50 times busier than its bursts said: the allowance ends them early. */
	add_site(&insert_spec, 20000);
	run_until(115, 0, true);
	cr_assert_eq(b.spent_early, 0);
	f.site_rate[0] = 1e6;
	cpu_before = f.cpus * f.now;
	hits_before = f.hit_seconds;
	run_until(145, 0, true);
	cr_assert_gt(b.spent_early, 0);
	cr_assert_eq(sites_in(), 0);
	/* What the bursts cost stays near the budget, 1% of the target's CPU. */
	cr_assert_lt((f.hit_seconds - hits_before) / (f.cpus * f.now - cpu_before), 0.015, "%.4f",
		     (f.hit_seconds - hits_before) / (f.cpus * f.now - cpu_before));
}

Test(bursts, a_report_of_an_earlier_bursts_allowance_is_ignored)
{
	enum probe_group g = PROBE_GROUP_INSERT;
	uint64_t ended;
	int steps = 0;

	add_site(&insert_spec, 20000);
	bursts_start(&b);
	while (!gov.groups[g].attached) {
		cr_assert_lt(++steps, 1000, "no burst started");
		advance(f.timer_at);
		bursts_on_timer(&b);
	}
	ended = b.spent_early;
	/* Taken before this burst's allowance was set: a past burst's. */
	bursts_on_spent(&b, g, f.allowance_set_ns[g] - 1);
	cr_assert(gov.groups[g].attached);
	cr_assert_eq(b.spent_early, ended);
	bursts_on_spent(&b, g, f.allowance_set_ns[g]);
	cr_assert_not(gov.groups[g].attached);
	cr_assert_eq(b.spent_early, ended + 1);
	cr_assert_eq(sites_in(), 0);
}

Test(bursts, a_group_that_took_no_hit_rests)
{
	/* Deletes never happen here: their bursts come further and further apart. */
	add_site(&insert_spec, 20000);
	add_site(&delete_spec, 0);
	run_until(160, 0, true);
	cr_assert_gt(gov.groups[PROBE_GROUP_INSERT].bursts,
		     3 * gov.groups[PROBE_GROUP_DELETE].bursts, "insert %lu, delete %lu",
		     gov.groups[PROBE_GROUP_INSERT].bursts, gov.groups[PROBE_GROUP_DELETE].bursts);
	cr_assert_gt(gov.groups[PROBE_GROUP_DELETE].bursts, 0);
}

Test(bursts, where_probes_linger_a_burst_walks_its_sites_one_at_a_time)
{
	add_site(&insert_spec, 20000);
	add_site(&insert_str_spec, 5000);
	add_site(&delete_spec, 1000);
	gov.probes_linger = true;
	run_until(130, 0, true);
	cr_assert_eq(f.max_in, 1, "one site's probe in at a time");
	cr_assert_gt(f.attaches[0], 3);
	cr_assert_gt(f.attaches[1], 3, "the walk reaches the group's second site");
	cr_assert_gt(f.attaches[2], 3);
	cr_assert_eq(sites_in(), 0);
}

Test(bursts, a_walk_waits_while_earlier_probes_are_going)
{
	int steps = 0;

	add_site(&insert_spec, 20000);
	add_site(&insert_str_spec, 5000);
	gov.probes_linger = true;
	bursts_start(&b);
	while (f.last_site != 0) {
		cr_assert_lt(++steps, 1000, "no walk started");
		advance(f.timer_at);
		bursts_on_timer(&b);
	}
	/* The first site's burst ends while another probe is still going: the next waits. */
	f.closing = true;
	advance(f.timer_at);
	bursts_on_timer(&b);
	cr_assert_eq(sites_in(), 0);
	cr_assert_eq(f.attaches[1], 0);
	f.closing = false;
	advance(f.timer_at);
	bursts_on_timer(&b);
	cr_assert_eq(f.attaches[1], 1, "attached once nothing is going");
	cr_assert_eq(f.last_site, 1);
}
