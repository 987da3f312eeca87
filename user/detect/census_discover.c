// SPDX-License-Identifier: GPL-2.0
/*
 * Discovery: maps the bursts saw written that no growth event found (a big
 * map far from its next growth, a bloated one) are read and, when worth it,
 * tracked from then on.
 */
#include "census_internal.h"

#include "sampler.h"

/*
 * Whether a map found written in a burst is worth tracking (CENSUS_DISCOVER_*).
 * A Swiss map's capacity costs a read of its directory: only for maps with
 * enough directory entries to hold that many slots (a table holds 1024).
 */
static bool worth_tracking(struct census *c, struct map_header *h)
{
	uint64_t slots = (uint64_t)CENSUS_DISCOVER_ENTRIES << 3;

	if (h->count >= CENSUS_DISCOVER_ENTRIES)
		return true;
	if (c->layout->impl == GO_MAP_CLASSIC)
		return h->b >= CENSUS_DISCOVER_B;
	if (h->dir_len < slots / 1024 || sampler_swiss_capacity(c->pid, h, &h->capacity))
		return false;
	return h->capacity >= slots;
}

static void track_discovered(struct census *c, const struct op_candidate *cand,
			     struct map_header *h, double now)
{
	struct tracked_map *m;

	if (registry_find(c->reg, cand->map))
		return;
	if (!worth_tracking(c, h) &&
	    !sightings_recur(&c->sightings, cand->map, h->seed, h->count, now, c->interval))
		return;
	m = registry_track(c->reg, cand->map, cand->type);
	if (!m)
		return;
	c->discovered++;
	if (cand->op == GML_OP_INSERT)
		m->origin.fill_site = cand->site;
	/* Written in the burst just gone: the header is the live map's, its size included. */
	if (c->layout->impl == GO_MAP_CLASSIC)
		m->sample.grown_b = h->b;
	else if (h->capacity || !sampler_swiss_capacity(c->pid, h, &h->capacity))
		m->sample.pinned_capacity = h->capacity;
	/* Its operations so far were counted before it was tracked: from its next window on. */
	if (c->estimates)
		op_estimates_close_window(c->estimates, &m->ops);
}

/* Maps the bursts saw written that are not tracked yet: read, and the big ones tracked. */
int census_discover_maps(struct census *c, double now)
{
	struct op_estimates *e = c->estimates;
	uint32_t i, n = e ? e->ncandidates : 0;
	int err;

	if (!n)
		return 0;
	err = census_read_headers(c, &e->candidates[0].map, sizeof(e->candidates[0]), n);
	e->ncandidates = 0;
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (c->ok[i])
			track_discovered(c, &e->candidates[i], &c->headers[i], now);
	return 0;
}
