// SPDX-License-Identifier: GPL-2.0
/*
 * The governor's decisions on synthetic CPU times and hit counts: what is
 * attached in which mode, how the budget is shared and spent in bursts,
 * that no burst costs more than the credit it has, that bursts fall at
 * varied moments of the interval, and the creation probes' hand-over.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "governor.h"

#define INTERVAL 1.0
#define WINDOW	 5.0
#define HIT	 5e-6 /* seconds a hit costs, as measured on a slow machine */

static struct governor g;
/* Ticks run_growth_judged() took because the growth probes took their hits. */
static unsigned int judged_by_hits;
/* The simulated target's CPUs busy, and how /proc reads its CPU time (0: exactly). */
static double target_cpus, cpu_tick;

static void setup(void)
{
	enum probe_group group;

	governor_init(&g, ATTACH_MODE_WATCH, 0.01, INTERVAL, WINDOW);
	for (group = 0; group < PROBE_GROUPS; group++)
		governor_set_hit_cost(&g, group, HIT);
	target_cpus = 0.5;
	cpu_tick = 0;
}

/* The target's CPU time as /proc says it: in whole ticks. */
static double cpu_read(double cpu)
{
	return cpu_tick > 0 ? cpu_tick * (double)(uint64_t)(cpu / cpu_tick) : cpu;
}

TestSuite(governor, .init = setup);

Test(governor, plans_by_mode)
{
	cr_assert_eq(governor_plan(PROBE_GROUP_GROWTH, ATTACH_MODE_WATCH), ATTACH_UNLESS_HOT);
	cr_assert_eq(governor_plan(PROBE_GROUP_GROWTH, ATTACH_MODE_RUN), ATTACH_ALWAYS);
	cr_assert_eq(governor_plan(PROBE_GROUP_GROWTH, ATTACH_MODE_EXACT), ATTACH_ALWAYS);
	cr_assert_eq(governor_plan(PROBE_GROUP_INSERT, ATTACH_MODE_WATCH), ATTACH_BURSTS);
	cr_assert_eq(governor_plan(PROBE_GROUP_OVERFLOW, ATTACH_MODE_WATCH), ATTACH_BURSTS);
	cr_assert_eq(governor_plan(PROBE_GROUP_CREATE, ATTACH_MODE_WATCH), ATTACH_BURSTS);
	cr_assert_eq(governor_plan(PROBE_GROUP_CREATE, ATTACH_MODE_RUN), ATTACH_GOVERNED);
	cr_assert_eq(governor_plan(PROBE_GROUP_INSERT, ATTACH_MODE_EXACT), ATTACH_ALWAYS);
	cr_assert_eq(governor_plan(PROBE_GROUP_CREATE, ATTACH_MODE_TRACE), ATTACH_NEVER);
	cr_assert_eq(governor_plan(PROBE_GROUP_GROWTH, ATTACH_MODE_TRACE), ATTACH_ALWAYS);
	/* At start: growth attached, the bursted groups not yet; run attaches creation too. */
	cr_assert(governor_attached(&g, PROBE_GROUP_GROWTH));
	cr_assert_not(governor_attached(&g, PROBE_GROUP_CREATE));
	cr_assert_not(governor_attached(&g, PROBE_GROUP_INSERT));
	governor_init(&g, ATTACH_MODE_RUN, 0.01, INTERVAL, WINDOW);
	cr_assert(governor_attached(&g, PROBE_GROUP_CREATE));
	cr_assert(governor_probed(&g, PROBE_GROUP_INSERT));
}

/*
 * Runs the governor for seconds against a target using cpu_share of a core
 * whose insert probes would be hit rate times a second: returns the CPU
 * seconds the bursts cost and the longest burst's cost.
 */
