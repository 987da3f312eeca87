// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "detector.h"

/* 10 samples a window, 100 entries of net growth, LEAK after 3 growing windows. */
static const struct detector_config cfg = {
	.window = 10, .min_growth = 100, .confirm = 3, .rise_percent = 80
};

typedef uint64_t (*count_at_fn)(unsigned int t);

/*
 * One map as the census feeds the detector: a sample a tick, the evidence
 * kept beside the series, one detector_close_window per closed window.
 */
struct sim {
	struct detector_series series;
	struct detector_rule rules[ALERT_KINDS];
	struct detector_evidence ev;
	struct detector_stats stats;
	enum detector_state worst[ALERT_KINDS]; /* the most alarming state each rule reached */
	unsigned int windows;
	double now;	 /* seconds: one a sample unless a test makes rounds late */
	double interval; /* seconds between this sim's samples */
	/* Called before each window closes: what else the map did in it. */
	void (*each_window)(struct detector_evidence *ev, unsigned int window);
};

static void sim_init(struct sim *m, bool nested, bool classic)
{
	memset(m, 0, sizeof(*m));
	cr_assert_eq(detector_series_init(&m->series, &cfg), 0);
	m->ev.nested = nested;
	m->ev.classic = classic;
	m->ev.b = 4;
	m->interval = 1;
}

static bool more_alarming(enum detector_state a, enum detector_state b)
{
	static const int rank[] = { [DETECTOR_QUIET] = 0,
				    [DETECTOR_RESOLVED] = 1,
				    [DETECTOR_SUSPECT] = 2,
				    [DETECTOR_LEAK] = 3 };

	return rank[a] > rank[b];
}

static void sim_sample(struct sim *m, uint64_t count)
{
	struct detector_changes changes;
	enum alert_kind k;

	if (count > m->ev.peak)
		m->ev.peak = count;
	if (count > m->ev.window_peak)
		m->ev.window_peak = count;
	m->now += m->interval;
	if (!detector_series_add(&m->series, &cfg, count, m->now))
		return;
	if (m->each_window)
		m->each_window(&m->ev, m->windows);
	detector_close_window(&cfg, &m->series.last, &m->ev, m->rules, &changes);
	m->windows++;
	for (k = 0; k < ALERT_KINDS; k++) {
		if (changes.changed & (1u << k))
			detector_stats_count(&m->stats, k, m->rules[k].state);
		if (more_alarming(m->rules[k].state, m->worst[k]))
			m->worst[k] = m->rules[k].state;
	}
	m->ev.window_peak = count;
	m->ev.same_size_grows = 0;
}

static void sim_feed(struct sim *m, count_at_fn count_at, unsigned int from, unsigned int to)
{
	unsigned int t;

	for (t = from; t < to; t++)
		sim_sample(m, count_at(t));
}

static void sim_free(struct sim *m)
{
	detector_series_free(&m->series);
}

/* The growth rule's worst state over n samples, and its state at the end. */
static enum detector_state growth_of(count_at_fn count_at, unsigned int n, enum detector_state *end)
{
	enum detector_state worst;
	struct sim m;

	sim_init(&m, false, false);
	sim_feed(&m, count_at, 0, n);
	*end = m.rules[ALERT_GROWTH].state;
	worst = m.worst[ALERT_GROWTH];
	sim_free(&m);
	return worst;
}

static uint64_t steady_leak(unsigned int t)
{
	return 1000 + 20 * t;
}

static uint64_t leak_that_stops(unsigned int t)
{
	return 1000 + 20 * (t < 45 ? t : 45);
}

/* An LRU capped at 500: fills, then evicts as fast as it inserts. */
static uint64_t bounded_lru(unsigned int t)
{
	return t < 10 ? 50 * t : 500 - (t % 3);
}

/* Cleared every 5 samples: rises in 4 intervals of 5, yet falls back each time. */
static uint64_t cleared_every_5(unsigned int t)
{
	return 100 * (t % 5);
}

/* Maps rebuilt per request: a handful of entries, coming and going. */
static uint64_t rebuilt_per_request(unsigned int t)
{
	return 4 + (t * 7) % 5;
}

