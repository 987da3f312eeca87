/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The maps gomapleak follows, learned from growth events, and the sites
 * (source positions) that created and filled them. Bounded: maps of at most
 * 8 entries never grow, so they are never tracked one by one (an outer map's
 * small inner maps are counted by walking it); creation sites are kept in a
 * fixed-size cache by address until the map grows.
 */
#ifndef GOMAPLEAK_REGISTRY_H
#define GOMAPLEAK_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "detector.h"
#include "gomapleak.h"
#include "pclntab.h"
#include "sampler.h"

#define REGISTRY_MAX_MAPS      65536
#define REGISTRY_MAX_SITES     4096
#define REGISTRY_CREATIONS     65536 /* creation sites cached by address, 4-way set-associative */
#define REGISTRY_CREATION_WAYS 4
#define REGISTRY_NO_SITE       (-1)
#define REGISTRY_MAX_KEYS      5
#define REGISTRY_KEY_LEN       40

/* A source position maps were made or filled at. */
struct registry_site {
	struct go_pos pos;
};

/* Totals over the inner maps of one outer map (all levels below it). */
struct map_nested_totals {
	uint64_t maps;	  /* inner maps found */
	uint64_t sampled; /* of which headers were read (the rest are estimated) */
	uint64_t entries; /* at the deepest level */
	uint64_t bytes;
};

/*
 * Between full walks of a big map of maps, a fixed sample of its inner maps
 * is read instead and scaled by the outer map's count.
 */
struct map_nested_sample {
	uint64_t *addrs;
	uint32_t n;
	uint64_t walk_maps, walk_count, walk_bytes; /* inner maps, outer count, bytes: last walk */
	unsigned int walk_every;		    /* rounds from one full walk to the next */
	unsigned int rounds_left;		    /* before the next full walk */
};

/* Which map it is. */
struct map_identity {
	uint64_t addr;	 /* the header's address in the target */
	uint64_t type;	 /* the map type descriptor's address in the target */
	uint64_t parent; /* the outer map it was found in; 0 at the top level */
	bool shadow;	 /* a stale copy of another tracked map (left on a moved stack) */
};

/* Where it came from: sites, REGISTRY_NO_SITE when unknown. */
struct map_origin {
	int create_site;
	int fill_site;	     /* where it last grew */
	int inner_fill_site; /* where its inner maps last grew (maps of maps) */
	uint64_t fill_stack; /* the BPF stack hash of its last growth; 0 unknown */
	int fill_probe;	     /* the probe of that growth (the plan's index) */
	bool on_stack;	     /* on a goroutine's stack when it last grew */
};

/* What the samples and growth events say of it. */
struct map_sample {
	bool sampled; /* hdr holds a valid sample */
	unsigned int bad_reads;
	struct map_header hdr;
	uint64_t bytes;		      /* estimated from buckets / groups */
	uint64_t peak;		      /* largest count seen: samples and growth events */
	uint64_t window_peak;	      /* largest count this window */
	uint64_t grows;		      /* growth events */
	uint64_t grows_at_sample;     /* grows when the last sample was taken */
	bool growth_unread;	      /* the last sample's header predates its last growth */
	unsigned int same_size_grows; /* classic same-size grows this window */
	bool storage_moved;	      /* its capacity changed this window */
	int grown_b;		      /* classic: B after its last growth event; -1 none seen */
	uint64_t pinned_capacity;     /* Swiss: capacity when a burst saw it written; 0 none */
	uint64_t value;		      /* the series' last sample */
	bool changed;		      /* the value moved this window */
};

/* A map of maps: what is below it. */
struct map_nested {
	bool is_outer; /* a map of maps: judged by its inner maps */
	struct map_nested_totals totals;
	struct map_nested_sample quick;
};