static double run(double seconds, double cpu_share, double rate, double *worst_burst)
{
	double now = 0, cpu = 0, cost = 0, step = 0.0001;
	uint64_t hits = 0;
	enum probe_group group;
	double next_tick = 0;

	*worst_burst = 0;
	while (now < seconds) {
		if (now >= next_tick) {
			governor_tick(&g, now, cpu);
			next_tick += INTERVAL;
		}
		for (group = 0; group < PROBE_GROUPS; group++) {
			struct governor_group *b = &g.groups[group];
			/* Only the insert probes are hit: each group has its own counter. */
			uint64_t mine = group == PROBE_GROUP_INSERT ? hits : 0;

			if (governor_due(&g, now) & (1u << group))
				governor_attached_at(&g, group, now, now, mine);
			if (governor_over(&g, now) & (1u << group)) {
				uint64_t before = b->hits_at_start;
				double c = (double)(mine - before) * HIT;

				governor_burst_ended(&g, group, now, now, mine);
				if (c > *worst_burst)
					*worst_burst = c;
			}
		}
		now += step;
		cpu += cpu_share * step;
		if (g.groups[PROBE_GROUP_INSERT].attached) {
			hits += (uint64_t)(rate * step);
			cost += rate * step * HIT;
			cpu += rate * step *
			       HIT; /* the probes' cost is the target's CPU time too */
		}
	}
	return cost;
}

Test(governor, the_budget_holds_on_a_hot_group)
{
	double worst, cost = run(60, 0.5, 1e6, &worst);
	double budget = 0.01 * g.target_cpu;

	/*
	 * A million inserts a second at 5 us: attached all the time it would cost
	 * 5 cores. The shortest burst (5 ms) costs 25 ms, a window's budget: one
	 * every window or so.
	 */
	cr_assert_gt(g.groups[PROBE_GROUP_INSERT].bursts, 4);
	cr_assert_leq(cost, budget * 1.1, "cost %f budget %f", cost, budget);
	cr_assert_geq(cost, budget * 0.3, "cost %f budget %f", cost, budget);
	/*
	 * Shorter bursts, not a stall: none costs more than a window's budget (here
	 * the shortest burst's cost is about that).
	 */
	cr_assert_leq(worst, 0.01 * 0.5 * WINDOW * 1.05, "worst burst %f", worst);
	cr_assert_float_eq(governor_spent(&g),
			   g.groups[PROBE_GROUP_INSERT].spent + g.groups[PROBE_GROUP_DELETE].spent +
				   g.groups[PROBE_GROUP_CLEAR].spent +
				   g.groups[PROBE_GROUP_OVERFLOW].spent,
			   1e-12);
}

/*
 * As run(), on a perf-event attach path: the insert probes stay in (taking
 * hits no burst counts) for linger_s after each burst ends. Returns the CPU
 * seconds all hits cost.
 */
static double run_lingering(double seconds, double rate, double linger_s)
{
	struct governor_group *b = &g.groups[PROBE_GROUP_INSERT];
	double now = 0, cpu = 0, cost = 0, step = 0.0005, next_tick = 0, gone = -1;
	uint64_t hits = 0;

	while (now < seconds) {
		if (now >= next_tick) {
			governor_tick(&g, now, cpu);
			next_tick += INTERVAL;
		}
		if (governor_due(&g, now) & (1u << PROBE_GROUP_INSERT))
			governor_attached_at(&g, PROBE_GROUP_INSERT, now, now, hits);
		if (governor_over(&g, now) & (1u << PROBE_GROUP_INSERT)) {
			governor_burst_ended(&g, PROBE_GROUP_INSERT, now, now, hits);
			gone = now + linger_s;
		}
		now += step;
		cpu += 0.5 * step;
		if (b->attached || now < gone) {
			hits += (uint64_t)(rate * step);
			cost += rate * step * HIT;
			cpu += rate * step * HIT;
		}
	}
	governor_charge_linger(&g, PROBE_GROUP_INSERT, hits); /* as the exit summary does */
	return cost;
}

Test(governor, hits_taken_while_a_bursts_probes_go_are_charged_and_the_budget_holds)
{
	double cost;

	g.probes_linger = true;
	cost = run_lingering(120, 20000, 0.3);

	cr_assert_gt(g.groups[PROBE_GROUP_INSERT].bursts, 2);
	cr_assert_leq(cost, 0.01 * g.target_cpu * 1.1, "cost %f budget %f", cost,
		      0.01 * g.target_cpu);
	cr_assert_float_eq(governor_spent(&g), cost, cost * 0.05 + 1e-6, "spent %f, hits cost %f",
			   governor_spent(&g), cost);
}

/*
 * The tick after the one due at tick: every interval, and with early
 * judgments (first, the time of the first) at first, twice that and so on
 * while under half an interval, as bursts.c drives them.
 */
