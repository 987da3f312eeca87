// SPDX-License-Identifier: GPL-2.0
/*
 * Estimates from bursts: counts scaled by the probes' attached time, per
 * site over the session and per map over its windows, with their error
 * bounds; untracked maps written become candidates for tracking.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "op_estimates.h"

static struct registry reg;
static struct op_estimates est;
static const struct detector_config cfg = { .window = 5, .min_growth = 1000, .confirm = 3 };

static void setup(void)
{
	cr_assert_eq(registry_init(&reg, &cfg, NULL, 0), 0);
	cr_assert_eq(op_estimates_init(&est), 0);
}

static void teardown(void)
{
	op_estimates_free(&est);
	registry_free(&reg);
}

TestSuite(op_estimates, .init = setup, .fini = teardown);

#define MAP  0xc000010000ull
#define TYPE 0x4a0000ull

Test(op_estimates, site_rates_are_counts_over_attached_time)
{
	double rate, error;
	int i;

	cr_assert_not(op_estimates_site_rate(&est, 3, GML_OP_INSERT, &rate, &error));
	op_estimates_add_exposure(&est, 1u << GML_OP_INSERT, 0.25);
	op_estimates_add(&est, &reg, MAP, TYPE, 3, GML_OP_INSERT, 400);
	op_estimates_add_exposure(&est, 1u << GML_OP_INSERT, 0.25);
	op_estimates_add(&est, &reg, MAP, TYPE, 3, GML_OP_INSERT, 600);
	cr_assert(op_estimates_site_rate(&est, 3, GML_OP_INSERT, &rate, &error));
	cr_assert_float_eq(rate, 2000, 1e-9);
	/* Two bursts (not even ended): a rate, but too few bursts for a bound. */
	cr_assert_float_eq(error, -1, 1e-12);
	op_estimates_end_burst(&est);
	for (i = 0; i < OP_ESTIMATES_MIN_BURSTS; i++) {
		op_estimates_add_exposure(&est, 1u << GML_OP_INSERT, 0.25);
		op_estimates_add(&est, &reg, MAP, TYPE, 3, GML_OP_INSERT, 500);
		op_estimates_end_burst(&est);
	}
	cr_assert(op_estimates_site_rate(&est, 3, GML_OP_INSERT, &rate, &error));
	cr_assert_float_eq(rate, 2000, 1e-9);
	/* Enough bursts: a bound, at least the counting error, 2 sqrt(n) / exposure. */
	cr_assert_geq(error, 2 * sqrt(1000.0 + 500 * OP_ESTIMATES_MIN_BURSTS) /
					     (0.5 + 0.25 * OP_ESTIMATES_MIN_BURSTS) -
				     1e-9);
	/* Deletes were never probed: no rate, not a rate of 0. */
	cr_assert_not(op_estimates_site_rate(&est, 3, GML_OP_DELETE, &rate, &error));
}

static void add_burst(double seconds, uint64_t count)
{
	op_estimates_add_exposure(&est, 1u << GML_OP_INSERT, seconds);
	/* Two counters of the site (two maps): the burst's count is their sum. */
	op_estimates_add(&est, &reg, MAP, TYPE, 3, GML_OP_INSERT, count / 2);
	op_estimates_add(&est, &reg, MAP + 64, TYPE, 3, GML_OP_INSERT, count - count / 2);
	op_estimates_end_burst(&est);
}

Test(op_estimates, steady_bursts_are_bounded_by_the_counting_error)
{
	double rate, error;
	int i;

	for (i = 0; i < 20; i++)
		add_burst(0.01, 20);
	cr_assert(op_estimates_site_rate(&est, 3, GML_OP_INSERT, &rate, &error));
	cr_assert_float_eq(rate, 2000, 1e-9);
	cr_assert_float_eq(error, 2 * sqrt(400) / 0.2, 1e-9);
}

