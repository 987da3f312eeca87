// SPDX-License-Identifier: GPL-2.0
/*
 * Maps of maps: walks down an outer map to its inner maps, marks the tracked
 * ones as its children, and totals their entries and bytes (a sample read
 * and scaled past CENSUS_NESTED_SAMPLE; quick rounds between full walks).
 */
#include "census_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "sampler.h"
#include "walker.h"

#define NESTED_MAX_DEPTH 3 /* map[a]map[b]map[c]T: the leaves are two walks down */

struct addr_vec {
	uint64_t *v;
	size_t n, cap;
};

static int addr_vec_push(struct addr_vec *a, uint64_t addr)
{
	uint64_t *grown;

	if (a->n == a->cap) {
		if (a->cap >= CENSUS_NESTED_MAX)
			return -E2BIG;
		grown = realloc(a->v, (a->cap ? 2 * a->cap : 1024) * sizeof(*a->v));
		if (!grown)
			return -ENOMEM;
		a->v = grown;
		a->cap = a->cap ? 2 * a->cap : 1024;
	}
	a->v[a->n++] = addr;
	return 0;
}

static void push_inner(void *data, uint64_t inner)
{
	addr_vec_push(data, inner);
}

/*
 * Whether outer is a stale copy of the map that owns child: a map that lived
 * on a goroutine stack leaves its old header behind when the stack moves, and
 * that copy still points at the same inner maps. The copy is the smaller.
 */
static bool is_shadow(struct census *c, const struct tracked_map *child,
		      const struct tracked_map *outer)
{
	const struct tracked_map *owner;

	if (!child->id.parent || child->id.parent == outer->id.addr)
		return false;
	owner = registry_find(c->reg, child->id.parent);
	return owner && !owner->id.shadow && owner->sample.hdr.count >= outer->sample.hdr.count;
}

/* An inner map the registry tracks (it grew) is the outer map's, not an alert of its own. */
static void mark_child(struct census *c, uint64_t addr, uint64_t type, struct tracked_map *outer)
{
	struct tracked_map *child;

	if (outer->id.shadow)
		return;
	child = registry_find(c->reg, addr);
	/*
	 * A slot read while the target rewrote it can hold any pointer:
	 * only a map of the element type is taken for an inner map.
	 */
	if (!child || (child->id.type && child->id.type - c->load_bias != type))
		return;
	if (is_shadow(c, child, outer)) {
		outer->id.shadow = true;
		return;
	}
	child->id.parent = outer->id.addr;
	if (child->origin.fill_site != REGISTRY_NO_SITE)
		outer->origin.inner_fill_site = child->origin.fill_site;
}

/* A walk down an outer map: its leaves are sampled, and marked as its children as they come. */
struct leaf_walk {
	struct census *c;
	struct tracked_map *outer;
	struct go_map_type leaf_mt;
	uint64_t leaf_type; /* the leaves' map type: known before they are walked */
};

static void take_leaf(void *data, uint64_t leaf)
{
	struct leaf_walk *w = data;

	mark_child(w->c, leaf, w->leaf_type, w->outer);
	addr_sample_push(&w->c->leaves, leaf);
}

/*
 * The maps below a map of type mt with header h: the deepest level goes to
 * the census's leaf sample (their type to w), the levels between to middles.
 */
static int collect_leaves(struct leaf_walk *w, const struct go_map_type *mt,
			  const struct map_header *h, int depth, struct addr_vec *middles)
{
	struct census *c = w->c;
	struct go_map_type inner_mt;
	struct map_header *hs = NULL;
	size_t i, first = middles->n, n;
	bool *oks = NULL;
	int err;

	err = gotypes_map(c->types, c->layout->impl, mt->elem, &inner_mt);
	if (err)
		return err;
	if (inner_mt.elem_kind != GO_KIND_MAP || depth + 1 >= NESTED_MAX_DEPTH) {
		w->leaf_mt = inner_mt;
		w->leaf_type = mt->elem;
		return walker_inner_maps(c->pid, c->layout->impl, mt, h, take_leaf, w);
	}
	err = walker_inner_maps(c->pid, c->layout->impl, mt, h, push_inner, middles);
	n = middles->n - first;
	if (!err) {
		/* Read into private copies: the scratch arrays are reused one level down. */
		hs = malloc(n * sizeof(*hs) + 1);
		oks = malloc(n * sizeof(*oks) + 1);
		err = hs && oks ? 0 : -ENOMEM;
	}
	if (!err && n) {
		err = sampler_read_headers(c->pid, c->layout, middles->v + first, n, hs, oks);
		err = err < 0 ? err : 0;
	}
	for (i = 0; !err && i < n; i++)
		if (oks[i])
			err = collect_leaves(w, &inner_mt, &hs[i], depth + 1, middles);
	free(hs);
	free(oks);
	return err;
}