static double tick_after(double tick, double first)
{
	double early;

	for (early = first; first > 0 && early < INTERVAL * GOVERNOR_EARLY_TICK_SHARE; early *= 2)
		if (early > tick)
			return early;
	return tick < INTERVAL ? INTERVAL : tick + INTERVAL;
}

/*
 * Growth probes hit rate_at(now) times a second while attached, on a target
 * using target_cpus: the governor's ticks, judged early from first (0: not
 * early), and at once when attached all the time they took the hits
 * governor_judge_hits() allows, as bursts.c does. Returns the probes' cost;
 * *hot_seconds: how long they were in bursts.
 */
static double run_growth_judged(double seconds, double (*rate_at)(double now), double first,
				double *hot_seconds)
{
	struct governor_group *b = &g.groups[PROBE_GROUP_GROWTH];
	double now = 0, cpu = 0, cost = 0, step = 0.0001, next_tick = 0, owed = 0;
	uint64_t hits = 0, judge_at = 0;

	*hot_seconds = 0;
	judged_by_hits = 0;
	while (now < seconds) {
		bool by_hits = judge_at && hits >= judge_at;

		if (now >= next_tick || by_hits) {
			governor_note_hits(&g, PROBE_GROUP_GROWTH, hits);
			governor_tick(&g, now, cpu_read(cpu));
			judged_by_hits += by_hits;
			judge_at = governor_judge_hits(&g, PROBE_GROUP_GROWTH);
			judge_at = judge_at ? hits + judge_at : 0;
			if (now >= next_tick)
				next_tick = tick_after(next_tick, first);
		}
		if (governor_due(&g, now) & (1u << PROBE_GROUP_GROWTH))
			governor_attached_at(&g, PROBE_GROUP_GROWTH, now, now, hits);
		if (governor_over(&g, now) & (1u << PROBE_GROUP_GROWTH))
			governor_burst_ended(&g, PROBE_GROUP_GROWTH, now, now, hits);
		*hot_seconds += b->hot ? step : 0;
		now += step;
		cpu += target_cpus * step;
		if (b->attached) {
			owed += rate_at(now) * step;
			hits += (uint64_t)owed;
			owed -= (double)(uint64_t)owed;
			cost += rate_at(now) * step * HIT;
			cpu += rate_at(now) * step * HIT;
		}
	}
	return cost;
}

static double run_growth(double seconds, double (*rate_at)(double now), double *hot_seconds)
{
	return run_growth_judged(seconds, rate_at, 0, hot_seconds);
}

static double requests_grow_maps(double now)
{
	(void)now;
	return 40000;
}

static double requests_stop_at_20s(double now)
{
	return now < 20 ? 40000 : 20;
}

static double a_few_growths(double now)
{
	(void)now;
	return 50;
}

Test(governor, growth_stays_attached_while_it_costs_under_half_the_budget)
{
	double hot, cost = run_growth(30, a_few_growths, &hot);

	cr_assert_eq(hot, 0);
	cr_assert(governor_attached(&g, PROBE_GROUP_GROWTH));
	cr_assert_float_eq(cost, 30 * 50 * HIT, 1e-3 * cost);
	/* Counted at each tick: up to the last, at 29 s. */
	cr_assert_float_eq(g.groups[PROBE_GROUP_GROWTH].spent, 29 * 50 * HIT, 1e-3 * cost);
}

Test(governor, hot_growth_goes_to_bursts_within_the_budget_and_back_when_it_cools)
{
	double hot, cost = run_growth(20, requests_grow_maps, &hot);
	double first_interval = 40000 * HIT * INTERVAL;

	/* Judged at the first tick with a CPU time to judge by: in bursts from then on. */
	cr_assert_gt(hot, 20 - 2 * INTERVAL - 1e-3, "hot %f", hot);
	cr_assert_eq(g.groups[PROBE_GROUP_GROWTH].went_hot, 1);
	cr_assert_gt(g.groups[PROBE_GROUP_GROWTH].bursts, 10);
	cr_assert_leq(cost, first_interval * 1.01 + 0.01 * g.target_cpu * 1.1, "cost %f", cost);
	setup();
	run_growth(40, requests_stop_at_20s, &hot);
	cr_assert(hot > 15 && hot < 30, "hot %f", hot);
	cr_assert(governor_attached(&g, PROBE_GROUP_GROWTH));
	cr_assert_eq(g.groups[PROBE_GROUP_GROWTH].went_hot, 1);
}