static uint64_t large_stable(unsigned int t)
{
	return 1000000 + (t % 2);
}

/* Grows, but by less than min_growth a window. */
static uint64_t slow_growth(unsigned int t)
{
	return 1000 + 5 * t;
}

/* Filled to 10,000, then emptied by delete to 100 by the second window. */
static uint64_t filled_then_emptied(unsigned int t)
{
	return t < 10 ? 1000 * (t + 1) : 100;
}

/* The same, but only down to a quarter of its peak: still in use. */
static uint64_t filled_then_quartered(unsigned int t)
{
	return t < 10 ? 1000 * (t + 1) : 2500;
}

/* A small map filled and emptied: its peak is under min_growth. */
static uint64_t small_filled_then_emptied(unsigned int t)
{
	return t < 10 ? 9 * (t + 1) : 1;
}

static uint64_t steady_size(unsigned int t)
{
	(void)t;
	return 600;
}

Test(detector_growth, a_steady_leak_is_suspect_after_one_window_and_leak_after_three)
{
	struct sim m;
	unsigned int t;

	sim_init(&m, false, false);
	sim_feed(&m, steady_leak, 0, 10);
	cr_assert_eq(m.windows, 0);
	sim_sample(&m, steady_leak(10));
	cr_assert_eq(m.windows, 1);
	cr_assert_eq(m.rules[ALERT_GROWTH].state, DETECTOR_SUSPECT);
	cr_assert_eq(m.series.last.first, 1000);
	cr_assert_eq(m.series.last.last, 1200);
	cr_assert_eq(m.series.last.rises, 10);
	for (t = 11; t <= 30; t++)
		sim_sample(&m, steady_leak(t));
	cr_assert_eq(m.rules[ALERT_GROWTH].state, DETECTOR_LEAK);
	cr_assert_eq(m.stats.raised[ALERT_GROWTH][DETECTOR_SUSPECT], 1);
	cr_assert_eq(m.stats.raised[ALERT_GROWTH][DETECTOR_LEAK], 1);
	cr_assert_eq(m.stats.leaks, 1);
	sim_free(&m);
}

Test(detector_growth, a_leak_that_stops_is_resolved_after_a_quiet_window)
{
	enum detector_state end;

	cr_assert_eq(growth_of(leak_that_stops, 70, &end), DETECTOR_LEAK);
	cr_assert_eq(end, DETECTOR_RESOLVED);
}

Test(detector_growth, a_bounded_lru_never_reaches_leak)
{
	enum detector_state end;

	cr_assert_neq(growth_of(bounded_lru, 200, &end), DETECTOR_LEAK);
	cr_assert_neq(end, DETECTOR_SUSPECT);
}

Test(detector_growth, a_map_cleared_every_few_intervals_is_never_suspect)
{
	/* Why the fall guard: this window rises in 8 of 10 intervals and ends 400 up. */
	static const uint64_t counts[11] = { 0, 100, 200, 300, 400, 0, 100, 200, 300, 400, 400 };
	enum detector_state end;
	struct detector_window w;

	cr_assert_eq(growth_of(cleared_every_5, 200, &end), DETECTOR_QUIET);
	cr_assert_not(detector_window_grows(&cfg, counts, 11, &w));
	cr_assert_geq(w.last - w.first, cfg.min_growth);
	cr_assert_geq(100 * w.rises, 80 * 10);
	cr_assert_geq(2 * w.largest_fall, w.last - w.first);
}

Test(detector_growth, maps_rebuilt_per_request_a_large_stable_map_and_slow_growth_stay_quiet)
{
	enum detector_state end;

	cr_assert_eq(growth_of(rebuilt_per_request, 200, &end), DETECTOR_QUIET);
	cr_assert_eq(growth_of(large_stable, 200, &end), DETECTOR_QUIET);
	cr_assert_eq(growth_of(slow_growth, 200, &end), DETECTOR_QUIET);
}