/* Keeps every stride-th address read in this round as the sample for quick rounds. */
static void keep_quick_sample(struct census *c, struct tracked_map *m, size_t n)
{
	size_t stride = n / CENSUS_QUICK_SAMPLE + 1, i, k = 0;

	free(m->nested.quick.addrs);
	m->nested.quick.n = 0;
	m->nested.quick.addrs = malloc((n / stride + 1) * sizeof(*m->nested.quick.addrs));
	if (!m->nested.quick.addrs)
		return;
	for (i = 0; i < n; i += stride)
		m->nested.quick.addrs[k++] = c->addrs[i];
	m->nested.quick.n = (uint32_t)k;
}

/*
 * A round between full walks: the sample's mean entry count times the inner
 * maps there are now, assumed in proportion to the outer map's count.
 */
static int estimate_nested(struct census *c, struct tracked_map *m)
{
	uint64_t entries = 0, ok = 0, maps;
	uint32_t i;
	int err;

	err = census_read_headers(c, m->nested.quick.addrs, sizeof(*m->nested.quick.addrs),
				  m->nested.quick.n);
	if (err)
		return err;
	for (i = 0; i < m->nested.quick.n; i++) {
		if (c->ok[i]) {
			entries += c->headers[i].count;
			ok++;
		}
	}
	if (!ok || !m->nested.quick.walk_count)
		return -EAGAIN;
	maps = m->nested.quick.walk_maps * m->sample.hdr.count / m->nested.quick.walk_count;
	m->nested.totals.maps = maps;
	m->nested.totals.sampled = ok;
	m->nested.totals.entries = entries * maps / ok;
	m->nested.totals.bytes = m->nested.quick.walk_maps ? m->nested.quick.walk_bytes * maps /
								     m->nested.quick.walk_maps
							   : 0;
	return 0;
}

/*
 * Walks of a map with a million inner maps copy tens of megabytes: they are
 * spaced so that they take at most CENSUS_WALK_SHARE of the time.
 */
static void schedule_walks(struct census *c, struct tracked_map *m, double walk_seconds)
{
	double every = walk_seconds / (c->interval * CENSUS_WALK_SHARE);

	m->nested.quick.walk_every = every < 1			     ? 1
				     : every > CENSUS_MAX_WALK_EVERY ? CENSUS_MAX_WALK_EVERY
								     : (unsigned int)every + 1;
	m->nested.quick.rounds_left = m->nested.quick.walk_every - 1;
	m->nested.quick.walk_maps = m->nested.totals.maps;
	m->nested.quick.walk_count = m->sample.hdr.count;
	m->nested.quick.walk_bytes = m->nested.totals.bytes;
}

/* Inner maps of m, all levels: how many, their entries and bytes (scaled past the sample). */
int census_measure_nested(struct census *c, struct tracked_map *m, const struct go_map_type *mt)
{
	struct leaf_walk walk = { .c = c, .outer = m };
	struct addr_vec middles = { 0 };
	double started;
	uint64_t leaves;
	size_t i;
	int err;

	if (m->nested.quick.rounds_left && m->nested.quick.n) {
		m->nested.quick.rounds_left--;
		if (!estimate_nested(c, m))
			return 0;
	}
	started = monotonic_seconds();
	addr_sample_reset(&c->leaves);
	err = collect_leaves(&walk, mt, &m->sample.hdr, 0, &middles);
	for (i = 0; i < middles.n; i++) /* one middle level at most */
		mark_child(c, middles.v[i], mt->elem, m);
	free(middles.v);
	if (err && err != -EFAULT)
		return err;
	leaves = c->leaves.seen;
	memset(&m->nested.totals, 0, sizeof(m->nested.totals));
	m->nested.totals.maps = leaves;
	err = census_read_headers(c, c->leaves.v, sizeof(*c->leaves.v), c->leaves.n);
	for (i = 0; !err && i < c->leaves.n; i++) {
		struct map_header *h = &c->headers[i];

		if (!c->ok[i])
			continue;
		/* Small Swiss maps cost no read: their capacity is their one group. */
		if (c->layout->impl == GO_MAP_SWISS &&
		    sampler_swiss_capacity(c->pid, h, &h->capacity))
			continue;
		m->nested.totals.sampled++;
		m->nested.totals.entries += h->count;
		m->nested.totals.bytes += census_estimate_bytes(c->layout->impl, &walk.leaf_mt, h);
	}
	if (m->nested.totals.sampled && m->nested.totals.sampled < leaves) {
		m->nested.totals.entries =
			m->nested.totals.entries * leaves / m->nested.totals.sampled;
		m->nested.totals.bytes = m->nested.totals.bytes * leaves / m->nested.totals.sampled;
	}
	if (!err) {
		keep_quick_sample(c, m, c->leaves.n);
		schedule_walks(c, m, monotonic_seconds() - started);
	}
	return err;
}