static double a_start_up_spike(double now)
{
	return now < 0.5 ? 2000 : 20;
}

Test(governor, a_start_up_spike_of_growth_does_not_send_it_to_bursts)
{
	double hot;

	/* 1000 growths in half a second: 5 ms of CPU, its share (2.5 ms) and two more. */
	run_growth(10, a_start_up_spike, &hot);
	cr_assert_eq(hot, 0);
	cr_assert_eq(g.groups[PROBE_GROUP_GROWTH].overspent, 0);
}

/* 64 maps filled as the program starts, growing twice each: 128 growths in 25 ms. */
static double maps_filled_at_start(double now)
{
	return now < 0.025 ? 128 / 0.025 : 0;
}

Test(governor, a_spike_as_the_program_starts_passes_the_early_judgments)
{
	double hot;

	/* 0.64 ms of CPU in the first 25 ms: ten times that time's share, a fifth of an interval's.
	 */
	run_growth_judged(5, maps_filled_at_start, 0.025, &hot);
	cr_assert_eq(hot, 0);
	cr_assert(governor_attached(&g, PROBE_GROUP_GROWTH));
}

Test(governor, hot_growth_is_caught_by_an_early_judgment)
{
	double hot, cost = run_growth_judged(5, requests_grow_maps, 0.025, &hot);

	/* 5 ms of CPU by the first judgment, under an interval's slack; 10 ms by the second. */
	cr_assert_float_eq(hot, 5 - 0.05, 1e-3, "hot %f", hot);
	cr_assert_eq(g.groups[PROBE_GROUP_GROWTH].went_hot, 1);
	cr_assert_leq(cost, 0.05 * 40000 * HIT * 1.01 + 0.01 * g.target_cpu * 1.1, "cost %f", cost);
}

/* A few growths a second for 3 s, then requests' maps growing 40,000 times a second. */
static double requests_grow_maps_from_3s(double now)
{
	return now < 3.001 ? 20 : 40000;
}

Test(governor, growth_turning_hot_between_ticks_is_judged_by_its_hits)
{
	/* Its slack and an interval's share at half a core: 7.5 ms, 37.5 ms of such growth. */
	double hot, slack = 3 * 0.5 * INTERVAL * 0.01 * GOVERNOR_HOT_SHARE;
	double cost = run_growth_judged(10, requests_grow_maps_from_3s, 0.025, &hot);

	cr_assert_geq(judged_by_hits, 1);
	cr_assert_eq(g.groups[PROBE_GROUP_GROWTH].went_hot, 1);
	/* Not at the next tick, 4 s: within the 40 ms its slack lasts. */
	cr_assert_gt(hot, 10 - 3.05, "hot %f", hot);
	cr_assert_leq(cost, 3 * 20 * HIT + slack * 1.1 + 0.01 * g.target_cpu * 1.1, "cost %f",
		      cost);
}

/* Idle growth for 2 s, then a thousand growths a second. */
static double a_thousand_growths_from_2s(double now)
{
	return now < 2 ? 0 : 1000;
}

Test(governor, growth_judged_by_hits_on_a_target_using_little_cpu_goes_hot)
{
	double hot, cost;

	/*
	 * 5 ms of CPU a second on a target using 5% of a CPU, read in 10 ms
	 * ticks: judged every 64 hits, most judgments read no CPU time, and
	 * what the growth cost meanwhile waits for one that does.
	 */
	target_cpus = 0.05;
	cpu_tick = 0.01;
	cost = run_growth_judged(20, a_thousand_growths_from_2s, 0.025, &hot);
	cr_assert_geq(judged_by_hits, 1);
	cr_assert_eq(g.groups[PROBE_GROUP_GROWTH].went_hot, 1);
	/* Within half a second of the first growth: ~2.5 ms of CPU, 2.5 s of its budget. */
	cr_assert_gt(hot, 20 - 2.5, "hot %f", hot);
	cr_assert_leq(cost, 0.01 * g.target_cpu * 1.05 + 0.5 * 1000 * HIT, "cost %f", cost);
}