Test(op_estimates, bursts_that_disagree_widen_the_bound)
{
	double rate, error, poisson;
	int i;

	/* A program that stalled through a fifth of the bursts: 200 a burst, or nothing. */
	for (i = 0; i < 20; i++)
		add_burst(0.01, i % 5 ? 200 : 0);
	cr_assert(op_estimates_site_rate(&est, 3, GML_OP_INSERT, &rate, &error));
	cr_assert_float_eq(rate, 16000, 1e-9);
	poisson = 2 * sqrt(3200) / 0.2;
	/*
	 * Each burst is off rate * t by +40 or -160: the sum of squares is
	 * 16 * 1600 + 4 * 25600 = 128000, so 2 sqrt(20/19 * 128000) / 0.2.
	 */
	cr_assert_float_eq(error, 2 * sqrt(20.0 / 19 * 128000) / 0.2, 1e-6);
	cr_assert_gt(error, 2 * poisson);
	/* A site the bursts never saw has no spread, and no rate above 0. */
	cr_assert(op_estimates_site_rate(&est, 4, GML_OP_INSERT, &rate, &error));
	cr_assert_float_eq(rate, 0, 1e-12);
}

Test(op_estimates, an_untracked_map_written_is_a_candidate)
{
	op_estimates_add(&est, &reg, MAP, TYPE, 3, GML_OP_INSERT, 5);
	op_estimates_add(&est, &reg, MAP + 64, TYPE, 4, GML_OP_CLEAR, 1);
	cr_assert_eq(est.ncandidates, 1); /* clears do not make a map worth a look */
	cr_assert_eq(est.candidates[0].map, MAP);
	cr_assert_eq(est.candidates[0].type, TYPE);
	cr_assert_eq(est.candidates[0].site, 3);
}

Test(op_estimates, a_tracked_maps_window_rates_by_site)
{
	struct tracked_map *m = registry_track(&reg, MAP, TYPE);
	const struct map_op_slot *ins, *del;

	cr_assert_not_null(m);
	op_estimates_close_window(&est, &m->ops);
	op_estimates_add_exposure(&est, (1u << GML_OP_INSERT) | (1u << GML_OP_DELETE), 0.1);
	op_estimates_add(&est, &reg, MAP, TYPE, 3, GML_OP_INSERT, 200);
	op_estimates_add(&est, &reg, MAP, TYPE, 4, GML_OP_DELETE, 150);
	op_estimates_add(&est, &reg, MAP, TYPE, 5, GML_OP_INSERT, 10);
	cr_assert_eq(m->origin.fill_site, 3); /* learned from its first insert */
	cr_assert_null(op_estimates_busiest(&m->ops, GML_OP_INSERT)); /* no window closed yet */
	op_estimates_close_window(&est, &m->ops);
	ins = op_estimates_busiest(&m->ops, GML_OP_INSERT);
	del = op_estimates_busiest(&m->ops, GML_OP_DELETE);
	cr_assert_not_null(ins);
	cr_assert_eq(ins->site, 3);
	cr_assert_float_eq(ins->rate, 2000, 1e-9);
	cr_assert_eq(del->site, 4);
	cr_assert_float_eq(del->rate, 1500, 1e-9);
	/* The next window only counts what came after. */
	op_estimates_add_exposure(&est, (1u << GML_OP_INSERT) | (1u << GML_OP_DELETE), 0.2);
	op_estimates_add(&est, &reg, MAP, TYPE, 3, GML_OP_INSERT, 100);
	op_estimates_close_window(&est, &m->ops);
	cr_assert_float_eq(op_estimates_busiest(&m->ops, GML_OP_INSERT)->rate, 500, 1e-9);
	cr_assert_float_eq(op_estimates_busiest(&m->ops, GML_OP_DELETE)->rate, 0, 1e-9);
}

Test(op_estimates, the_busiest_sites_keep_their_slots)
{
	struct tracked_map *m = registry_track(&reg, MAP, TYPE);
	int site;

	op_estimates_add_exposure(&est, 1u << GML_OP_INSERT, 1);
	op_estimates_add(&est, &reg, MAP, TYPE, 1, GML_OP_INSERT, 1000);
	for (site = 10; site < 10 + 2 * REGISTRY_OP_SLOTS; site++)
		op_estimates_add(&est, &reg, MAP, TYPE, site, GML_OP_INSERT, 1);
	op_estimates_close_window(&est, &m->ops);
	cr_assert_eq(op_estimates_busiest(&m->ops, GML_OP_INSERT)->site, 1);
}
