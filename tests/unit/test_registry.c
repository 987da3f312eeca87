// SPDX-License-Identifier: GPL-2.0
/* The registry: which events start tracking a map, identity by address and type, bounds. */
#include <criterion/criterion.h>

#include "registry.h"

static struct detector_config cfg;
static struct registry reg;

static void setup(void)
{
	detector_config_default(&cfg);
	cfg.window = 4;
	cr_assert_eq(registry_init(&reg, &cfg, NULL, 0), 0);
}

static void teardown(void)
{
	registry_free(&reg);
}

static void grow(uint64_t map, uint64_t type, unsigned int kind, uint64_t count)
{
	struct gml_event e = {
		.kind = GML_EV_GROW, .map = map, .type = type, .grow_kind = kind, .count = count
	};

	registry_add_event(&reg, &e, NULL);
}

TestSuite(registry, .init = setup, .fini = teardown);

Test(registry, a_growth_tracks_the_map_and_its_peak)
{
	struct tracked_map *m;

	grow(0xc000010000, 0x4a0000, GML_GROW_CLASSIC_DOUBLE, 9);
	grow(0xc000010000, 0x4a0000, GML_GROW_CLASSIC_DOUBLE, 14);
	m = registry_find(&reg, 0xc000010000);
	cr_assert_not_null(m);
	cr_assert_eq(m->sample.grows, 2);
	cr_assert_eq(m->sample.peak, 14);
	cr_assert_eq(m->id.type, 0x4a0000);
	cr_assert_eq(m->origin.create_site, REGISTRY_NO_SITE);
	cr_assert_eq(reg.nmaps, 1);
	cr_assert_eq(reg.maps_seen, 1);
}

Test(registry, small_swiss_maps_are_not_tracked)
{
	grow(0xc000010000, 0x4a0000, GML_GROW_SWISS_TO_SMALL, 0);
	cr_assert_null(registry_find(&reg, 0xc000010000));
	cr_assert_eq(reg.nmaps, 0);
	cr_assert_eq(reg.maps_seen, 0);
}

Test(registry, another_type_at_the_address_is_another_map)
{
	struct tracked_map *m;

	grow(0xc000010000, 0x4a0000, GML_GROW_CLASSIC_DOUBLE, 800);
	grow(0xc000010000, 0x4b0000, GML_GROW_CLASSIC_DOUBLE, 9);
	m = registry_find(&reg, 0xc000010000);
	cr_assert_eq(m->id.type, 0x4b0000);
	cr_assert_eq(m->sample.grows, 1);
	cr_assert_eq(m->sample.peak, 9);
	cr_assert_eq(reg.nmaps, 1);
}

Test(registry, same_size_grows_are_counted_for_the_churn_rule)
{
	grow(0xc000010000, 0x4a0000, GML_GROW_CLASSIC_SAME_SIZE, 6000);
	grow(0xc000010000, 0x4a0000, GML_GROW_CLASSIC_SAME_SIZE, 6000);
	cr_assert_eq(registry_find(&reg, 0xc000010000)->sample.same_size_grows, 2);
}

Test(registry, another_map_at_the_address_brings_no_same_size_grows)
{
	struct tracked_map *m;

	grow(0xc000010000, 0x4a0000, GML_GROW_CLASSIC_SAME_SIZE, 6000);
	m = registry_find(&reg, 0xc000010000);
	registry_restart_verdict(m);
	cr_assert_eq(m->sample.same_size_grows, 0);
}

Test(registry, a_map_is_on_a_goroutine_stack_while_its_growth_events_say_so)
{
	struct gml_event e = { .kind = GML_EV_GROW, .map = 0xc000040000, .type = 0x4a0000 };

	e.grow_kind = GML_GROW_CLASSIC_DOUBLE;
	e.flags = GML_EVF_ON_STACK;
	registry_add_event(&reg, &e, NULL);
	cr_assert(registry_find(&reg, e.map)->origin.on_stack);
	e.flags = 0; /* the stack's memory now holds a heap map */
	registry_add_event(&reg, &e, NULL);
	cr_assert_not(registry_find(&reg, e.map)->origin.on_stack);
}

Test(registry, the_b_a_classic_map_grew_to_is_known_from_its_growth_events)
{
	struct gml_event e = { .kind = GML_EV_GROW, .map = 0xc000020000, .type = 0x4a0000 };

	e.grow_kind = GML_GROW_CLASSIC_DOUBLE;
	e.b_before = 9; /* hashGrow reports the B it grows from */
	registry_add_event(&reg, &e, NULL);
	cr_assert_eq(registry_find(&reg, e.map)->sample.grown_b, 10);
	e.grow_kind = GML_GROW_CLASSIC_SAME_SIZE;
	e.b_before = 10;
	registry_add_event(&reg, &e, NULL);
	cr_assert_eq(registry_find(&reg, e.map)->sample.grown_b, 10);
	cr_assert_eq(registry_track(&reg, 0xc000030000, 0x4a0000)->sample.grown_b, -1,
		     "a map seen made, never grown: unknown");
}

static bool drop_odd(const struct tracked_map *m, void *ctx)
{
	(void)ctx;
	return (m->id.addr >> 4) & 1;
}

Test(registry, a_sweep_keeps_the_rest_findable)
{
	uint64_t a;

	for (a = 0; a < 1000; a++)
		grow(0xc000000000 + (a << 4), 0x4a0000, GML_GROW_CLASSIC_DOUBLE, 9);
	registry_sweep(&reg, drop_odd, NULL);
	cr_assert_eq(reg.nmaps, 500);
	for (a = 0; a < 1000; a++)
		cr_assert_eq(registry_find(&reg, 0xc000000000 + (a << 4)) != NULL, !(a & 1),
			     "a=%lu", (unsigned long)a);
}

Test(registry, it_is_bounded)
{
	uint64_t a;

	for (a = 0; a < REGISTRY_MAX_MAPS + 10; a++)
		grow(0xc000000000 + (a << 4), 0x4a0000, GML_GROW_CLASSIC_DOUBLE, 9);
	cr_assert_eq(reg.nmaps, REGISTRY_MAX_MAPS);
	cr_assert_eq(reg.maps_dropped, 10);
}

Test(registry, a_map_made_where_a_tracked_one_lived_starts_over)
{
	struct gml_event make = { .kind = GML_EV_CREATE, .map = 0xc000010000, .type = 0x4a0000 };
	struct tracked_map *m;

	grow(0xc000010000, 0x4a0000, GML_GROW_CLASSIC_DOUBLE, 5000);
	registry_add_event(&reg, &make, NULL);
	m = registry_find(&reg, 0xc000010000);
	cr_assert_eq(m->sample.peak, 0);
	cr_assert_eq(m->sample.grows, 0);
	cr_assert_not_null(registry_track(&reg, 0xc000020000, 0x4c0000));
	cr_assert_eq(reg.nmaps, 2);
}