Test(governor, judge_hits_only_for_growth_attached_all_the_time)
{
	governor_tick(&g, 0, 0);
	/* Before an interval's CPU time: one CPU assumed, 3 shares of its 1%, 5 us a hit. */
	cr_assert_eq(governor_judge_hits(&g, PROBE_GROUP_GROWTH), 3000);
	cr_assert_eq(governor_judge_hits(&g, PROBE_GROUP_INSERT), 0);
	governor_tick(&g, 1, 0.01);
	/* A hundredth of a CPU: fewer than the fewest hits a judgment waits for. */
	cr_assert_eq(governor_judge_hits(&g, PROBE_GROUP_GROWTH), GOVERNOR_MIN_BURST_HITS);
	g.groups[PROBE_GROUP_GROWTH].hot = true;
	cr_assert_eq(governor_judge_hits(&g, PROBE_GROUP_GROWTH), 0);
	setup();
	g.budget = 0;
	cr_assert_eq(governor_judge_hits(&g, PROBE_GROUP_GROWTH), 0);
}

Test(governor, what_growth_spent_before_it_went_hot_the_bursts_pay_back)
{
	double hot, cost = run_growth_judged(10, requests_grow_maps, 0.025, &hot);

	/* 10 ms attached until the 50 ms judgment, a fifth of the 10 s budget: within it. */
	cr_assert_eq(g.groups[PROBE_GROUP_GROWTH].went_hot, 1);
	cr_assert_leq(cost, 0.01 * g.target_cpu * 1.02, "cost %f of %f", cost, 0.01 * g.target_cpu);
	cr_assert_float_eq(governor_spent(&g), cost, 0.02 * cost);
}

Test(governor, no_verdict_on_growth_without_the_target_cpu_measured)
{
	governor_tick(&g, 0, 0);
	governor_note_hits(&g, PROBE_GROUP_GROWTH, 1000);
	/* 25 ms later the target's CPU still reads the same tick: nothing to judge by. */
	governor_tick(&g, 0.025, 0);
	cr_assert_not(g.groups[PROBE_GROUP_GROWTH].hot);
	cr_assert_eq(governor_switched(&g), 0);
	cr_assert_float_eq(g.groups[PROBE_GROUP_GROWTH].spent, 1000 * HIT, 1e-12);
}

Test(governor, growth_with_no_budget_stays_attached)
{
	double hot;

	g.budget = 0;
	run_growth(10, requests_grow_maps, &hot);
	cr_assert_eq(hot, 0);
}

Test(governor, quiet_groups_burst_long_and_once_a_window)
{
	const struct governor_group *d = &g.groups[PROBE_GROUP_DELETE];
	double worst;

	run(60, 0.5, 0, &worst);
	/*
	 * No hits: each burst's attach and detach is all it costs the target, so
	 * after a few it bursts once a window (resting 1, 3, then 4 intervals),
	 * on the credit it saved meanwhile: most of an interval.
	 */
	cr_assert_leq(d->bursts, 60 / WINDOW + 3, "%llu bursts", (unsigned long long)d->bursts);
	cr_assert_geq(d->bursts, 60 / WINDOW - 1, "%llu bursts", (unsigned long long)d->bursts);
	cr_assert_gt(d->exposure / (double)d->bursts, 0.5 * INTERVAL);
	cr_assert_leq(d->rest_intervals + 1, WINDOW / INTERVAL);
}

Test(governor, a_quiet_group_that_takes_a_hit_bursts_every_interval_again)
{
	struct governor_group *d = &g.groups[PROBE_GROUP_DELETE];
	double now = 0;
	int i;

	governor_tick(&g, now, 0);
	for (i = 0; i < 4; i++) { /* quiet bursts: rests of 1, 3, 4, 4 intervals */
		do {
			now += INTERVAL;
			governor_tick(&g, now, 0.5 * now);
		} while (!d->planned);
		governor_attached_at(&g, PROBE_GROUP_DELETE, now, now, 0);
		governor_burst_ended(&g, PROBE_GROUP_DELETE, now + 0.1, now + 0.1, 0);
	}
	cr_assert_eq(d->rest_intervals, WINDOW / INTERVAL - 1);
	for (i = 0; i < WINDOW / INTERVAL - 1; i++) {
		now += INTERVAL;
		governor_tick(&g, now, 0.5 * now);
		cr_assert_not(d->planned, "planned while resting, tick %d", i);
	}
	now += INTERVAL;
	governor_tick(&g, now, 0.5 * now);
	cr_assert(d->planned);
	governor_attached_at(&g, PROBE_GROUP_DELETE, now, now, 0);
	governor_burst_ended(&g, PROBE_GROUP_DELETE, now + 0.1, now + 0.1, 3);
	now += INTERVAL;
	governor_tick(&g, now, 0.5 * now);
	cr_assert(d->planned, "a burst that took hits is followed by one the next interval");
}