Test(detector_growth, growth_that_resumes_after_resolved_is_suspect_again)
{
	struct sim m;
	unsigned int t;
	uint64_t count = 0;

	sim_init(&m, false, false);
	for (t = 0; t <= 10; t++)
		sim_sample(&m, count += 20);
	cr_assert_eq(m.rules[ALERT_GROWTH].state, DETECTOR_SUSPECT);
	for (t = 0; t < 10; t++)
		sim_sample(&m, count);
	cr_assert_eq(m.rules[ALERT_GROWTH].state, DETECTOR_RESOLVED);
	for (t = 0; t < 10; t++)
		sim_sample(&m, count += 20);
	cr_assert_eq(m.rules[ALERT_GROWTH].state, DETECTOR_SUSPECT);
	cr_assert_eq(m.stats.raised[ALERT_GROWTH][DETECTOR_SUSPECT], 2);
	cr_assert_eq(m.stats.raised[ALERT_GROWTH][DETECTOR_RESOLVED], 1);
	sim_free(&m);
}

Test(detector_growth, refuses_a_window_of_fewer_than_two_samples)
{
	struct detector_config tiny = cfg;
	struct detector_series s;

	tiny.window = 1;
	cr_assert_eq(detector_series_init(&s, &tiny), -EINVAL);
}

Test(detector_nested, inner_entries_that_keep_growing_leak_under_nested_not_growth)
{
	struct sim m;

	sim_init(&m, true, true);
	sim_feed(&m, steady_leak, 0, 31);
	cr_assert_eq(m.rules[ALERT_NESTED].state, DETECTOR_LEAK);
	cr_assert_eq(m.worst[ALERT_GROWTH], DETECTOR_QUIET);
	cr_assert_eq(m.stats.raised[ALERT_NESTED][DETECTOR_LEAK], 1);
	sim_free(&m);
}

Test(detector_nested, a_map_of_maps_is_never_bloat_or_churn)
{
	struct sim m;

	sim_init(&m, true, true);
	m.ev.capacity = 1u << 20;
	m.ev.noverflow = 1000; /* would be churn for a plain classic map */
	sim_feed(&m, filled_then_emptied, 0, 60);
	cr_assert_eq(m.worst[ALERT_BLOAT], DETECTOR_QUIET);
	cr_assert_eq(m.worst[ALERT_CHURN], DETECTOR_QUIET);
	sim_free(&m);
}

Test(detector_nested, bounded_inner_maps_stay_quiet)
{
	struct sim m;

	sim_init(&m, true, false);
	sim_feed(&m, bounded_lru, 0, 200);
	cr_assert_neq(m.worst[ALERT_NESTED], DETECTOR_LEAK);
	sim_free(&m);
}

Test(detector_bloat, a_map_emptied_by_delete_that_keeps_its_storage_is_bloat)
{
	struct sim m;

	sim_init(&m, false, false);
	m.ev.capacity = 16384; /* storage sized for the peak, never shrunk */
	sim_feed(&m, filled_then_emptied, 0, 21);
	cr_assert_eq(m.rules[ALERT_BLOAT].state, DETECTOR_SUSPECT);
	sim_feed(&m, filled_then_emptied, 21, 41);
	cr_assert_eq(m.rules[ALERT_BLOAT].state, DETECTOR_LEAK);
	sim_free(&m);
}

Test(detector_bloat, a_map_whose_storage_was_replaced_is_not_bloat)
{
	struct sim m;

	sim_init(&m, false, false);
	m.ev.capacity = 128; /* a new, small map at the address */
	sim_feed(&m, filled_then_emptied, 0, 60);
	cr_assert_eq(m.worst[ALERT_BLOAT], DETECTOR_QUIET);
	sim_free(&m);
}

Test(detector_bloat, a_map_still_holding_a_quarter_of_its_peak_or_never_large_is_not_bloat)
{
	struct sim m;

	sim_init(&m, false, false);
	m.ev.capacity = 16384;
	sim_feed(&m, filled_then_quartered, 0, 60);
	cr_assert_eq(m.worst[ALERT_BLOAT], DETECTOR_QUIET);
	sim_free(&m);
	sim_init(&m, false, false);
	m.ev.capacity = 16384;
	sim_feed(&m, small_filled_then_emptied, 0, 60);
	cr_assert_eq(m.worst[ALERT_BLOAT], DETECTOR_QUIET);
	sim_free(&m);
}

