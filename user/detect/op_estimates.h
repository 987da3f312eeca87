/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inserts, deletes, clears and overflow buckets estimated from the
 * governor's bursts: the counts seen while an operation's probes were
 * attached, divided by how long they were. By site (the code that called
 * the map function) over the session, and by map and site over each map's
 * windows (registry.h's map_ops). A site's bound over the session is the
 * larger of the counting error (a count seen n times is off by about
 * 2 sqrt(n) at 95%) and the spread of its bursts' counts (a program that
 * stalls now and then, on a loaded machine, is seen in some bursts and not
 * others); a map's window bound is the counting error alone
 * (docs/governor.md).
 */
#ifndef GOMAPLEAK_OP_ESTIMATES_H
#define GOMAPLEAK_OP_ESTIMATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"

/*
 * Bursts of an operation before its estimates get a bound: the bound comes
 * from the spread of the bursts' counts (a bursty program's counts vary far
 * more than a steady stream's), which a few bursts do not show.
 */
#define OP_ESTIMATES_MIN_BURSTS 5

/* Untracked maps written in bursts, waiting for a census round to read their headers. */
#define OP_ESTIMATES_CANDIDATES 4096

struct op_candidate {
	uint64_t map, type;
	int site;
	uint32_t op;
};

/* The bursts of one operation, for the spread of a site's counts between them. */
struct op_burst_totals {
	uint64_t bursts;    /* ended (op_estimates_end_burst()) */
	double exposure_sq; /* the sum of each burst's exposure squared */
	double last;	    /* the exposure of the burst being added */
	bool open;	    /* a burst is being added */
};

/* A site's counts burst by burst: their squares and their products with the exposure, summed. */
struct op_site_spread {
	uint64_t now; /* in the burst being added */
	double sq, cross;
};

struct op_estimates {
	double exposure[REGISTRY_OP_KINDS]; /* seconds each operation's probes were attached */
	struct op_burst_totals bursts[REGISTRY_OP_KINDS];
	uint64_t *seen;		       /* [REGISTRY_MAX_SITES][REGISTRY_OP_KINDS] */
	struct op_site_spread *spread; /* the same, burst by burst */
	uint32_t *touched;	       /* the (site, op) slots the burst being added counted */
	uint32_t ntouched;
	uint64_t unsited[REGISTRY_OP_KINDS];
	struct op_candidate *candidates; /* maps to consider tracking (discovery) */
	uint32_t ncandidates;
	uint64_t candidates_dropped;
};

int op_estimates_init(struct op_estimates *e);
void op_estimates_free(struct op_estimates *e);
/*
 * A burst: the operations in op_mask (bits 1 << enum gml_op) were probed for
 * seconds more. Its counts follow (op_estimates_add()), then
 * op_estimates_end_burst().
 */
void op_estimates_add_exposure(struct op_estimates *e, unsigned int op_mask, double seconds);
/* The burst's counts are all in: each site's joins the spread between bursts. */
void op_estimates_end_burst(struct op_estimates *e);
/*
 * count operations op on map of type, called from site, seen in a burst:
 * counted for the site and for map if tracked; an untracked map written is
 * a candidate for tracking.
 */
void op_estimates_add(struct op_estimates *e, struct registry *r, uint64_t map, uint64_t type,
		      int site, uint32_t op, uint64_t count);
/*
 * The site's rate of op a second over the session and its bound (about two
 * standard deviations), or a bound of -1 when fewer than
 * OP_ESTIMATES_MIN_BURSTS bursts ended; false if never probed.
 */
bool op_estimates_site_rate(const struct op_estimates *e, int site, uint32_t op, double *rate,
			    double *error);
/* One (site, operation) pair's estimate over the session. */
struct op_site_rate {
	int site;
	uint32_t op;
	double rate, error; /* a second; error -1: too few bursts for a bound */
	uint64_t bursts;    /* the bursts of op the rate comes from */
};

/*
 * Every (site, operation) pair of the first nsites sites with a rate above
 * 0, busiest first, in an array the caller frees; NULL with *n 0 when there
 * is none (or no memory).
 */
struct op_site_rate *op_estimates_by_site(const struct op_estimates *e, int nsites, size_t *n);
/* Closes m's window for its operations: rates over the window, then the next starts. */
void op_estimates_close_window(const struct op_estimates *e, struct map_ops *ops);
/* The slot of m's busiest site for op, with a known rate, or NULL. */
const struct map_op_slot *op_estimates_busiest(const struct map_ops *ops, uint32_t op);

#endif /* GOMAPLEAK_OP_ESTIMATES_H */
