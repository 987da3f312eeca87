/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The governor's bursts, carried out: attaches a group when the governor
 * starts its burst, detaches it when the burst ends (a timer), and hands
 * the operations counted meanwhile, with how long their probes were
 * attached, to the estimates. The decisions are the governor's (governor.h);
 * the probes, the timer and the clock are reached through struct bursts_io
 * (the tracer's: burst_probes.h; a test's fake).
 */
#ifndef GOMAPLEAK_BURSTS_H
#define GOMAPLEAK_BURSTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "calibrate.h"
#include "governor.h"
#include "op_estimates.h"
#include "registry.h"
#include "report_note.h"
#include "tracer.h"

#define BURSTS_FIRST_JUDGMENT 0.025 /* seconds */
/*
 * Where probes linger after a burst, a burst due while another's probes
 * are in or still going is tried again this much later (seconds): a
 * perf-event uprobe takes a grace period or more to go.
 */
#define BURSTS_RETRY_SECONDS 0.02

/*
 * Where probes linger after a burst (perf-event uprobes), a burst walks its
 * group's sites: one site's probes in at a time, for the burst's length
 * each, the next attached once the last one's are gone. A perf-event
 * uprobe closed while none other is going takes its breakpoint out at
 * once; closed together, a group's probes go one grace period apart, and
 * a busy function's second probe traps meanwhile, many times what the
 * burst itself cost (docs/governor.md has the figures).
 */
struct site_walk {
	bool on;	    /* the group's burst is a walk */
	bool in;	    /* site's probes are in */
	int site;	    /* the plan's site in now, or the last one; -1 before the first */
	unsigned int sites; /* sites visited */
	double counted,
		attached; /* seconds their operations were counted, their probes in: summed */
};

/* When a group's last attach began and ended, and until when its operations were counted. */
struct burst_span {
	uint64_t attach_began_ns, attached_ns, counted_until_ns; /* CLOCK_MONOTONIC */
};

/*
 * What bursts act on: the target's probes, its CPU, a timer and the clock
 * (CLOCK_MONOTONIC). Every call gets ctx.
 */
struct bursts_io {
	void *ctx;
	double (*now)(void *ctx); /* seconds */
	int (*target_cpu)(void *ctx, double *seconds);
	/*
	 * The group's probes at site (TRACER_ALL_SITES: every site) in for a
	 * burst whose operations count for count_ns once they are in; 0 or a
	 * negative errno.
	 */
	int (*attach_burst)(void *ctx, enum probe_group group, int site, uint64_t count_ns);
	int (*attach_group)(void *ctx, enum probe_group group); /* in for good */
	uint64_t (*detach)(void *ctx, enum probe_group group);	/* when they began to go, ns */
	void (*span)(void *ctx, enum probe_group group, struct burst_span *out);
	/* The hits the group may take before its burst is spent (0: no limit); when set, ns. */
	uint64_t (*limit_hits)(void *ctx, enum probe_group group, uint64_t hits);
	bool (*closing)(void *ctx); /* probes detached earlier are still going */
	int (*read_counters)(void *ctx, struct tracer_counters *out);
	/* Reads and removes the counters of the operations in ops (1 << enum gml_op). */
	int (*drain_ops)(void *ctx, unsigned int ops, tracer_op_fn fn, void *fn_ctx);
	void (*arm_timer)(void *ctx, double at); /* bursts_on_timer() at that time; 0: off */
};

struct bursts {
	const struct bursts_io *io;
	struct governor *gov;
	const struct probe_plan *plan;
	struct registry *reg;
	struct op_estimates *est;
	double attached_at; /* the attach's tick */
	double judge_after; /* its next early judgment after it: 25 ms, doubling; 0: none */
	struct calibration calibration;
	bool calibrated;
	const struct report_notes *notes; /* where its messages go */
	/* CLOCK_MONOTONIC ns: when each group's burst got its hit allowance */
	uint64_t allowance_ns[PROBE_GROUPS];
	uint64_t spent_early;	 /* bursts ended by their hit allowance, before their timer */
	uint64_t judged_by_hits; /* judgments of a group attached all the time, by its hits */
	uint64_t postponed;	 /* bursts started later: another's probes were still going */
	struct site_walk walks[PROBE_GROUPS];
};

/*
 * Measures what a hit costs on tr (before anything of the target is
 * attached) and hands the costs to the governor; a failed measurement keeps
 * the defaults and says so.
 */
void bursts_calibrate(struct bursts *b, struct tracer *tr);
/* The costs another session measured on this machine: node mode measures once. */
void bursts_use_calibration(struct bursts *b, const struct calibration *c);
/*
 * Once the probes are attached: the governor takes its first tick now and judges what they cost
 * BURSTS_FIRST_JUDGMENT later, then at twice that time, and so on until half an interval, not only
 * an interval later (growth probes too hot for the budget cost ~0.3 s of the target's CPU a second
 * on a busy service). Each judgment allows as much overspending as an interval's (governor.c,
 * hot_slack()): a spike passes, a hot rate is caught by the judgment that sees it cost more.
 */
void bursts_start(struct bursts *b);
/* Every interval: bursts that start now are attached. */
void bursts_tick(struct bursts *b);
/* The hits past bursts' probes took while they went, charged (governor_charge_linger()). */
void bursts_charge_lingering(struct bursts *b);
/* The io's timer fired: bursts that are over are detached and their counts handed on. */
void bursts_on_timer(struct bursts *b);
/*
 * The BPF side says the group's burst took its hit allowance (at ts_ns,
 * CLOCK_MONOTONIC): the burst ends now, unless that was a past burst's. A
 * group attached all the time that took its (governor_judge_hits()) is
 * judged now.
 */
void bursts_on_spent(struct bursts *b, enum probe_group group, uint64_t ts_ns);
/* A governed group went over to bursts (creations past their rate): detached now. */
void bursts_take_over(struct bursts *b, enum probe_group group);
/* At exit: bursts in progress end, so their counts count. */
void bursts_end_all(struct bursts *b);

#endif /* GOMAPLEAK_BURSTS_H */