Test(detector_bloat, a_bloated_map_refilled_is_resolved)
{
	struct sim m;
	unsigned int t;

	sim_init(&m, false, false);
	m.ev.capacity = 16384;
	sim_feed(&m, filled_then_emptied, 0, 21);
	cr_assert_eq(m.rules[ALERT_BLOAT].state, DETECTOR_SUSPECT);
	for (t = 0; t < 10; t++)
		sim_sample(&m, 9000);
	cr_assert_eq(m.rules[ALERT_BLOAT].state, DETECTOR_RESOLVED);
	sim_free(&m);
}

/* Attached after the deletes: 100 entries left, the peak never seen. */
static uint64_t emptied_before_the_attach(unsigned int t)
{
	(void)t;
	return 100;
}

Test(detector_bloat, storage_sized_for_8_times_the_entries_is_bloat_from_the_header_alone)
{
	struct sim m;

	sim_init(&m, false, true);
	m.ev.capacity = 8u << 17;
	m.ev.sized_for = 13u << 16; /* 6.5 x 2^17: grown for 851,968 entries */
	sim_feed(&m, emptied_before_the_attach, 0, 11);
	cr_assert_eq(m.ev.peak, 100, "the peak was never seen");
	cr_assert_eq(m.rules[ALERT_BLOAT].state, DETECTOR_SUSPECT);
	sim_feed(&m, emptied_before_the_attach, 11, 31);
	cr_assert_eq(m.rules[ALERT_BLOAT].state, DETECTOR_LEAK);
	sim_free(&m);
}

Test(detector_bloat, a_full_map_or_small_storage_is_not_bloat_from_the_header)
{
	struct sim m;

	/* 600 entries in storage for 1024 (Swiss capacity): in use. */
	sim_init(&m, false, false);
	m.ev.capacity = 1024;
	m.ev.sized_for = 1024;
	sim_feed(&m, steady_size, 0, 60);
	cr_assert_eq(m.worst[ALERT_BLOAT], DETECTOR_QUIET);
	sim_free(&m);
	/* 1 entry in storage for 64: bloated in proportion, but under min_growth. */
	sim_init(&m, false, false);
	m.ev.capacity = 64;
	m.ev.sized_for = 64;
	sim_feed(&m, small_filled_then_emptied, 10, 60);
	cr_assert_eq(m.worst[ALERT_BLOAT], DETECTOR_QUIET);
	sim_free(&m);
}

static void same_size_grow_each_window(struct detector_evidence *ev, unsigned int window)
{
	(void)window;
	ev->same_size_grows = 1;
}

static void same_size_grow_once(struct detector_evidence *ev, unsigned int window)
{
	ev->same_size_grows = window == 0;
}

Test(detector_churn, same_size_grows_every_window_are_churn_on_classic_maps)
{
	struct sim m;

	sim_init(&m, false, true);
	m.each_window = same_size_grow_each_window;
	sim_feed(&m, steady_size, 0, 11);
	cr_assert_eq(m.rules[ALERT_CHURN].state, DETECTOR_SUSPECT);
	sim_feed(&m, steady_size, 11, 31);
	cr_assert_eq(m.rules[ALERT_CHURN].state, DETECTOR_LEAK);
	cr_assert_eq(m.worst[ALERT_GROWTH], DETECTOR_QUIET);
	sim_free(&m);
}

Test(detector_churn, as_many_overflow_buckets_as_buckets_are_churn)
{
	struct sim m;

	sim_init(&m, false, true);
	m.ev.b = 4;
	m.ev.noverflow = 16;
	sim_feed(&m, steady_size, 0, 31);
	cr_assert_eq(m.rules[ALERT_CHURN].state, DETECTOR_LEAK);
	sim_free(&m);
}

Test(detector_churn, one_same_size_grow_is_resolved_and_few_overflow_buckets_are_quiet)
{
	struct sim m;

	sim_init(&m, false, true);
	m.each_window = same_size_grow_once;
	sim_feed(&m, steady_size, 0, 31);
	cr_assert_eq(m.worst[ALERT_CHURN], DETECTOR_SUSPECT);
	cr_assert_eq(m.rules[ALERT_CHURN].state, DETECTOR_RESOLVED);
	sim_free(&m);
	sim_init(&m, false, true);
	m.ev.b = 4;
	m.ev.noverflow = 15;
	sim_feed(&m, steady_size, 0, 31);
	cr_assert_eq(m.worst[ALERT_CHURN], DETECTOR_QUIET);
	sim_free(&m);
}

