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
 *
 * The second sighting need not wait for a burst: a map first seen is due
 * (sightings_due()) to be read again an interval later, and that read
 * counts as a sighting. Bursts are rare when the budget is small against a
 * busy program's inserts; a map written in one is then found from that one.
 * Direct-mapped: a collision forgets the older sighting, which only delays.
 */
#ifndef GOMAPLEAK_SIGHTINGS_H
#define GOMAPLEAK_SIGHTINGS_H

#include <stdbool.h>
#include <stdint.h>

#define SIGHTINGS_SLOTS 16384 /* a power of two */
/* First sightings waiting to be read again; past it, the newest wait for a burst. */
#define SIGHTINGS_DUE_MAX 4096

struct sighting {
	uint64_t map, seed, count;
	double at; /* seconds, the caller's clock */
	/* what the caller tracks the map as, if it recurs */
	uint64_t type;
	int site;
	uint32_t op;
};

struct sightings {
	struct sighting *slots;
	struct sighting *waiting; /* first sightings, oldest first */
	uint32_t nwaiting;
	struct sighting *due; /* sightings_due()'s answer */
	uint64_t recurred;    /* maps found long-lived */
};

int sightings_init(struct sightings *s);
void sightings_free(struct sightings *s);
/*
 * A map seen (its address, seed and count at seen->at): true if it was seen
 * with that seed and another count at least min_gap seconds before; else it
 * is remembered (unless it already is, with that seed: its first sighting
 * counts) and due to be read again min_gap later.
 */
bool sightings_recur(struct sightings *s, const struct sighting *seen, double min_gap);
/*
 * First sightings at least min_gap before now, still remembered: the caller
 * reads each map again and passes what it read to sightings_read_again().
 * Valid until the next call; *n is how many.
 */
const struct sighting *sightings_due(struct sightings *s, double now, double min_gap, uint32_t *n);
/*
 * A due map read again: true if it is the map first seen (its seed) and its
 * count changed. Never remembered: another seed is another map, made since
 * at that address and not seen written (a request's, most likely).
 */
bool sightings_read_again(struct sightings *s, const struct sighting *read, double min_gap);

#endif /* GOMAPLEAK_SIGHTINGS_H */
