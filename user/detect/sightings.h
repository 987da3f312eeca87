/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps seen written in the governor's bursts, by address and hash seed: a
 * map written in two bursts at least an interval apart, with the same seed,
 * lived that long (a map made and dropped per request has a fresh random
 * seed at each reuse of its address; a cleared map gets a new one too), if
 * its count changed in between: a burst's link closes after its counters
 * are read, and what its probes counted meanwhile is read with the next
 * burst's, so a map filled just then looks written twice, unchanged. A
 * long-lived map is tracked however small it is: its growth may be too rare,
 * or the growth probes bursted, for a growth event to find it.
 * Direct-mapped: a collision forgets the older sighting, which only delays.
 */
#ifndef GOMAPLEAK_SIGHTINGS_H
#define GOMAPLEAK_SIGHTINGS_H

#include <stdbool.h>
#include <stdint.h>

#define SIGHTINGS_SLOTS 16384 /* a power of two */

struct sighting {
	uint64_t map, seed, count;
	double at; /* seconds, the caller's clock */
};

struct sightings {
	struct sighting *slots;
	uint64_t recurred; /* maps found long-lived */
};

int sightings_init(struct sightings *s);
void sightings_free(struct sightings *s);
/*
 * map, whose seed is seed and count count, was seen written at now: true if
 * it was seen with that seed and another count at least min_gap seconds
 * before; else it is remembered (unless it already is, with that seed: its
 * first sighting counts).
 */
bool sightings_recur(struct sightings *s, uint64_t map, uint64_t seed, uint64_t count, double now,
		     double min_gap);

#endif /* GOMAPLEAK_SIGHTINGS_H */
