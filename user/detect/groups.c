// SPDX-License-Identifier: GPL-2.0
#include "groups.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define INDEX_SIZE (2 * GROUPS_MAX) /* a power of two, at most half full */
/* Rounds a group may go without members before its slot is freed. */
#define EMPTY_ROUNDS_TO_FREE 2

int groups_init(struct site_groups *gs, const struct detector_config *cfg)
{
	memset(gs, 0, sizeof(*gs));
	gs->cfg = cfg;
	gs->groups = calloc(GROUPS_MAX, sizeof(*gs->groups));
	gs->index = malloc(INDEX_SIZE * sizeof(*gs->index));
	if (!gs->groups || !gs->index) {
		groups_free(gs);
		return -ENOMEM;
	}
	memset(gs->index, 0xff, INDEX_SIZE * sizeof(*gs->index));
	return 0;
}

void groups_free(struct site_groups *gs)
{
	uint32_t i;

	for (i = 0; gs->groups && i < gs->high; i++)
		free(gs->groups[i].counts);
	free(gs->groups);
	free(gs->index);
	memset(gs, 0, sizeof(*gs));
}

struct site_group *groups_get(const struct site_groups *gs, uint32_t id)
{
	if (!id || id > gs->high || !gs->groups[id - 1].used)
		return NULL;
	return &gs->groups[id - 1];
}

/* The key of the group m belongs in. */
static struct group_key groups_key_of(const struct tracked_map *m)
{
	struct group_key key = { .type = m->id.type, .site = m->origin.fill_site };

	if (key.site == REGISTRY_NO_SITE)
		key.solo = m->id.addr;
	return key;
}

static bool same_key(const struct group_key *a, const struct group_key *b)
{
	return a->type == b->type && a->site == b->site && a->solo == b->solo;
}

static uint32_t key_hash(const struct group_key *k)
{
	return hash_u64(k->type ^ ((uint64_t)(uint32_t)k->site << 40) ^ k->solo) & (INDEX_SIZE - 1);
}

/* The index slot holding key, or the empty slot where it would go. */
static uint32_t index_slot(const struct site_groups *gs, const struct group_key *key)
{
	uint32_t i = key_hash(key);

	while (gs->index[i] >= 0 && !same_key(&gs->groups[gs->index[i]].key, key))
		i = (i + 1) & (INDEX_SIZE - 1);
	return i;
}

static void index_rebuild(struct site_groups *gs)
{
	uint32_t i;

	memset(gs->index, 0xff, INDEX_SIZE * sizeof(*gs->index));
	for (i = 0; i < gs->high; i++)
		if (gs->groups[i].used)
			gs->index[index_slot(gs, &gs->groups[i].key)] = (int32_t)i;
}

static struct site_group *group_new(struct site_groups *gs, const struct group_key *key,
				    uint32_t slot)
{
	struct site_group *g = NULL;
	uint32_t i;

	for (i = 0; i < gs->high && !g; i++)
		if (!gs->groups[i].used)
			g = &gs->groups[i];
	if (!g && gs->high < GROUPS_MAX)
		g = &gs->groups[gs->high++];
	if (!g)
		return NULL;
	free(g->counts);
	memset(g, 0, sizeof(*g));
	g->counts = calloc(gs->cfg->window + 1, sizeof(*g->counts));
	if (!g->counts)
		return NULL;
	g->used = true;
	g->key = *key;
	g->create_site = REGISTRY_NO_SITE;
	g->nkeys = -1;
	gs->index[slot] = (int32_t)(g - gs->groups);
	gs->count++;
	return g;
}

static uint32_t group_id(const struct site_groups *gs, const struct site_group *g)
{
	return (uint32_t)(g - gs->groups) + 1;
}

void groups_begin_round(struct site_groups *gs)
{
	struct site_group *g;
	uint32_t i;

	for (i = 0; i < gs->high; i++) {
		g = &gs->groups[i];
		g->members = 0;
		g->entries = 0;
		g->bytes = 0;
		g->growth = 0;
		memset(g->biggest, 0, sizeof(g->biggest));
		memset(g->biggest_entries, 0, sizeof(g->biggest_entries));
	}
}

