/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One sampling round every interval: reads the tracked maps' headers,
 * measures maps of maps through their inner maps, estimates bytes, sums
 * site groups, feeds the detector and reports each rule's state changes,
 * for maps and for groups. Never prints.
 */
#ifndef GOMAPLEAK_CENSUS_H
#define GOMAPLEAK_CENSUS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr_sample.h"
#include "detector.h"
#include "golayout.h"
#include "gotypes.h"
#include "groups.h"
#include "op_estimates.h"
#include "registry.h"
#include "sightings.h"

/* Inner-map headers read per outer map a round; past it, a systematic sample is read and scaled. */
#define CENSUS_NESTED_SAMPLE 65536
/* Inner-map headers read in the rounds between full walks. */
#define CENSUS_QUICK_SAMPLE 4096
/* Share of the time full walks may take, and the most rounds between two. */
#define CENSUS_WALK_SHARE     0.01
#define CENSUS_MAX_WALK_EVERY 30
/* Middle maps (of a map of maps of maps) a walk keeps before it gives up: 8 bytes each. */
#define CENSUS_NESTED_MAX (16u << 20)

/*
 * A map written in a burst is tracked from then on if it holds at least
 * this many entries, or (classic) has at least 2^CENSUS_DISCOVER_B buckets
 * (a bloated map): big enough to go long without a growth event. A smaller
 * one is tracked once seen written twice an interval apart with the same
 * seed, in two bursts or in one and read again since (sightings.h): a
 * request's map, made and dropped, never is.
 */
#define CENSUS_DISCOVER_ENTRIES 512
#define CENSUS_DISCOVER_B	9
/* Same-size grows are read from headers of classic maps of 2^this buckets or more. */
#define CENSUS_HEADER_CHURN_B 7

/* Map types looked up from the binary, cached by descriptor address. */
#define CENSUS_TYPE_CACHE 256

struct census_type {
	uint64_t type; /* descriptor address in the target; 0 empty */
	int err;
	struct go_map_type mt;
};

typedef void (*census_alert_fn)(void *ctx, const struct tracked_map *m, enum alert_kind kind,
				enum detector_state before);
typedef void (*census_group_alert_fn)(void *ctx, const struct site_group *g, enum alert_kind kind,
				      enum detector_state before);

struct census {
	pid_t pid;
	const struct golayout *layout;
	const struct gotypes *types;
	uint64_t load_bias;
	struct registry *reg;
	const struct detector_config *cfg;
	double interval; /* seconds between rounds */
	bool sample_keys;
	census_alert_fn on_alert;
	census_group_alert_fn on_group_alert;
	void *ctx;
	struct op_estimates *estimates; /* operations seen in bursts; NULL: none */
	struct site_groups groups;
	struct sightings sightings; /* small maps written in bursts: long-lived ones are tracked */
	/* scratch, grown as needed and reused every round */
	uint64_t *addrs;
	struct map_header *headers;
	bool *ok;
	size_t cap;
	struct addr_sample leaves; /* a nested walk's deepest maps, however many there are */
	uint64_t rounds;
	uint64_t discovered;	     /* maps tracked because bursts saw them written */
	struct detector_stats stats; /* alerts raised: reporters and exporters read them */
	struct census_type type_cache[CENSUS_TYPE_CACHE];
};

int census_init(struct census *c, pid_t pid, const struct golayout *layout,
		const struct gotypes *types, uint64_t load_bias, struct registry *reg);
void census_free(struct census *c);
/* One round, at now (monotonic seconds). Returns 0, or -ESRCH when the target is gone. */
int census_round(struct census *c, double now);
/* Whether type (an address in the target) is a map whose elements are maps. */
bool census_type_is_nested(const struct census *c, uint64_t type);
/* Bytes of storage one growth event allocated (estimated from its type and size). */
uint64_t census_growth_bytes(const struct census *c, const struct gml_event *e);
/* The map type of m, from the binary. */
int census_map_type(struct census *c, const struct tracked_map *m, struct go_map_type *mt);

#endif /* GOMAPLEAK_CENSUS_H */
