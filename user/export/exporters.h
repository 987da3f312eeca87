/* SPDX-License-Identifier: GPL-2.0 */
/*
 * watch's outputs beside the alerts: Prometheus /metrics (--prometheus),
 * the growth profile (--pprof) and folded stacks (--folded). Fed by a
 * session's events and ticks; reads the tracer, the registry and the census's alert
 * counts, changes none of them.
 */
#ifndef GOMAPLEAK_EXPORTERS_H
#define GOMAPLEAK_EXPORTERS_H

#include <stdbool.h>
#include <stdint.h>

#include "governor.h"
#include "census.h"
#include "gobinary.h"
#include "metrics.h"
#include "metrics_server.h"
#include "profile.h"
#include "registry.h"
#include "report_note.h"
#include "target.h"
#include "tracer.h"

/* Callers of map functions named by the op counters: their sites, cached by address. */
#define EXPORTERS_OP_SITE_CACHE 1024

/* What the user asked for. */
struct exporters_options {
	bool prometheus; /* serve /metrics on prometheus_host:prometheus_port */
	const char *prometheus_host;
	uint16_t prometheus_port;
	bool shared_server;	 /* node mode: the page is kept for the caller to merge and serve */
	const char *pprof_path;	 /* growth profile, or NULL */
	const char *folded_path; /* folded stacks, or NULL */
};

/* What the exporters read: the session's, for as long as they run. */
struct exporters_sources {
	struct exporters_options opt;
	const struct governor *governor; /* which probe groups are probed */
	const struct gobinary *bin;
	const struct target *target;
	const struct tracer *tracer;
	struct registry *reg;		      /* sites of op counters' callers are added to it */
	const struct census *census;	      /* and its alert counts */
	const struct op_estimates *estimates; /* the bursts' (watch without --exact) */
	const struct report_notes *notes;     /* where its own messages go */
	uint64_t load_bias;
};

struct exporters {
	struct exporters_sources src;
	bool serving, profiling;
	bool own_server; /* serving on a server of its own (not node mode's) */
	char *page;	 /* with a shared server: the last page rendered */
	size_t page_len;
	struct metrics metrics;
	struct metrics_server server;
	struct profile profile;
	struct {
		uint64_t pc; /* the caller's address + 1; 0 empty */
		int site;
	} op_sites[EXPORTERS_OP_SITE_CACHE];
};

/* Starts what the options ask for; on failure why says why. */
int exporters_start(struct exporters *x, const struct exporters_sources *src, char *why,
		    size_t why_len);
/* Once attached: the first /metrics text, and the URL on stderr. */
void exporters_announce(struct exporters *x);
/* One event; site is what the registry made of it. */
void exporters_on_event(struct exporters *x, const struct gml_event *e,
			const struct gml_stack *stack, int site);
/* Every interval, after the census: a fresh /metrics text from the tick's counters. */
void exporters_tick(struct exporters *x, uint64_t events, const struct tracer_counters *c);
/* --pprof and --folded files, at exit and on SIGUSR1. */
void exporters_write_profiles(struct exporters *x);
void exporters_stop(struct exporters *x);

#endif /* GOMAPLEAK_EXPORTERS_H */
