/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus metrics: counters kept from events, gauges taken from the
 * registry every interval, rendered in the text exposition format 0.0.4
 * (docs/metrics.md). Series per (site, map type) are capped: the busiest
 * METRICS_MAX_SERIES pairs have their own, the rest are summed as
 * site="other". Never exports keys. Never prints on its own: the exporters
 * render into a buffer the HTTP server hands out.
 */
#ifndef GOMAPLEAK_METRICS_H
#define GOMAPLEAK_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "detector.h"
#include "gotypes.h"
#include "op_estimates.h"
#include "registry.h"

#define METRICS_MAX_SERIES 100	/* (site, map type) pairs with series of their own */
#define METRICS_MAX_PAIRS  4096 /* pairs ranked; past it, counted as "other" at once */
#define METRICS_LABEL_MAX  200	/* bytes of a label value kept (longer ones end in "...") */
#define METRICS_MAX_PROBES 64

enum metrics_counter {
	METRIC_GROWS,
	METRIC_CREATIONS,
	METRIC_COUNTERS,
};

enum metrics_gauge {
	METRIC_MAPS,
	METRIC_ENTRIES,
	METRIC_BYTES,
	METRIC_OVERFLOW,
	METRIC_INNER_MAPS,
	METRIC_INNER_ENTRIES,
	METRIC_GAUGES,
};

/* Operations counted by --exact's probes, per calling site. */
enum metrics_op {
	METRIC_INSERTS,
	METRIC_DELETES,
	METRIC_CLEARS,
	METRIC_OVERFLOW_BUCKETS,
	METRIC_OPS,
};

struct metrics_pair {
	int site;			   /* registry site, or REGISTRY_NO_SITE */
	uint64_t type;			   /* map type descriptor address, 0 unknown */
	bool exported;			   /* has series of its own */
	uint64_t counted[METRIC_COUNTERS]; /* since it was given its series */
	uint64_t seen;			   /* events ever: its rank */
	uint64_t gauge[METRIC_GAUGES];
};

struct metrics_op_site {
	int site;
	uint64_t now[METRIC_OPS];      /* this round's sums over the BPF counters */
	uint64_t exported[METRIC_OPS]; /* never decreases (the BPF table is an LRU) */
};

/* What the exporters know of the process and the tracer, for the unlabelled metrics. */
struct metrics_process {
	uint32_t pid;
	const char *go_version, *map_impl;
	uint64_t events, events_lost, ops_lost;
	uint64_t small_maps, maps_dropped;
	double tracer_cpu_seconds, target_cpu_seconds, probe_overhead_seconds;
	const struct detector_stats *alerts; /* the census's; NULL before it runs */
	int nprobes;
	const char *probe_func[METRICS_MAX_PROBES];
	uint64_t probe_hits[METRICS_MAX_PROBES];
	bool ops_probed; /* --exact: inserts, deletes, clears and overflow buckets counted */
	/* The governor's bursts: their estimates and budget; NULL when there are none. */
	const struct op_estimates *estimates;
	double budget_ratio;	       /* --budget as a fraction of the target's CPU time */
	double burst_overhead_seconds; /* what the bursts cost, estimated */
};

struct metrics {
	const struct registry *reg;
	const struct gotypes *types;
	uint64_t load_bias;
	struct metrics_pair *pairs;
	int npairs, nexported;
	int32_t *index;			     /* open addressing over pairs, -1 empty */
	uint64_t other[METRIC_COUNTERS];     /* counted while not exported */
	uint64_t other_gauge[METRIC_GAUGES]; /* pairs not exported, this round */
	struct metrics_op_site *op_sites;
	int nop_sites;
	uint64_t op_other_now[METRIC_OPS], op_other[METRIC_OPS];
};

int metrics_init(struct metrics *m, const struct registry *reg, const struct gotypes *types,
		 uint64_t load_bias);
void metrics_free(struct metrics *m);
/* One growth or creation event at site, of a map of type. */
void metrics_count(struct metrics *m, enum metrics_counter counter, int site, uint64_t type);
/* Gauges from the registry's maps, and the ranking that decides which pairs are exported. */
void metrics_refresh(struct metrics *m);
/* Operation counters: begin, add every BPF counter, end. */
void metrics_ops_begin(struct metrics *m);
void metrics_ops_add(struct metrics *m, enum metrics_op op, int site, uint64_t count);
void metrics_ops_end(struct metrics *m);
int metrics_render(FILE *out, const struct metrics *m, const struct metrics_process *p);
/* Writes s as a label value: escaped, valid UTF-8, at most METRICS_LABEL_MAX bytes. */
void metrics_print_label_value(FILE *out, const char *s);

#endif /* GOMAPLEAK_METRICS_H */