Test(governor, a_rest_counts_intervals_not_early_judgments)
{
	struct governor_group *d = &g.groups[PROBE_GROUP_DELETE];
	double now;

	governor_tick(&g, 0, 0);
	governor_tick(&g, 0.025, 0.0125);
	cr_assert(d->planned, "a group never seen gets a burst to learn its rate");
	governor_attached_at(&g, PROBE_GROUP_DELETE, 0.03, 0.03, 0);
	governor_burst_ended(&g, PROBE_GROUP_DELETE, 0.035, 0.035, 0);
	cr_assert_eq(d->rest_intervals, 1);
	/* The judgments at 50 to 400 ms are ticks too, but not intervals. */
	for (now = 0.05; now < 0.5; now *= 2) {
		governor_tick(&g, now, 0.5 * now);
		cr_assert_not(d->planned, "planned while resting, at %f s", now);
	}
	cr_assert_eq(d->rest_intervals, 1);
	governor_tick(&g, 1, 0.5);
	cr_assert_not(d->planned);
	governor_tick(&g, 2, 1);
	cr_assert(d->planned);
}

Test(governor, no_budget_no_bursts)
{
	double worst;

	governor_init(&g, ATTACH_MODE_WATCH, 0, INTERVAL, WINDOW);
	run(10, 0.5, 1e5, &worst);
	cr_assert_eq(g.groups[PROBE_GROUP_INSERT].bursts, 0);
}

Test(governor, bursts_fall_at_varied_moments)
{
	double phases[16], now = 0;
	int i, distinct = 0;

	governor_tick(&g, now, 0);
	for (i = 0; i < 16; i++) {
		now += INTERVAL;
		governor_tick(&g, now, 0.5 * now);
		cr_assert(g.groups[PROBE_GROUP_INSERT].planned);
		phases[i] = g.groups[PROBE_GROUP_INSERT].burst_due - now;
		cr_assert_geq(phases[i], 0);
		cr_assert_lt(phases[i], INTERVAL);
		/* A hit a burst: a quiet group would rest between bursts. */
		governor_attached_at(&g, PROBE_GROUP_INSERT, now, now, (uint64_t)i);
		governor_burst_ended(&g, PROBE_GROUP_INSERT, now + 0.01, now + 0.01,
				     (uint64_t)i + 1);
	}
	for (i = 1; i < 16; i++)
		distinct += phases[i] != phases[i - 1];
	cr_assert_gt(distinct, 12);
}

Test(governor, a_late_detach_counts_operations_until_the_deadline_and_hits_until_the_detach)
{
	struct governor_group *b = &g.groups[PROBE_GROUP_INSERT];
	double start = 10, exposure;

	governor_attached_at(&g, PROBE_GROUP_INSERT, start, start, 1000);
	b->burst_end = start + 0.01;
	/*
	 * The timer fired 90 ms late (the machine loaded): the operations were
	 * counted for the planned 10 ms, the hits (the cost) for all 100.
	 */
	exposure = governor_burst_ended(&g, PROBE_GROUP_INSERT, start + 0.1, start + 0.01, 2000);
	cr_assert_float_eq(exposure, 0.01, 1e-9);
	cr_assert_float_eq(b->exposure, 0.01, 1e-9);
	cr_assert_float_eq(b->rate, 10000, 1e-6);
	cr_assert_float_eq(b->spent, 1000 * b->hit_seconds, 1e-12);
}

Test(governor, a_burst_whose_attach_was_slow_reads_its_rate_over_the_attach_too)
{
	struct governor_group *b = &g.groups[PROBE_GROUP_INSERT];
	double began = 10, attached = began + 0.05;

	/*
	 * The attach took 50 ms (a loaded machine): its first probes took the
	 * burst's 500 hits meanwhile, and the burst ended 0.1 ms after it. Read
	 * from the attach's end that is 5 million a second, a shortest burst
	 * the group would save minutes for; 10,000 a second is what it was.
	 */
	governor_attached_at(&g, PROBE_GROUP_INSERT, began, attached, 1000);
	governor_burst_ended(&g, PROBE_GROUP_INSERT, attached + 0.0001, attached + 0.0001, 1500);
	cr_assert_float_eq(b->rate, 500 / 0.0501, 1e-6);
	cr_assert_float_eq(b->exposure, 0.0001, 1e-9);
}