Test(detector_churn, swiss_maps_and_huge_classic_maps_overflow_counts_are_not_churn)
{
	struct sim m;

	sim_init(&m, false, false);
	m.each_window = same_size_grow_each_window;
	sim_feed(&m, steady_size, 0, 31);
	cr_assert_eq(m.worst[ALERT_CHURN], DETECTOR_QUIET);
	sim_free(&m);
	/* From 2^16 buckets Go counts overflow buckets approximately. */
	sim_init(&m, false, true);
	m.ev.b = 16;
	m.ev.noverflow = 1u << 17;
	sim_feed(&m, steady_size, 0, 31);
	cr_assert_eq(m.worst[ALERT_CHURN], DETECTOR_QUIET);
	sim_free(&m);
}

Test(detector_states, each_change_names_the_rule_and_the_state_it_left)
{
	struct detector_rule rules[ALERT_KINDS] = { 0 };
	const struct detector_window growing = { .growing = true }, flat = { 0 };
	const struct detector_evidence ev = { 0 };
	struct detector_changes changes;

	detector_close_window(&cfg, &flat, &ev, rules, &changes);
	cr_assert_eq(changes.changed, 0);
	detector_close_window(&cfg, &growing, &ev, rules, &changes);
	cr_assert_eq(changes.changed, 1u << ALERT_GROWTH);
	cr_assert_eq(changes.before[ALERT_GROWTH], DETECTOR_QUIET);
	detector_close_window(&cfg, &growing, &ev, rules, &changes);
	cr_assert_eq(changes.changed, 0, "SUSPECT stays SUSPECT until confirm windows");
	detector_close_window(&cfg, &growing, &ev, rules, &changes);
	cr_assert_eq(changes.changed, 1u << ALERT_GROWTH);
	cr_assert_eq(changes.before[ALERT_GROWTH], DETECTOR_SUSPECT);
	cr_assert_eq(rules[ALERT_GROWTH].state, DETECTOR_LEAK);
	cr_assert(detector_alerting(rules));
	cr_assert_eq(detector_worst_rule(rules), ALERT_GROWTH);
	detector_close_window(&cfg, &flat, &ev, rules, &changes);
	cr_assert_eq(changes.before[ALERT_GROWTH], DETECTOR_LEAK);
	cr_assert_eq(rules[ALERT_GROWTH].state, DETECTOR_RESOLVED);
	cr_assert_not(detector_alerting(rules));
}

Test(detector_states, names_of_rules_and_states)
{
	cr_assert_str_eq(detector_kind_name(ALERT_GROWTH), "growth");
	cr_assert_str_eq(detector_kind_name(ALERT_NESTED), "nested");
	cr_assert_str_eq(detector_kind_name(ALERT_BLOAT), "bloat");
	cr_assert_str_eq(detector_kind_name(ALERT_CHURN), "churn");
	cr_assert_str_eq(detector_state_name(DETECTOR_LEAK), "LEAK");
	cr_assert_str_eq(detector_state_name(DETECTOR_RESOLVED), "RESOLVED");
}

Test(detector_rate, a_window_whose_rounds_ran_late_reports_its_rate_over_the_time_it_took)
{
	struct sim m;
	unsigned int t;

	sim_init(&m, false, false);
	for (t = 0; t <= cfg.window; t++)
		sim_sample(&m, 1000 + 30 * t);
	cr_assert_float_eq(detector_window_rate(&m.series.last), 30, 1e-9);
	/* A busy machine: every round came 1.5 intervals after the last. */
	m.interval = 1.5;
	for (t = 1; t <= cfg.window; t++)
		sim_sample(&m, 1000 + 30 * cfg.window + 45 * t);
	cr_assert_float_eq(m.series.last.seconds, 15, 1e-9);
	cr_assert_float_eq(detector_window_rate(&m.series.last), 30, 1e-9);
	sim_free(&m);
}
