// SPDX-License-Identifier: GPL-2.0
/*
 * Discovery: maps the bursts saw written that no growth event found (a big
 * map far from its next growth, a bloated one, a small one that lives on)
 * are read and, when worth it, tracked from then on; small ones are read
 * again an interval later to tell the long-lived from a request's.
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

/*
 * Two sightings of a small map are an interval apart, less the rounds'
 * jitter: a round late or early must not make a map wait one more.
 */
static double sighting_gap(const struct census *c)
{
	return c->interval * 0.9;
}

/*
 * Whether a map seen written in a burst (in_burst), or read again since, is
 * to be tracked: a big one at once, a small one if it lived an interval
 * with its count changing. seen: what it is tracked as; h: its header.
 */
static bool worth_discovering(struct census *c, struct sighting *seen, struct map_header *h,
			      bool in_burst)
{
	if (registry_find(c->reg, seen->map))
		return false;
	seen->seed = h->seed;
	seen->count = h->count;
	if (worth_tracking(c, h))
		return true;
	if (in_burst)
		return sightings_recur(&c->sightings, seen, sighting_gap(c));
	return sightings_read_again(&c->sightings, seen, sighting_gap(c));
}

static void track_discovered(struct census *c, const struct sighting *seen, struct map_header *h)
{
	struct tracked_map *m = registry_track(c->reg, seen->map, seen->type);

	if (!m)
		return;
	c->discovered++;
	if (seen->op == GML_OP_INSERT)
		m->origin.fill_site = seen->site;
	/* Its header was read this round: the live map's, its size included. */
	if (c->layout->impl == GO_MAP_CLASSIC)
		m->sample.grown_b = h->b;
	else if (h->capacity || !sampler_swiss_capacity(c->pid, h, &h->capacity))
		m->sample.pinned_capacity = h->capacity;
	/* Its operations so far were counted before it was tracked: from its next window on. */
	if (c->estimates)
		op_estimates_close_window(c->estimates, &m->ops);
}

/* Small maps first seen an interval ago: read again, and those still alive and written tracked. */
static int read_sightings_again(struct census *c, double now)
{
	const struct sighting *due;
	uint32_t i, n;
	int err;

	due = sightings_due(&c->sightings, now, sighting_gap(c), &n);
	if (!n)
		return 0;
	err = census_read_headers(c, &due[0].map, sizeof(due[0]), n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		struct sighting seen = due[i];

		seen.at = now;
		if (c->ok[i] && worth_discovering(c, &seen, &c->headers[i], false))
			track_discovered(c, &seen, &c->headers[i]);
	}
	return 0;
}

/* Maps the bursts saw written that are not tracked yet: read, and the big ones tracked. */
static int read_candidates(struct census *c, double now)
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
	for (i = 0; i < n; i++) {
		const struct op_candidate *cand = &e->candidates[i];
		struct sighting seen = { .map = cand->map,
					 .at = now,
					 .type = cand->type,
					 .site = cand->site,
					 .op = cand->op };

		if (c->ok[i] && worth_discovering(c, &seen, &c->headers[i], true))
			track_discovered(c, &seen, &c->headers[i]);
	}
	return 0;
}

int census_discover_maps(struct census *c, double now)
{
	int err = read_sightings_again(c, now);

	return err ? err : read_candidates(c, now);
}
