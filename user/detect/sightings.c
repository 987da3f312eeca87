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
	return s->slots ? 0 : -ENOMEM;
}

void sightings_free(struct sightings *s)
{
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

bool sightings_recur(struct sightings *s, uint64_t map, uint64_t seed, uint64_t count, double now,
		     double min_gap)
{
	struct sighting *slot = &s->slots[hash_u64(map) & (SIGHTINGS_SLOTS - 1)];

	if (slot->map == map && slot->seed == seed) {
		if (now - slot->at < min_gap || count == slot->count)
			return false;
		/* Tracked from now on: the slot is free for others. */
		memset(slot, 0, sizeof(*slot));
		s->recurred++;
		return true;
	}
	*slot = (struct sighting){ .map = map, .seed = seed, .count = count, .at = now };
	return false;
}
