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

Test(sightings, a_map_written_an_interval_apart_with_its_seed_recurs)
{
	cr_assert_not(sightings_recur(&s, 0xc000100000, 77, 40, 10.0, 1.0));
	/* The same burst, or one too soon: its first sighting stays. */
	cr_assert_not(sightings_recur(&s, 0xc000100000, 77, 41, 10.0, 1.0));
	cr_assert_not(sightings_recur(&s, 0xc000100000, 77, 42, 10.5, 1.0));
	cr_assert(sightings_recur(&s, 0xc000100000, 77, 45, 11.0, 1.0));
	cr_assert_eq(s.recurred, 1);
	/* Tracked from then: the slot is free again. */
	cr_assert_not(sightings_recur(&s, 0xc000100000, 77, 46, 12.0, 1.0));
}

Test(sightings, a_request_map_at_a_reused_address_never_recurs)
{
	unsigned int i;

	/* Each request's map has a fresh seed, whatever its address. */
	for (i = 0; i < 100; i++)
		cr_assert_not(sightings_recur(&s, 0xc000200000, 1000 + i, i, i * 2.0, 1.0));
	cr_assert_eq(s.recurred, 0);
}

Test(sightings, maps_at_other_addresses_do_not_count_for_each_other)
{
	cr_assert_not(sightings_recur(&s, 0xc000300000, 5, 1, 0, 1.0));
	cr_assert_not(sightings_recur(&s, 0xc000300100, 5, 1, 2, 1.0));
	cr_assert(sightings_recur(&s, 0xc000300000, 5, 2, 3, 1.0) ||
		  /* a collision forgets the first: it only delays */
		  sightings_recur(&s, 0xc000300000, 5, 3, 5, 1.0));
}

Test(sightings, a_map_read_again_unchanged_does_not_recur)
{
	/* A burst's tail read with the next burst's counts: the same map, the same count. */
	cr_assert_not(sightings_recur(&s, 0xc000400000, 9, 8, 0, 1.0));
	cr_assert_not(sightings_recur(&s, 0xc000400000, 9, 8, 2, 1.0));
	cr_assert_eq(s.recurred, 0);
}
