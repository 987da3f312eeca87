// SPDX-License-Identifier: GPL-2.0
#include "op_estimates.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int op_estimates_init(struct op_estimates *e)
{
	size_t slots = (size_t)REGISTRY_MAX_SITES * REGISTRY_OP_KINDS;

	memset(e, 0, sizeof(*e));
	e->seen = calloc(slots, sizeof(*e->seen));
	e->spread = calloc(slots, sizeof(*e->spread));
	e->touched = calloc(slots, sizeof(*e->touched));
	e->candidates = calloc(OP_ESTIMATES_CANDIDATES, sizeof(*e->candidates));
	if (!e->seen || !e->spread || !e->touched || !e->candidates) {
		op_estimates_free(e);
		return -ENOMEM;
	}
	return 0;
}

void op_estimates_free(struct op_estimates *e)
{
	free(e->seen);
	free(e->spread);
	free(e->touched);
	free(e->candidates);
	memset(e, 0, sizeof(*e));
}

void op_estimates_add_exposure(struct op_estimates *e, unsigned int op_mask, double seconds)
{
	uint32_t op;

	for (op = 0; op < REGISTRY_OP_KINDS; op++) {
		if (!(op_mask & (1u << op)))
			continue;
		e->exposure[op] += seconds;
		e->bursts[op].last = seconds;
		e->bursts[op].open = true;
	}
}

void op_estimates_end_burst(struct op_estimates *e)
{
	uint32_t i, op;

	for (op = 0; op < REGISTRY_OP_KINDS; op++) {
		struct op_burst_totals *b = &e->bursts[op];

		if (!b->open)
			continue;
		b->bursts++;
		b->exposure_sq += b->last * b->last;
		b->open = false;
	}

	for (i = 0; i < e->ntouched; i++) {
		uint32_t slot = e->touched[i];
		struct op_site_spread *s = &e->spread[slot];
		double count = (double)s->now;

		s->sq += count * count;
		s->cross += count * e->bursts[slot % REGISTRY_OP_KINDS].last;
		s->now = 0;
	}
	e->ntouched = 0;
}

/* The site's count in the burst being added, for the spread between bursts. */
static void add_to_burst(struct op_estimates *e, size_t slot, uint64_t count)
{
	struct op_site_spread *s = &e->spread[slot];

	if (!s->now && count)
		e->touched[e->ntouched++] = (uint32_t)slot;
	s->now += count;
}

/* m's slot for (site, op): the existing one, an empty one, or the least busy to take over. */
static struct map_op_slot *slot_for(struct map_ops *ops, int site, uint32_t op)
{
	struct map_op_slot *least = &ops->slots[0];
	int i;

	for (i = 0; i < REGISTRY_OP_SLOTS; i++) {
		struct map_op_slot *s = &ops->slots[i];

		if (s->site == site && s->op == op)
			return s;
		if (s->site == REGISTRY_NO_SITE) {
			memset(s, 0, sizeof(*s));
			s->site = site;
			s->op = op;
			s->rate = -1;
			return s;
		}
		if (s->seen < least->seen)
			least = s;
	}
	memset(least, 0, sizeof(*least));
	least->site = site;
	least->op = op;
	least->rate = -1;
	return least;
}

static void add_candidate(struct op_estimates *e, uint64_t map, uint64_t type, int site,
			  uint32_t op)
{
	if (e->ncandidates == OP_ESTIMATES_CANDIDATES) {
		e->candidates_dropped++;
		return;
	}
	e->candidates[e->ncandidates++] =
		(struct op_candidate){ .map = map, .type = type, .site = site, .op = op };
}

void op_estimates_add(struct op_estimates *e, struct registry *r, uint64_t map, uint64_t type,
		      int site, uint32_t op, uint64_t count)
{
	struct tracked_map *m = registry_find(r, map);

	if (op >= REGISTRY_OP_KINDS)
		return;
	if (site >= 0 && site < REGISTRY_MAX_SITES) {
		size_t slot = (size_t)site * REGISTRY_OP_KINDS + op;

		e->seen[slot] += count;
		add_to_burst(e, slot, count);
	} else
		e->unsited[op] += count;
	if (!m) {
		/* A map filled or emptied: it may be big, bloated, and never grow while watched. */
		if (op == GML_OP_INSERT || op == GML_OP_DELETE)
			add_candidate(e, map, type, site, op);
		return;
	}
	if (site != REGISTRY_NO_SITE) {
		slot_for(&m->ops, site, op)->seen += count;
		if (op == GML_OP_INSERT && m->origin.fill_site == REGISTRY_NO_SITE)
			m->origin.fill_site = site;
	}
}

