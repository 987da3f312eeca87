// SPDX-License-Identifier: GPL-2.0
#include "sightings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

int sightings_init(struct sightings *s)
{
	memset(s, 0, sizeof(*s));
	s->slots = calloc(SIGHTINGS_SLOTS, sizeof(*s->slots));
	s->waiting = calloc(SIGHTINGS_DUE_MAX, sizeof(*s->waiting));
	s->due = calloc(SIGHTINGS_DUE_MAX, sizeof(*s->due));
	if (!s->slots || !s->waiting || !s->due) {
		sightings_free(s);
		return -ENOMEM;
	}
	return 0;
}

void sightings_free(struct sightings *s)
{
	free(s->slots);
	free(s->waiting);
	free(s->due);
	memset(s, 0, sizeof(*s));
}

static struct sighting *slot_of(struct sightings *s, uint64_t map)
{
	return &s->slots[hash_u64(map) & (SIGHTINGS_SLOTS - 1)];
}

/* Whether seen is the map in its slot, alive min_gap later, its count changed. */
static bool lived_on(struct sightings *s, struct sighting *slot, const struct sighting *seen,
		     double min_gap)
{
	if (seen->at - slot->at < min_gap || seen->count == slot->count)
		return false;
	/* Tracked from now on: the slot is free for others. */
	memset(slot, 0, sizeof(*slot));
	s->recurred++;
	return true;
}

bool sightings_recur(struct sightings *s, const struct sighting *seen, double min_gap)
{
	struct sighting *slot = slot_of(s, seen->map);

	if (slot->map == seen->map && slot->seed == seen->seed)
		return lived_on(s, slot, seen, min_gap);
	*slot = *seen;
	if (s->nwaiting < SIGHTINGS_DUE_MAX)
		s->waiting[s->nwaiting++] = *seen;
	return false;
}

bool sightings_read_again(struct sightings *s, const struct sighting *read, double min_gap)
{
	struct sighting *slot = slot_of(s, read->map);

	return slot->map == read->map && slot->seed == read->seed &&
	       lived_on(s, slot, read, min_gap);
}

const struct sighting *sightings_due(struct sightings *s, double now, double min_gap, uint32_t *n)
{
	uint32_t i, ndue = 0;

	for (i = 0; i < s->nwaiting && now - s->waiting[i].at >= min_gap; i++) {
		const struct sighting *w = &s->waiting[i], *slot = slot_of(s, w->map);

		/* Gone from its slot: it recurred in a burst, or another map took the slot. */
		if (slot->map == w->map && slot->seed == w->seed && slot->at == w->at)
			s->due[ndue++] = *w;
	}
	s->nwaiting -= i;
	memmove(s->waiting, s->waiting + i, s->nwaiting * sizeof(*s->waiting));
	*n = ndue;
	return s->due;
}