Test(governor, creations_go_over_to_bursts_past_their_rate)
{
	uint64_t ns = 1000000000ull;
	int i, admitted = 0;

	governor_init(&g, ATTACH_MODE_RUN, 0.01, INTERVAL, WINDOW);
	/* A start-up's worth at once, then one more. */
	for (i = 0; i < ATTACH_CREATION_BURST; i++)
		admitted += governor_admit_creation(&g, ns);
	cr_assert_eq(admitted, ATTACH_CREATION_BURST);
	cr_assert_not(governor_admit_creation(&g, ns));
	cr_assert_eq(g.groups[PROBE_GROUP_CREATE].when, ATTACH_BURSTS);
	/* Still attached until the caller detaches it; then admitted only in bursts. */
	cr_assert(governor_admit_creation(&g, 2 * ns));
	governor_burst_ended(&g, PROBE_GROUP_CREATE, 3.0, 3.0, 100);
	cr_assert_not(governor_admit_creation(&g, 3 * ns));
}

Test(governor, a_group_that_cannot_attach_stays_off)
{
	governor_detach(&g, PROBE_GROUP_INSERT);
	governor_tick(&g, 0, 0);
	cr_assert_eq(governor_tick(&g, 1, 0.5) & (1u << PROBE_GROUP_INSERT), 0);
}

Test(governor, sites_counted_by_mode)
{
	struct probe_spec insert = { .group = PROBE_GROUP_INSERT };
	struct probe_spec grow = { .group = PROBE_GROUP_GROWTH };
	struct probe_plan plan;

	memset(&plan, 0, sizeof(plan));
	plan.sites[0] = (struct probe_site){ .spec = &insert, .status = PROBE_OK };
	plan.sites[1] = (struct probe_site){ .spec = &grow, .status = PROBE_OK };
	plan.sites[2] = (struct probe_site){ .spec = &insert, .status = PROBE_ABSENT };
	plan.nsites = 3;
	cr_assert_eq(governor_count_sites(&plan, ATTACH_MODE_WATCH, false), 1);
	cr_assert_eq(governor_count_sites(&plan, ATTACH_MODE_WATCH, true), 2);
	cr_assert_eq(governor_count_sites(&plan, ATTACH_MODE_EXACT, false), 2);
}

Test(governor, groups_without_a_probeable_site_get_no_bursts)
{
	struct probe_spec insert = { .group = PROBE_GROUP_INSERT };
	struct probe_spec clear = { .group = PROBE_GROUP_CLEAR };
	struct probe_plan plan;
	unsigned int planned;

	memset(&plan, 0, sizeof(plan));
	plan.sites[0] = (struct probe_site){ .spec = &insert, .status = PROBE_OK };
	plan.sites[1] = (struct probe_site){ .spec = &clear, .status = PROBE_ABSENT };
	plan.nsites = 2;
	governor_off_without_sites(&g, &plan);
	governor_tick(&g, 0, 0);
	planned = governor_tick(&g, 1, 0.5);
	cr_assert_neq(planned & (1u << PROBE_GROUP_INSERT), 0);
	cr_assert_eq(planned & (1u << PROBE_GROUP_CLEAR), 0);
	cr_assert_eq(planned & (1u << PROBE_GROUP_DELETE), 0);
}

Test(governor, a_burst_may_take_twice_the_hits_its_credit_buys)
{
	struct governor_group *insert = &g.groups[PROBE_GROUP_INSERT];

	governor_set_hit_cost(&g, PROBE_GROUP_INSERT, 10e-6);
	insert->credit = 0.01; /* 1000 hits' worth */
	cr_assert_eq(governor_burst_hits(&g, PROBE_GROUP_INSERT), 2000);
	insert->credit = 0; /* a first burst, to learn the rate: a few hits still */
	cr_assert_eq(governor_burst_hits(&g, PROBE_GROUP_INSERT), GOVERNOR_MIN_BURST_HITS);
}

