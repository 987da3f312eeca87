// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>

#include "detector.h"

/* 10 samples a window, 100 entries of net growth, LEAK after 3 growing windows. */
static const struct detector_config cfg = {
	.window = 10, .min_growth = 100, .confirm = 3, .rise_percent = 80
};

typedef uint64_t (*count_at_fn)(unsigned int t);

/* Feeds samples 0..n-1; returns the worst state reached and the state at the end. */
static enum detector_state feed(count_at_fn count_at, unsigned int n, enum detector_state *end)
{
	struct series s;
	enum detector_state worst = DETECTOR_QUIET;
	unsigned int t;

	cr_assert_eq(series_init(&s, &cfg), 0);
	for (t = 0; t < n; t++) {
		series_add(&s, &cfg, count_at(t));
		if (s.growth.state == DETECTOR_LEAK ||
		    (s.growth.state == DETECTOR_SUSPECT && worst != DETECTOR_LEAK))
			worst = s.growth.state;
	}
	*end = s.growth.state;
	series_free(&s);
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

Test(detector, a_steady_leak_is_suspect_after_one_window_and_leak_after_three)
{
	struct series s;
	unsigned int t;

	cr_assert_eq(series_init(&s, &cfg), 0);
	for (t = 0; t <= 10; t++)
		cr_assert_eq(series_add(&s, &cfg, steady_leak(t)), t == 10, "t=%u", t);
	cr_assert_eq(s.growth.state, DETECTOR_SUSPECT);
	cr_assert_eq(s.last.first, 1000);
	cr_assert_eq(s.last.last, 1200);
	cr_assert_eq(s.last.rises, 10);
	for (; t <= 30; t++)
		series_add(&s, &cfg, steady_leak(t));
	cr_assert_eq(s.growth.state, DETECTOR_LEAK);
	series_free(&s);
}

Test(detector, a_leak_that_stops_is_resolved_after_a_quiet_window)
{
	enum detector_state end;

	cr_assert_eq(feed(leak_that_stops, 70, &end), DETECTOR_LEAK);
	cr_assert_eq(end, DETECTOR_RESOLVED);
}

Test(detector, a_bounded_lru_never_reaches_leak)
{
	enum detector_state end;

	cr_assert_neq(feed(bounded_lru, 200, &end), DETECTOR_LEAK);
	cr_assert_neq(end, DETECTOR_SUSPECT);
}

Test(detector, a_map_cleared_every_few_intervals_is_never_suspect)
{
	/* Why the fall guard: this window rises in 8 of 10 intervals and ends 400 up. */
	static const uint64_t counts[11] = { 0, 100, 200, 300, 400, 0, 100, 200, 300, 400, 400 };
	enum detector_state end;
	struct window_stats w;

	cr_assert_eq(feed(cleared_every_5, 200, &end), DETECTOR_QUIET);
	cr_assert_not(window_is_growing(&cfg, counts, 11, &w));
	cr_assert_geq(w.last - w.first, cfg.min_growth);
	cr_assert_geq(100 * w.rises, 80 * 10);
	cr_assert_geq(2 * w.largest_fall, w.last - w.first);
}

Test(detector, maps_rebuilt_per_request_a_large_stable_map_and_slow_growth_stay_quiet)
{
	enum detector_state end;

	cr_assert_eq(feed(rebuilt_per_request, 200, &end), DETECTOR_QUIET);
	cr_assert_eq(feed(large_stable, 200, &end), DETECTOR_QUIET);
	cr_assert_eq(feed(slow_growth, 200, &end), DETECTOR_QUIET);
}

Test(detector, growth_that_resumes_after_resolved_is_suspect_again)
{
	struct series s;
	unsigned int t;
	uint64_t count = 0;

	cr_assert_eq(series_init(&s, &cfg), 0);
	for (t = 0; t <= 10; t++)
		series_add(&s, &cfg, count += 20);
	cr_assert_eq(s.growth.state, DETECTOR_SUSPECT);
	for (t = 0; t < 10; t++)
		series_add(&s, &cfg, count);
	cr_assert_eq(s.growth.state, DETECTOR_RESOLVED);
	for (t = 0; t < 10; t++)
		series_add(&s, &cfg, count += 20);
	cr_assert_eq(s.growth.state, DETECTOR_SUSPECT);
	series_free(&s);
}

Test(detector, refuses_a_window_of_fewer_than_two_samples)
{
	struct detector_config tiny = cfg;
	struct series s;

	tiny.window = 1;
	cr_assert_eq(series_init(&s, &tiny), -EINVAL);
}
