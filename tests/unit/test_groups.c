// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <string.h>

#include "groups.h"

/* 5 samples a window, 1000 entries of net growth, LEAK after 3 growing windows. */
static const struct detector_config cfg = {
	.window = 5, .min_growth = 1000, .confirm = 3, .rise_percent = 80
};

#define TYPE	 0x4a0000
#define FILL	 7 /* a fill site */
#define MAX_MAPS 1200

static struct site_groups gs;
static struct tracked_map maps[MAX_MAPS];
static enum detector_state worst, last_state;
static unsigned int alerts;
static double now, round_seconds; /* the rounds' clock */

static void on_alert(void *ctx, struct site_group *g, enum alert_kind kind,
		     enum detector_state before)
{
	(void)ctx;
	(void)before;
	cr_assert_eq(kind, ALERT_GROWTH);
	alerts++;
	last_state = g->rules[kind].state;
	if (last_state == DETECTOR_LEAK ||
	    (last_state == DETECTOR_SUSPECT && worst != DETECTOR_LEAK))
		worst = last_state;
}

static void setup(void)
{
	cr_assert_eq(groups_init(&gs, &cfg), 0);
	now = 0;
	round_seconds = 1;
	memset(maps, 0, sizeof(maps));
	worst = last_state = DETECTOR_QUIET;
	alerts = 0;
}

static void teardown(void)
{
	groups_free(&gs);
}

static void map_at(unsigned int i, uint64_t count, int fill)
{
	maps[i].id.addr = 0xc000100000 + 0x100 * (uint64_t)i;
	maps[i].id.type = TYPE;
	maps[i].origin.fill_site = fill;
	maps[i].origin.create_site = REGISTRY_NO_SITE;
	maps[i].sample.hdr.count = count;
	maps[i].sample.sampled = true;
}

/* One census round over maps[from..to). */
static void round_over(unsigned int from, unsigned int to)
{
	unsigned int i;

	groups_begin_round(&gs);
	for (i = from; i < to; i++)
		groups_add_member(&gs, &maps[i]);
	now += round_seconds;
	groups_end_round(&gs, now, on_alert, NULL);
	for (i = from; i < to; i++)
		groups_rebase_member(&gs, &maps[i]);
}

static struct site_group *group_of(unsigned int i)
{
	return groups_get(&gs, maps[i].member.group);
}

TestSuite(groups, .init = setup, .fini = teardown);

Test(groups, fifty_maps_each_below_min_growth_leak_together_as_one_group)
{
	unsigned int t, u;

	/* 50 users made before the attach, each gaining 60 a round: 300 a window alone. */
	for (t = 0; t < 25; t++) {
		for (u = 0; u < 50; u++)
			map_at(u, 1000 + 60 * t + u, FILL);
		round_over(0, 50);
	}
	/* Members count from their second window: growing windows 2, 3, 4; LEAK at round 20. */
	cr_assert_eq(worst, DETECTOR_LEAK);
	cr_assert_eq(gs.count, 1, "one group, not fifty");
	cr_assert_eq(group_of(0)->members, 50);
	cr_assert_eq(group_of(0)->entries, 50 * (1000 + 60 * 24) + 49 * 50 / 2);
	cr_assert_float_eq(group_of(0)->rate, 3000, 1, "rate %f", group_of(0)->rate);
	cr_assert_eq(group_of(0)->biggest[0], maps[49].id.addr, "most entries first");
	cr_assert_eq(alerts, 2, "SUSPECT then LEAK, for the group alone");
}

Test(groups, a_group_whose_rounds_ran_late_reports_its_rate_over_the_time_they_took)
{
	unsigned int t, u;

	/* As above, on a busy machine: each round came 1.25 intervals after the last. */
	round_seconds = 1.25;
	for (t = 0; t < 25; t++) {
		for (u = 0; u < 50; u++)
			map_at(u, 1000 + 75 * t + u, FILL);
		round_over(0, 50);
	}
	cr_assert_eq(worst, DETECTOR_LEAK);
	cr_assert_float_eq(group_of(0)->last.seconds, 6.25, 1e-9);
	cr_assert_float_eq(group_of(0)->rate, 3000, 1, "rate %f", group_of(0)->rate);
}

Test(groups, maps_rebuilt_per_request_add_nothing)
{
	unsigned int t, i;

	/* Each round 100 new maps, filled to 16 and dropped before the next round. */
	for (t = 0; t < 40; t++) {
		for (i = 0; i < 100; i++)
			map_at((t % 2) * 100 + i, 16, FILL);
		maps[(t % 2) * 100].member.group = 0;
		round_over((t % 2) * 100, (t % 2) * 100 + 100);
		for (i = 0; i < 100; i++)
			memset(&maps[(t % 2) * 100 + i], 0, sizeof(maps[0]));
	}
	cr_assert_eq(worst, DETECTOR_QUIET);
	cr_assert_eq(alerts, 0);
}