/* What the detector made of it, and what its alerts show. */
struct map_verdict {
	struct detector_series series; /* entries, or for a map of maps its inner entries */
	struct detector_rule rules[ALERT_KINDS];
	unsigned int windows;	   /* windows closed since it was tracked (or restarted) */
	unsigned int idle_windows; /* windows closed without a change */
	double rate;		   /* entries a second over the last window */
	char keys[REGISTRY_MAX_KEYS][REGISTRY_KEY_LEN];
	int nkeys; /* -1: not sampled yet */
};

/*
 * Operations seen on it in the governor's bursts, by the site that did them
 * (op_estimates.h): the few busiest (site, operation) pairs.
 */
#define REGISTRY_OP_SLOTS 4
#define REGISTRY_OP_KINDS GML_OP_KINDS /* indexed by enum gml_op */

struct map_op_slot {
	int site;	    /* REGISTRY_NO_SITE: an empty slot */
	uint32_t op;	    /* enum gml_op */
	uint64_t seen;	    /* hits counted in bursts, in all */
	uint64_t seen_then; /* seen when its map's window started */
	double rate;	    /* estimated a second over the last window; < 0 unknown */
	double error;	    /* its bound (about two standard deviations), a second */
};

struct map_ops {
	struct map_op_slot slots[REGISTRY_OP_SLOTS];
	double exposure_then[REGISTRY_OP_KINDS]; /* the probes' time attached, window start */
};

/* Its place in a site group (groups.h). */
struct map_member {
	uint32_t group; /* the group's id; 0 when not a member */
	bool tenured;	/* a member when a window of its group started */
	bool in_window; /* its growth this window counts: tenured when the window started */
	uint64_t base;	/* its count then */
};

struct tracked_map {
	struct map_identity id;
	struct map_origin origin;
	struct map_sample sample;
	struct map_nested nested;
	struct map_verdict verdict;
	struct map_member member;
	struct map_ops ops;
};

struct registry_creation {
	uint64_t map, type;
	uint64_t seq; /* when it was stored: the oldest of a full set is replaced */
	int site;
};

struct registry {
	struct tracked_map *maps; /* dense; order changes on removal */
	uint32_t nmaps;
	int32_t *index; /* open addressing over maps by address, -1 empty */
	uint32_t index_size;
	struct registry_site *sites;
	int nsites;
	struct registry_creation *creations;
	uint64_t creation_seq;
	const struct detector_config *cfg;
	const struct pclntab *pt;
	uint64_t load_bias;
	uint64_t maps_seen;    /* maps ever tracked */
	uint64_t maps_dropped; /* not tracked: the registry was full */
	uint64_t small_maps;   /* Swiss maps given their first group: set from the BPF counter */
};

int registry_init(struct registry *r, const struct detector_config *cfg, const struct pclntab *pt,
		  uint64_t load_bias);
void registry_free(struct registry *r);
/*
 * Learns from one event (growth or creation); stack may be NULL. Returns the
 * event's site (the code that grew or made the map), or REGISTRY_NO_SITE.
 */
int registry_add_event(struct registry *r, const struct gml_event *e,
		       const struct gml_stack *stack);
/* The tracked map at addr, or NULL (strchr-like: the caller decides if it may change it). */
struct tracked_map *registry_find(const struct registry *r, uint64_t addr);
/* Tracks a map before it grows (a map of maps seen made); NULL when full. */
struct tracked_map *registry_track(struct registry *r, uint64_t addr, uint64_t type);
/* Removes the maps for which drop returns true (order changes). */
void registry_sweep(struct registry *r, bool (*drop)(const struct tracked_map *m, void *ctx),
		    void *ctx);
/*
 * Starts m's series and rules over, keeping where it came from: the census
 * found a new map at its address by its seed.
 */
void registry_restart_verdict(struct tracked_map *m);
const struct registry_site *registry_site(const struct registry *r, int site);
/* The site of the code returning to return_pc (a caller of a map function). */
int registry_site_for_pc(struct registry *r, uint64_t return_pc);

#endif /* GOMAPLEAK_REGISTRY_H */