static void note_biggest(struct site_group *g, uint64_t addr, uint64_t entries)
{
	int i, j;

	for (i = 0; i < GROUPS_BIGGEST; i++) {
		if (g->biggest[i] && g->biggest_entries[i] >= entries)
			continue;
		for (j = GROUPS_BIGGEST - 1; j > i; j--) {
			g->biggest[j] = g->biggest[j - 1];
			g->biggest_entries[j] = g->biggest_entries[j - 1];
		}
		g->biggest[i] = addr;
		g->biggest_entries[i] = entries;
		return;
	}
}

/* m's group: the one it is in while its key holds, else the one for its key now. */
static struct site_group *group_for(struct site_groups *gs, struct tracked_map *m)
{
	struct group_key key = groups_key_of(m);
	struct site_group *g = groups_get(gs, m->member.group);
	uint32_t slot;

	if (g && same_key(&g->key, &key))
		return g;
	slot = index_slot(gs, &key);
	g = gs->index[slot] >= 0 ? &gs->groups[gs->index[slot]] : group_new(gs, &key, slot);
	/* A new member counts once it has been one for a whole window. */
	m->member.group = g ? group_id(gs, g) : 0;
	m->member.in_window = false;
	m->member.tenured = false;
	return g;
}

void groups_add_member(struct site_groups *gs, struct tracked_map *m)
{
	struct site_group *g = group_for(gs, m);
	uint64_t count = m->sample.hdr.count;

	if (!g)
		return;
	g->members++;
	g->entries += count;
	g->bytes += m->sample.bytes;
	if (g->create_site == REGISTRY_NO_SITE)
		g->create_site = m->origin.create_site;
	note_biggest(g, m->id.addr, count);
	if (m->member.in_window)
		g->growth += (int64_t)count - (int64_t)m->member.base;
}

/* The growth rule on a closed window; what changed goes to fn. */
static void close_window(struct site_groups *gs, struct site_group *g, double now,
			 groups_alert_fn fn, void *ctx)
{
	/* Groups are judged by growth alone: bloat and churn are rules of one map. */
	const struct detector_evidence ev = { 0 };
	struct detector_changes changes;
	enum alert_kind k;

	detector_window_grows(gs->cfg, g->counts, g->len, &g->last);
	g->last.seconds = now - g->start;
	g->windows++;
	g->rate = detector_window_rate(&g->last);
	detector_close_window(gs->cfg, &g->last, &ev, g->rules, &changes);
	for (k = 0; k < ALERT_KINDS; k++)
		if (changes.changed & (1u << k))
			fn(ctx, g, k, changes.before[k]);
}

static void free_group(struct site_groups *gs, struct site_group *g)
{
	g->used = false;
	gs->count--;
	index_rebuild(gs);
}

static void end_group_round(struct site_groups *gs, struct site_group *g, double now,
			    groups_alert_fn fn, void *ctx)
{
	g->empty_rounds = g->members ? 0 : g->empty_rounds + 1;
	if (g->empty_rounds >= EMPTY_ROUNDS_TO_FREE && !detector_alerting(g->rules)) {
		free_group(gs, g);
		return;
	}
	g->rebase = false;
	if (!g->len) {
		/* The first window starts with the members there are now. */
		g->counts[g->len++] = GROUPS_BIAS;
		g->start = now;
		g->rebase = true;
		return;
	}
	g->counts[g->len++] = (uint64_t)((int64_t)GROUPS_BIAS + g->growth);
	if (g->len <= gs->cfg->window)
		return;
	close_window(gs, g, now, fn, ctx);
	/* The next window starts here, with the members there are now. */
	g->counts[0] = GROUPS_BIAS;
	g->len = 1;
	g->start = now;
	g->rebase = true;
}

void groups_end_round(struct site_groups *gs, double now, groups_alert_fn fn, void *ctx)
{
	uint32_t i;

	for (i = 0; i < gs->high; i++)
		if (gs->groups[i].used)
			end_group_round(gs, &gs->groups[i], now, fn, ctx);
}

void groups_rebase_member(struct site_groups *gs, struct tracked_map *m)
{
	struct site_group *g = groups_get(gs, m->member.group);

	if (!g || !g->rebase)
		return;
	m->member.in_window = m->member.tenured;
	m->member.tenured = true;
	m->member.base = m->sample.hdr.count;
}