Test(governor, a_group_too_hot_for_a_burst_a_window_still_gets_the_shortest_one)
{
	struct governor_group *insert = &g.groups[PROBE_GROUP_INSERT];
	unsigned int ticks, planned = 0;

	/*
	 * 51,000 inserts a second at 8 us (this machine, 2026-12-04): the
	 * shortest burst costs 2 ms, more than a window's share of a target
	 * using 2% of a core. The credit is capped at that cost, which must buy
	 * the burst: its length, cost / rate / hit, rounds a hair below 5 ms.
	 */
	governor_set_hit_cost(&g, PROBE_GROUP_INSERT, 8e-6);
	insert->bursts = 1;
	insert->rate = 51000;
	governor_tick(&g, 0, 0);
	for (ticks = 1; ticks <= 60 && !(planned & (1u << PROBE_GROUP_INSERT)); ticks++)
		planned = governor_tick(&g, ticks * INTERVAL, ticks * INTERVAL * 0.02);
	cr_assert(planned & (1u << PROBE_GROUP_INSERT), "not planned in %u ticks", ticks);
	cr_assert_eq(governor_burst_length(&g, PROBE_GROUP_INSERT), GOVERNOR_MIN_BURST_SECONDS);
}

Test(governor, a_walk_reads_its_sites_together_as_a_burst_of_them_all_would)
{
	struct governor_group *insert = &g.groups[PROBE_GROUP_INSERT];

	g.probes_linger = true;
	governor_tick(&g, 0, 0);
	governor_tick(&g, INTERVAL, INTERVAL * target_cpus);
	cr_assert(insert->planned);
	/*
	 * Five sites, 5 ms each, one after another over 0.4 s: 1000 hits in all.
	 * Attached all at once for 5 ms they would have taken the same.
	 */
	governor_attached_at(&g, PROBE_GROUP_INSERT, 1.5, 1.5, 100);
	governor_burst_continues(&g, PROBE_GROUP_INSERT, 1.505);
	cr_assert_eq(governor_over(&g, 1.504), 0);
	cr_assert(governor_over(&g, 1.505) & (1u << PROBE_GROUP_INSERT));
	/* The next site waits for the last one's probes to go: still the same burst. */
	governor_burst_continues(&g, PROBE_GROUP_INSERT, 1.525);
	cr_assert_eq(governor_over(&g, 1.52), 0);
	governor_walk_ended(&g, PROBE_GROUP_INSERT, 0.005, 0.005, 1100);
	cr_assert(!governor_attached(&g, PROBE_GROUP_INSERT));
	cr_assert_float_eq(insert->rate, 200000, 1);
	cr_assert_float_eq(insert->exposure, 0.005, 1e-9);
	cr_assert_float_eq(insert->spent, 1000 * HIT, 1e-12);
	cr_assert(insert->ended, "hits after it, while its last probes go, are charged");
}

Test(governor, a_postponed_burst_stays_planned_for_later_and_bursting_says_who_is_in)
{
	unsigned int planned;

	governor_tick(&g, 0, 0);
	planned = governor_tick(&g, INTERVAL, INTERVAL * target_cpus);
	cr_assert(planned & (1u << PROBE_GROUP_INSERT));
	cr_assert(planned & (1u << PROBE_GROUP_DELETE));
	cr_assert_eq(governor_bursting(&g), 0);

	governor_attached_at(&g, PROBE_GROUP_INSERT, 2 * INTERVAL, 2 * INTERVAL, 0);
	cr_assert_eq(governor_bursting(&g), 1u << PROBE_GROUP_INSERT);
	governor_postpone(&g, PROBE_GROUP_DELETE, 2 * INTERVAL + 0.02);
	cr_assert_eq(governor_due(&g, 2 * INTERVAL + 0.01) & (1u << PROBE_GROUP_DELETE), 0);
	cr_assert(governor_due(&g, 2 * INTERVAL + 0.02) & (1u << PROBE_GROUP_DELETE));
	/* Growth attached all the time is not a burst. */
	cr_assert(governor_attached(&g, PROBE_GROUP_GROWTH));
	governor_burst_ended(&g, PROBE_GROUP_INSERT, 2 * INTERVAL + 0.005, 2 * INTERVAL + 0.005,
			     10);
	cr_assert_eq(governor_bursting(&g), 0);
	/* A group not planned has nothing to postpone. */
	governor_postpone(&g, PROBE_GROUP_INSERT, 10);
	cr_assert(!g.groups[PROBE_GROUP_INSERT].planned);
}
