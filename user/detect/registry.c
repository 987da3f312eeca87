// SPDX-License-Identifier: GPL-2.0
#include "registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize.h"
#include "hash.h"

#define INDEX_SIZE (2 * REGISTRY_MAX_MAPS) /* a power of two, at most half full */

static uint32_t addr_hash(uint64_t addr, uint32_t size)
{
	return hash_u64(addr >> 3) & (size - 1); /* headers are 8-byte aligned */
}

int registry_init(struct registry *r, const struct detector_config *cfg, const struct pclntab *pt,
		  uint64_t load_bias)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->pt = pt;
	r->load_bias = load_bias;
	r->index_size = INDEX_SIZE;
	r->maps = calloc(REGISTRY_MAX_MAPS, sizeof(*r->maps));
	r->index = malloc(INDEX_SIZE * sizeof(*r->index));
	r->sites = calloc(REGISTRY_MAX_SITES, sizeof(*r->sites));
	r->creations = calloc(REGISTRY_CREATIONS, sizeof(*r->creations));
	if (!r->maps || !r->index || !r->sites || !r->creations) {
		registry_free(r);
		return -ENOMEM;
	}
	memset(r->index, 0xff, INDEX_SIZE * sizeof(*r->index));
	return 0;
}

void registry_free(struct registry *r)
{
	uint32_t i;

	for (i = 0; r->maps && i < r->nmaps; i++) {
		detector_series_free(&r->maps[i].verdict.series);
		free(r->maps[i].nested.quick.addrs);
	}
	free(r->maps);
	free(r->index);
	free(r->sites);
	free(r->creations);
	memset(r, 0, sizeof(*r));
}

/* The index slot holding addr, or the empty slot where it would go. */
static uint32_t index_slot(const struct registry *r, uint64_t addr)
{
	uint32_t i = addr_hash(addr, r->index_size);

	while (r->index[i] >= 0 && r->maps[r->index[i]].id.addr != addr)
		i = (i + 1) & (r->index_size - 1);
	return i;
}

struct tracked_map *registry_find(const struct registry *r, uint64_t addr)
{
	int32_t at = r->index[index_slot(r, addr)];

	return at >= 0 ? &r->maps[at] : NULL;
}

static void index_rebuild(struct registry *r)
{
	uint32_t i;

	memset(r->index, 0xff, r->index_size * sizeof(*r->index));
	for (i = 0; i < r->nmaps; i++)
		r->index[index_slot(r, r->maps[i].id.addr)] = (int32_t)i;
}

void registry_sweep(struct registry *r, bool (*drop)(const struct tracked_map *m, void *ctx),
		    void *ctx)
{
	uint32_t i = 0, removed = 0;

	while (i < r->nmaps) {
		if (!drop(&r->maps[i], ctx)) {
			i++;
			continue;
		}
		detector_series_free(&r->maps[i].verdict.series);
		free(r->maps[i].nested.quick.addrs);
		r->maps[i] = r->maps[--r->nmaps];
		memset(&r->maps[r->nmaps], 0, sizeof(r->maps[0]));
		removed++;
	}
	if (removed)
		index_rebuild(r);
}

/* The site of a stack: its first frame outside the runtime, deduplicated. */
static int site_for_stack(struct registry *r, const struct gml_stack *stack)
{
	struct go_pos pos;
	int i;

	if (!stack || symbolize_site(r->pt, r->load_bias, stack, &pos))
		return REGISTRY_NO_SITE;
	for (i = 0; i < r->nsites; i++) {
		const struct go_pos *s = &r->sites[i].pos;

		/* Names and files point into the binary's pclntab: compare pointers. */
		if (s->line == pos.line && s->file == pos.file &&
		    go_pos_func(s) == go_pos_func(&pos))
			return i;
	}
	if (r->nsites == REGISTRY_MAX_SITES)
		return REGISTRY_NO_SITE;
	r->sites[r->nsites].pos = pos;
	return r->nsites++;
}

int registry_site_for_pc(struct registry *r, uint64_t return_pc)
{
	struct gml_stack stack = { .pcs = { return_pc } };

	return site_for_stack(r, &stack);
}

const struct registry_site *registry_site(const struct registry *r, int site)
{
	return site >= 0 && site < r->nsites ? &r->sites[site] : NULL;
}

/*
 * Creation sites wait here until their map grows, which may be long after
 * thousands of other maps were made: a set of 4 keeps a slow map's entry
 * from being overwritten by one unlucky neighbour.
 */
static struct registry_creation *creation_set(struct registry *r, uint64_t map)
{
	uint32_t set = addr_hash(map, REGISTRY_CREATIONS / REGISTRY_CREATION_WAYS);

	return &r->creations[set * REGISTRY_CREATION_WAYS];
}

static const struct registry_creation *creation_find(struct registry *r, uint64_t map)
{
	struct registry_creation *set = creation_set(r, map);
	int i;

	for (i = 0; i < REGISTRY_CREATION_WAYS; i++)
		if (set[i].seq && set[i].map == map)
			return &set[i];
	return NULL;
}

/* The way for map: its own, else an empty one, else the oldest. */
static struct registry_creation *creation_put(struct registry *r, uint64_t map)
{
	struct registry_creation *set = creation_set(r, map), *way = &set[0];
	int i;