Test(groups, requests_filling_their_own_maps_across_a_round_add_nothing)
{
	unsigned int t, i, base;

	/*
	 * Hundreds in flight: each map is seen in two rounds, first half full and then
	 * full (and dead); each round new ones replace those seen twice.
	 */
	for (t = 0; t < 40; t++) {
		base = (t % 3) * 300;
		for (i = 0; i < 300; i++) {
			map_at(base + i, 50, FILL);
			maps[base + i].member.group = 0;
			maps[base + i].member.in_window = false;
		}
		for (i = 0; i < 300; i++)
			map_at(((t + 2) % 3) * 300 + i, 100,
			       FILL); /* the previous round's, now full */
		round_over(0, 900);
	}
	cr_assert_neq(worst, DETECTOR_LEAK);
}

Test(groups, long_lived_maps_that_stop_growing_resolve)
{
	unsigned int t, u;

	for (t = 0; t < 45; t++) {
		for (u = 0; u < 100; u++)
			map_at(u, 500 + 20 * (t < 21 ? t : 21), FILL);
		round_over(0, 100);
	}
	cr_assert_eq(worst, DETECTOR_LEAK);
	cr_assert_eq(last_state, DETECTOR_RESOLVED);
}

Test(groups, requests_whose_maps_grow_across_a_window_start_then_die_add_nothing)
{
	enum { PER_ROUND = 40, LIFE = 4, KEPT = 7 }; /* rounds it grows, rounds it is seen */
	unsigned int t, age, i, slot;

	/*
	 * Slow requests: 40 maps made a round, each gaining 25 a round for 4 rounds
	 * (so some straddle every window's start and grow on), then dead with a
	 * frozen count until the registry drops it 3 rounds later.
	 */
	for (t = 0; t < 80; t++) {
		for (age = 0; age < KEPT && age <= t; age++) {
			for (i = 0; i < PER_ROUND; i++) {
				slot = ((t - age) % KEPT) * PER_ROUND + i;
				if (age == 0)
					memset(&maps[slot], 0, sizeof(maps[slot]));
				map_at(slot, 25 * (1 + (age < LIFE ? age : LIFE)), FILL);
			}
		}
		round_over(0, (t + 1 < KEPT ? t + 1 : KEPT) * PER_ROUND);
	}
	cr_assert_eq(worst, DETECTOR_QUIET);
}

Test(groups, a_member_counts_once_it_has_been_one_for_a_whole_window)
{
	unsigned int t;

	map_at(0, 100, FILL);
	round_over(0, 1);
	cr_assert_not(maps[0].member.in_window, "found now: it may be a request's map");
	cr_assert(maps[0].member.tenured);
	map_at(1, 5000, FILL);
	for (t = 0; t < 4; t++) {
		map_at(1, 5000 + 1000 * (t + 1), FILL);
		round_over(0, 2);
		cr_assert_eq(group_of(0)->growth, 0, "no member counts in the first window");
	}
	round_over(0, 2); /* the first window closes and the second starts */
	cr_assert(maps[0].member.in_window);
	cr_assert_not(maps[1].member.in_window, "it joined during the first window");
	cr_assert(maps[1].member.tenured);
	for (t = 0; t < 5; t++)
		round_over(0, 2);
	cr_assert(maps[1].member.in_window);
	cr_assert_eq(maps[1].member.base, 9000);
}

Test(groups, maps_filled_at_other_sites_or_of_other_types_are_other_groups)
{
	map_at(0, 10, FILL);
	map_at(1, 10, FILL + 1);
	map_at(2, 10, FILL);
	maps[2].id.type = TYPE + 0x40;
	map_at(3, 10, REGISTRY_NO_SITE);
	map_at(4, 10, REGISTRY_NO_SITE);
	round_over(0, 5);
	cr_assert_eq(gs.count, 5, "a map with no fill site is a group of its own");
	map_at(1, 10, FILL); /* it grew at the first site since */
	round_over(0, 5);
	cr_assert_eq(group_of(1), group_of(0));
	cr_assert_eq(group_of(0)->members, 2);
}

Test(groups, a_group_without_members_is_freed)
{
	map_at(0, 10, FILL);
	round_over(0, 1);
	cr_assert_eq(gs.count, 1);
	round_over(0, 0);
	round_over(0, 0);
	cr_assert_eq(gs.count, 0);
}
