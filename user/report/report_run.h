/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a traced run says about itself, as notes: what it attached to, what
 * a probe hit costs here, what its bursts cost against the budget, the
 * kernel and attach path, operations not counted, and with -v each probed
 * function's hits. The session gathers the figures; this prints them.
 */
#ifndef GOMAPLEAK_REPORT_RUN_H
#define GOMAPLEAK_REPORT_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "calibrate.h"
#include "governor.h"
#include "kernel_features.h"
#include "probes.h"
#include "report_note.h"
#include "tracer.h"

struct report_attached {
	int pid;
	const char *exe;
	const char *go_version;
	const char *map_impl;
	int functions, uprobes;
	double budget_percent;		       /* 0: no bursts */
	const struct calibration *calibration; /* -v with measured costs; else NULL */
};

/* What the bursts cost the target against the budget, at exit. */
struct report_budget {
	double budget_percent;
	double target_cpu; /* the target's CPU seconds over the session */
	double spent;	   /* what bursts and creations cost it, estimated */
	uint64_t bursts, spent_early, judged_by_hits, postponed;
	bool calibrated; /* hit costs measured, not defaults */
	bool walked;	 /* -v where probes linger: bursts walked their sites */
};

/* How the session ended and what the kernel counted, at exit. */
struct report_run_end {
	const struct kernel_features *kernel;
	enum attach_path path;
	const struct tracer_counters *counters;
	const struct probe_plan *plan;
	const struct governor *governor;
	bool verbose; /* each probed function's hits too (text rows on out) */
};

void report_attached(const struct report_notes *n, const struct report_attached *a);
void report_budget(const struct report_notes *n, const struct report_budget *b);
/*
 * A bursted group that had no burst: no rate for its operations, and why if
 * known (the probes attached all the time spent the budget).
 */
void report_no_bursts(const struct report_notes *n, const char *group, double seconds,
		      bool budget_taken);
void report_run_end(const struct report_notes *n, FILE *out, const struct report_run_end *e);
/* trace's last line: how long, why it ended, the events and those lost. */
void report_trace_end(const struct report_notes *n, double seconds, const char *reason,
		      uint64_t events, uint64_t lost);

#endif /* GOMAPLEAK_REPORT_RUN_H */