	for (i = 0; i < REGISTRY_CREATION_WAYS; i++) {
		if (set[i].seq && set[i].map == map)
			return &set[i];
		if (set[i].seq < way->seq)
			way = &set[i];
	}
	way->seq = ++r->creation_seq;
	return way;
}

void registry_restart_verdict(struct tracked_map *m)
{
	struct detector_series series = m->verdict.series;

	detector_series_restart(&series);
	memset(&m->verdict, 0, sizeof(m->verdict));
	m->verdict.series = series;
	m->verdict.nkeys = -1;
	m->sample.peak = 0;
	m->sample.window_peak = 0;
	m->sample.same_size_grows = 0;
	m->member.in_window = false; /* what it gained so far was another map's */
	m->member.tenured = false;
}

/* Another map now lives at m's address: forgets all that was learned of the old one. */
static void map_replace(struct tracked_map *m, uint64_t type)
{
	uint64_t addr = m->id.addr;
	struct map_verdict verdict;

	registry_restart_verdict(m);
	verdict = m->verdict;
	free(m->nested.quick.addrs);
	memset(m, 0, sizeof(*m));
	m->id.addr = addr;
	m->id.type = type;
	m->verdict = verdict;
	m->origin.create_site = REGISTRY_NO_SITE;
	m->origin.fill_site = REGISTRY_NO_SITE;
	m->origin.inner_fill_site = REGISTRY_NO_SITE;
	m->sample.grown_b = -1;
	for (int i = 0; i < REGISTRY_OP_SLOTS; i++)
		m->ops.slots[i].site = REGISTRY_NO_SITE;
}

static struct tracked_map *map_add(struct registry *r, uint64_t addr, uint64_t type)
{
	uint32_t slot = index_slot(r, addr);
	struct tracked_map *m;

	if (r->nmaps == REGISTRY_MAX_MAPS) {
		r->maps_dropped++;
		return NULL;
	}
	m = &r->maps[r->nmaps];
	memset(m, 0, sizeof(*m));
	if (detector_series_init(&m->verdict.series, r->cfg))
		return NULL;
	m->id.addr = addr;
	map_replace(m, type);
	r->index[slot] = (int32_t)r->nmaps++;
	r->maps_seen++;
	return m;
}

struct tracked_map *registry_track(struct registry *r, uint64_t addr, uint64_t type)
{
	struct tracked_map *m = registry_find(r, addr);
	const struct registry_creation *c = creation_find(r, addr);

	if (!m)
		m = map_add(r, addr, type);
	if (m && c)
		m->origin.create_site = c->site;
	return m;
}

static int add_creation(struct registry *r, const struct gml_event *e,
			const struct gml_stack *stack)
{
	struct registry_creation *c = creation_put(r, e->map);
	struct tracked_map *m = registry_find(r, e->map);

	c->map = e->map;
	c->type = e->type;
	c->site = site_for_stack(r, stack);
	/* A map made where a tracked one lived: the old one was freed. */
	if (m) {
		map_replace(m, e->type ? e->type : m->id.type);
		m->origin.create_site = c->site;
	}
	return c->site;
}

static int add_growth(struct registry *r, const struct gml_event *e, const struct gml_stack *stack)
{
	struct tracked_map *m = registry_find(r, e->map);
	const struct registry_creation *c;
	int site;

	/*
	 * Its first group: 8 slots at most, like a classic map that never grows.
	 * watch counts these in BPF (GML_CFG_COUNT_SMALL_MAPS) into small_maps.
	 */
	if (e->grow_kind == GML_GROW_SWISS_TO_SMALL)
		return REGISTRY_NO_SITE;
	if (m && e->type && m->id.type != e->type)
		map_replace(m, e->type); /* another map now lives at this address */
	if (!m) {
		m = map_add(r, e->map, e->type);
		if (!m)
			return site_for_stack(r, stack);
		c = creation_find(r, e->map);
		if (c && (!c->type || c->type == e->type))
			m->origin.create_site = c->site;
	}
	site = site_for_stack(r, stack);
	if (site != REGISTRY_NO_SITE)
		m->origin.fill_site = site;
	if (stack) {
		m->origin.fill_stack = e->stack;
		m->origin.fill_probe = e->probe;
	}
	m->origin.on_stack = e->flags & GML_EVF_ON_STACK;
	m->sample.grows++;
	if (e->grow_kind == GML_GROW_CLASSIC_SAME_SIZE)
		m->sample.same_size_grows++;
	/* hashGrow reports the B it grows from: doubling adds one. */
	if (e->grow_kind == GML_GROW_CLASSIC_DOUBLE || e->grow_kind == GML_GROW_CLASSIC_SAME_SIZE)
		m->sample.grown_b = (int)e->b_before + (e->grow_kind == GML_GROW_CLASSIC_DOUBLE);
	if (e->count > m->sample.peak)
		m->sample.peak = e->count;
	m->sample.changed = true;
	return site;
}

int registry_add_event(struct registry *r, const struct gml_event *e, const struct gml_stack *stack)
{
	if (e->kind == GML_EV_CREATE)
		return add_creation(r, e, stack);
	if (e->kind == GML_EV_GROW)
		return add_growth(r, e, stack);
	return REGISTRY_NO_SITE;
}