/* About two standard deviations of a count seen n times (Poisson), a second of exposure. */
static double count_error(uint64_t n, double exposure)
{
	return 2 * sqrt((double)(n ? n : 1)) / exposure;
}

/*
 * About two standard deviations of a rate from the spread of its bursts'
 * counts c_i around rate * t_i (the ratio estimator's variance, bursts as
 * clusters): 0 with fewer than two bursts ended.
 */
static double spread_error(const struct op_burst_totals *b, const struct op_site_spread *s,
			   double rate, double exposure)
{
	double n = (double)b->bursts, residual;

	if (b->bursts < 2)
		return 0;
	residual = s->sq - 2 * rate * s->cross + rate * rate * b->exposure_sq;
	if (residual <= 0)
		return 0;
	return 2 * sqrt(n / (n - 1) * residual) / exposure;
}

bool op_estimates_site_rate(const struct op_estimates *e, int site, uint32_t op, double *rate,
			    double *error)
{
	size_t slot = (size_t)site * REGISTRY_OP_KINDS + op;
	double spread;

	if (site < 0 || site >= REGISTRY_MAX_SITES || op >= REGISTRY_OP_KINDS ||
	    e->exposure[op] <= 0)
		return false;
	*rate = (double)e->seen[slot] / e->exposure[op];
	if (e->bursts[op].bursts < OP_ESTIMATES_MIN_BURSTS) {
		*error = -1;
		return true;
	}
	*error = count_error(e->seen[slot], e->exposure[op]);
	spread = spread_error(&e->bursts[op], &e->spread[slot], *rate, e->exposure[op]);
	if (spread > *error)
		*error = spread;
	return true;
}

static int by_rate_desc(const void *a, const void *b)
{
	const struct op_site_rate *x = a, *y = b;

	return x->rate < y->rate ? 1 : x->rate > y->rate ? -1 : 0;
}

struct op_site_rate *op_estimates_by_site(const struct op_estimates *e, int nsites, size_t *n)
{
	struct op_site_rate *rows;
	double rate, error;
	uint32_t op;
	int site;

	*n = 0;
	if (nsites <= 0)
		return NULL;
	rows = calloc((size_t)nsites * REGISTRY_OP_KINDS, sizeof(*rows));
	if (!rows)
		return NULL;
	for (site = 0; site < nsites; site++)
		for (op = GML_OP_INSERT; op < REGISTRY_OP_KINDS; op++)
			if (op_estimates_site_rate(e, site, op, &rate, &error) && rate > 0)
				rows[(*n)++] = (struct op_site_rate){ site, op, rate, error,
								      e->bursts[op].bursts };
	if (!*n) {
		free(rows);
		return NULL;
	}
	qsort(rows, *n, sizeof(*rows), by_rate_desc);
	return rows;
}

void op_estimates_close_window(const struct op_estimates *e, struct map_ops *ops)
{
	int i;

	for (i = 0; i < REGISTRY_OP_SLOTS; i++) {
		struct map_op_slot *s = &ops->slots[i];
		double exposure;
		uint64_t n;

		if (s->site == REGISTRY_NO_SITE)
			continue;
		exposure = e->exposure[s->op] - ops->exposure_then[s->op];
		n = s->seen - s->seen_then;
		if (exposure > 0) {
			s->rate = (double)n / exposure;
			s->error = count_error(n, exposure);
		}
		s->seen_then = s->seen;
	}
	memcpy(ops->exposure_then, e->exposure, sizeof(ops->exposure_then));
}

const struct map_op_slot *op_estimates_busiest(const struct map_ops *ops, uint32_t op)
{
	const struct map_op_slot *best = NULL;
	int i;

	for (i = 0; i < REGISTRY_OP_SLOTS; i++) {
		const struct map_op_slot *s = &ops->slots[i];

		if (s->site != REGISTRY_NO_SITE && s->op == op && s->rate >= 0 &&
		    (!best || s->rate > best->rate))
			best = s;
	}
	return best;
}
