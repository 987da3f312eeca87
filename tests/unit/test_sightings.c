// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>

#include "sightings.h"

static struct sightings s;

static void setup(void)
{
	cr_assert_eq(sightings_init(&s), 0);
}

static void teardown(void)
{
	sightings_free(&s);
}

TestSuite(sightings, .init = setup, .fini = teardown);

/* map seen with seed and count at `at`; sightings an interval (1 s) apart. */
static bool recur(uint64_t map, uint64_t seed, uint64_t count, double at)
{
	struct sighting seen = { .map = map, .seed = seed, .count = count, .at = at };

	return sightings_recur(&s, &seen, 1.0);
}

/* A due map read again, with seed and count at `at`. */
static bool read_again(uint64_t map, uint64_t seed, uint64_t count, double at)
{
	struct sighting read = { .map = map, .seed = seed, .count = count, .at = at };

	return sightings_read_again(&s, &read, 1.0);
}

Test(sightings, a_map_written_an_interval_apart_with_its_seed_recurs)
{
	cr_assert_not(recur(0xc000100000, 77, 40, 10.0));
	/* The same burst, or one too soon: its first sighting stays. */
	cr_assert_not(recur(0xc000100000, 77, 41, 10.0));
	cr_assert_not(recur(0xc000100000, 77, 42, 10.5));
	cr_assert(recur(0xc000100000, 77, 45, 11.0));
	cr_assert_eq(s.recurred, 1);
	/* Tracked from then: the slot is free again. */
	cr_assert_not(recur(0xc000100000, 77, 46, 12.0));
}

Test(sightings, a_request_map_at_a_reused_address_never_recurs)
{
	unsigned int i;

	/* Each request's map has a fresh seed, whatever its address. */
	for (i = 0; i < 100; i++)
		cr_assert_not(recur(0xc000200000, 1000 + i, i, i * 2.0));
	cr_assert_eq(s.recurred, 0);
}

Test(sightings, maps_at_other_addresses_do_not_count_for_each_other)
{
	cr_assert_not(recur(0xc000300000, 5, 1, 0));
	cr_assert_not(recur(0xc000300100, 5, 1, 2));
	cr_assert(recur(0xc000300000, 5, 2, 3) ||
		  /* a collision forgets the first: it only delays */
		  recur(0xc000300000, 5, 3, 5));
}

Test(sightings, a_map_read_again_unchanged_does_not_recur)
{
	/* A burst's tail read with the next burst's counts: the same map, the same count. */
	cr_assert_not(recur(0xc000400000, 9, 8, 0));
	cr_assert_not(recur(0xc000400000, 9, 8, 2));
	cr_assert_eq(s.recurred, 0);
}

Test(sightings, a_first_sighting_is_due_an_interval_later_once)
{
	const struct sighting *due;
	uint32_t n;

	cr_assert_not(recur(0xc000500000, 3, 10, 5.0));
	due = sightings_due(&s, 5.5, 1.0, &n);
	cr_assert_eq(n, 0);
	due = sightings_due(&s, 6.0, 1.0, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(due[0].map, 0xc000500000);
	cr_assert_eq(due[0].count, 10);
	/* Read again, grown: it lived an interval, written. */
	cr_assert(read_again(0xc000500000, 3, 12, 6.0));
	cr_assert_eq(s.recurred, 1);
	sightings_due(&s, 9.0, 1.0, &n);
	cr_assert_eq(n, 0);
}

Test(sightings, a_sighting_gone_from_its_slot_is_not_due)
{
	uint32_t n;

	/* Recurred in a burst before it was read again. */
	cr_assert_not(recur(0xc000600000, 3, 10, 5.0));
	cr_assert(recur(0xc000600000, 3, 11, 6.0));
	sightings_due(&s, 6.0, 1.0, &n);
	cr_assert_eq(n, 0);
	/* A request's map at a reused address: the newer sighting is the one due. */
	cr_assert_not(recur(0xc000700000, 1, 1, 7.0));
	cr_assert_not(recur(0xc000700000, 2, 1, 7.2));
	cr_assert_eq(sightings_due(&s, 9.0, 1.0, &n)[0].seed, 2);
	cr_assert_eq(n, 1);
}

Test(sightings, first_sightings_wait_in_a_bounded_queue)
{
	uint32_t i, n;

	for (i = 0; i < SIGHTINGS_DUE_MAX + 100; i++)
		recur(0xc010000000 + (uint64_t)i * 0x1000, 9, 1, 1.0);
	sightings_due(&s, 2.0, 1.0, &n);
	cr_assert_leq(n, SIGHTINGS_DUE_MAX);
	cr_assert_gt(n, SIGHTINGS_DUE_MAX / 2); /* some collided in the direct map */
	sightings_due(&s, 3.0, 1.0, &n);
	cr_assert_eq(n, 0);
}

Test(sightings, a_map_read_again_with_another_seed_is_another_map_and_forgotten)
{
	uint32_t n;

	cr_assert_not(recur(0xc000800000, 4, 6, 1.0));
	sightings_due(&s, 2.0, 1.0, &n);
	cr_assert_eq(n, 1);
	/* A request's map made at the address since: not seen written, not due later. */
	cr_assert_not(read_again(0xc000800000, 5, 9, 2.0));
	sightings_due(&s, 4.0, 1.0, &n);
	cr_assert_eq(n, 0);
	/* Unchanged: alive but not written; a burst's sighting may still find it. */
	cr_assert_not(read_again(0xc000800000, 4, 6, 2.0));
	cr_assert(recur(0xc000800000, 4, 7, 3.0));
}
