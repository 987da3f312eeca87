/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What is attached, and when: the one place that decides, per probe group
 * and mode, whether a group's probes are attached now. watch, run and trace
 * attach by it, the exporters' probe table and inspect's plan report it.
 *
 * Inserts, deletes, clears and overflow buckets are "bursted": attached for
 * a short burst, detached, attached again, so that their estimated cost
 * (hits times the calibrated cost of one hit) stays under --budget percent
 * of the target's own CPU time. Counts seen in bursts are scaled by the time
 * the probes were attached (op_estimates.h). Creation probes are bursted
 * too; under run, whose program starts with them attached, they are
 * attached at start and go over to bursts past a token bucket's rate.
 * Under watch, growth probes stay attached while they cost under half the
 * budget (most programs); past it (requests' maps that grow, thousands a
 * second) they are bursted like the others until they cost under a quarter
 * of it. run and trace keep them attached (docs/governor.md).
 */
#ifndef GOMAPLEAK_GOVERNOR_H
#define GOMAPLEAK_GOVERNOR_H

#include <stdbool.h>
#include <stdint.h>

#include "probes.h"

enum attach_mode {
	ATTACH_MODE_WATCH, /* watch: alerts, attached to a program long started */
	ATTACH_MODE_RUN,   /* run: alerts, attached before the program starts */
	ATTACH_MODE_TRACE, /* trace: the raw growth events */
	ATTACH_MODE_EXACT, /* --exact, with any command: every group, whatever it costs */
};

enum attach_when {
	ATTACH_NEVER,
	ATTACH_ALWAYS,	   /* from attach to detach */
	ATTACH_GOVERNED,   /* attached at start, detached past its rate, then in bursts */
	ATTACH_BURSTS,	   /* attached in bursts within the budget */
	ATTACH_UNLESS_HOT, /* attached while it costs under half the budget; else in bursts */
};

/*
 * Creations allowed a second, sustained, and at once (a program's start-up
 * makes many) before the creation probes go over to bursts.
 */
#define ATTACH_CREATION_BUDGET 1000
#define ATTACH_CREATION_BURST  2000

/* The default --budget: percent of the target's CPU time the bursts may cost. */
#define GOVERNOR_DEFAULT_BUDGET_PERCENT 1.0
/*
 * The shortest burst: shorter ones are mostly attach and detach time, which
 * blurs how long the probes were live. A group that cannot afford one in an
 * interval saves its credit for a later one.
 */
#define GOVERNOR_MIN_BURST_SECONDS 0.005
/* The longest: a share of the interval, so that every interval has its bursts' counts. */
#define GOVERNOR_MAX_BURST_SHARE 0.8
/* Hits a second assumed for a group that had none in its last burst (its cost stays bounded). */
#define GOVERNOR_QUIET_RATE 100.0
/*
 * A group whose last bursts took no hit sits out intervals before its next
 * (1, 3, 7, ... after 1, 2, 3 such bursts in a row), at most a window's
 * worth less one: its credit, saved meanwhile, buys a longer burst. Each
 * burst's attach and detach is what a quiet group costs the target (its
 * memory map locked for writing, RCU grace periods), and with no hit
 * there is nothing to learn from the next interval that the window's
 * burst would not tell.
 */
#define GOVERNOR_QUIET_REST_DOUBLINGS 8
/*
 * A burst also ends once its group took this many times the hits its
 * credit buys (and at least GOVERNOR_MIN_BURST_HITS): a cap for the bursts
 * that go wrong (a group busier than its last bursts said, a timer that
 * fires late), not the usual end, which is the timer's. Counts of a burst
 * ended at its N-th hit read ~N/(N-1) high; the cap keeps N large and rare.
 */
#define GOVERNOR_BURST_HIT_SLACK 2.0
#define GOVERNOR_MIN_BURST_HITS	 64
/*
 * An ATTACH_UNLESS_HOT group goes over to bursts when attached all the time
 * it cost more than this share of the budget (by GOVERNOR_HOT_SLACK_SHARES), and back once its
 * bursts say it would cost less than the lower share: the gap keeps a
 * group near the line from going back and forth every interval.
 */
#define GOVERNOR_HOT_SHARE  0.5
#define GOVERNOR_COOL_SHARE 0.25
/*
 * What such a group may spend over its share before it goes hot, in
 * intervals' shares (a judgment sooner, 25 ms after the attach, allows as
 * much as an interval's), paid back by intervals under it: a spike of
 * growth (the maps a program fills as it starts) must not send it to
 * bursts, while requests' maps growing 40,000 times a second use it up in
 * the first 50 ms.
 */
#define GOVERNOR_HOT_SLACK_SHARES 2.0
/*
 * Ticks sooner than this share of an interval after the last are early
 * judgments (bursts.c takes them only while under it, after the attach):
 * rests count the others, intervals.
 */
#define GOVERNOR_EARLY_TICK_SHARE 0.5
/*
 * Before an interval's CPU time is measured, or while it reads none (a
 * target idle until now), the target is taken to use this many CPUs: it
 * sizes when a group attached all the time is judged next
 * (governor_judge_hits()), never a verdict.
 */
#define GOVERNOR_ASSUMED_CPUS 1.0

struct governor_group {
	enum attach_when when;
	bool attached;	     /* its probes are attached now */
	bool off;	     /* it cannot be attached, or was detached for good */
	double hit_seconds;  /* what one hit costs the target: calibrated */
	double rate;	     /* hits a second while attached, from its bursts; 0 unknown */
	double credit;	     /* CPU seconds of the target it may still spend */
	bool planned;	     /* a burst is due at burst_due */
	double burst_due;    /* monotonic seconds */
	double burst_length; /* seconds, planned */
	double attach_began; /* when its attach began: its first probes take hits from then */
	double burst_start;  /* when the probes were attached */
	double burst_end;    /* when the burst is to end */
	uint64_t hits_at_start;
	uint64_t hits_at_end; /* its hit counter when its last burst ended */
	bool ended;	      /* hits may still come while that burst's probes go */
	double exposure;      /* seconds attached, over the session */
	double spent;	      /* estimated CPU seconds it cost the target */
	uint64_t bursts;
	unsigned int quiet_bursts;   /* bursts in a row that took no hit */
	unsigned int rest_intervals; /* intervals to sit out before its next burst */
	/* ATTACH_UNLESS_HOT: in bursts now, and its hit counter (governor_note_hits()) */
	bool hot;
	bool have_hits;
	double overspent; /* CPU seconds over its share, not yet paid back */
	uint64_t hits_now, hits_at_tick;
	uint64_t went_hot; /* times it went over to bursts */
};

struct governor {
	enum attach_mode mode;
	double budget;		 /* a fraction of the target's CPU time; 0: bursts off */
	double interval;	 /* seconds between ticks */
	double credit_intervals; /* credit kept, in intervals' worth (a window) */
	struct governor_group groups[PROBE_GROUPS];
	/*
	 * Probes stay in after a burst (perf-event uprobes, detached one after
	 * another): their hits then are charged (governor_charge_linger()).
	 * uprobe_multi links take every breakpoint out at once: none to charge.
	 */
	bool probes_linger;
	bool have_cpu;
	double last_tick; /* monotonic seconds */
	unsigned int
		switched; /* ATTACH_UNLESS_HOT groups that went hot or cooled at the last tick */
	double last_cpu;  /* the target's CPU seconds at the last tick */
	double cpu_rate;  /* its CPU seconds a second, over half an interval or more; 0 none yet */
	double rate_since, rate_cpu; /* since when it is being measured, and target_cpu then */
	double debt;	   /* CPU seconds spent over past ticks' allowances: the next pay it */
	double target_cpu; /* the target's CPU seconds since the first tick */
	double creation_tokens;
	uint64_t creation_last_ns; /* the last creation event's time (event clock); 0 none yet */
	uint64_t random;	   /* xorshift state: where in an interval a burst falls */
};

/*
 * budget is a fraction of the target's CPU time; interval and window in
 * seconds (a group's credit holds at most a window's budget).
 */
void governor_init(struct governor *g, enum attach_mode mode, double budget, double interval,
		   double window);
/* The plan for a group in a mode, before anything runs (inspect reports it). */
enum attach_when governor_plan(enum probe_group group, enum attach_mode mode);
/* Whether g's mode runs bursts (watch and run, without --exact). */
bool governor_bursts(const struct governor *g);
/* Whether the group's probes are attached now. */
bool governor_attached(const struct governor *g, enum probe_group group);
/* Whether the group is probed at all in g's mode (now, earlier or in bursts). */
bool governor_probed(const struct governor *g, enum probe_group group);
/* What one hit of the group's probes costs the target (calibrate.h). */
void governor_set_hit_cost(struct governor *g, enum probe_group group, double seconds);
/*
 * A creation event at ts_ns (event clock): whether it is within the
 * creation budget. The first over it returns false and the group goes over
 * to bursts: the caller detaches its links (governor_burst_ended()).
 */
bool governor_admit_creation(struct governor *g, uint64_t ts_ns);
/* The group could not be attached, or no longer may be: it stays off. */
void governor_detach(struct governor *g, enum probe_group group);
/*
 * The group's attach began at began and ended at now (its burst runs from
 * then); hits: its hit counter before the attach began.
 */
void governor_attached_at(struct governor *g, enum probe_group group, double began, double now,
			  uint64_t hits);
/* An ATTACH_UNLESS_HOT group's hit counter now: call before each tick. */
void governor_note_hits(struct governor *g, enum probe_group group, uint64_t hits);
/*
 * One tick at now (monotonic seconds) with the target's CPU seconds so far:
 * judges whether each ATTACH_UNLESS_HOT group is hot (governor_switched()),
 * credits every bursted group its share of what the budget leaves and plans
 * the bursts it can afford, each at a random moment of the interval.
 * Returns the groups planned (bits 1 << group).
 */
unsigned int governor_tick(struct governor *g, double now, double target_cpu);
/*
 * Groups the last tick switched: one that went hot is to be detached now
 * (governor_attached() is already false), one that cooled is to be
 * attached (already true; if it cannot be, governor_stay_hot()).
 */
unsigned int governor_switched(const struct governor *g);
void governor_stay_hot(struct governor *g, enum probe_group group);
/*
 * The hits an ATTACH_UNLESS_HOT group attached all the time may take from
 * the last tick before it is to be judged at once, not at the next tick
 * (bursts.c ticks when the BPF side says they are taken): as many as
 * would make it hot at the target's last CPU rate, at least
 * GOVERNOR_MIN_BURST_HITS. A group whose maps start growing by the
 * thousand a second between two ticks costs up to its slack, not a whole
 * interval's hits. 0: no limit (not such a group now, or no budget).
 */
uint64_t governor_judge_hits(const struct governor *g, enum probe_group group);
/* Whether the group's probes are attached in bursts now (not all the time). */
bool governor_in_bursts(const struct governor *g, enum probe_group group);
/*
 * The hits a group's last burst's probes took after it ended, while they
 * went (perf-event uprobes go one after another, each after an RCU grace
 * period, and trap meanwhile), charged as any hit is; hits: its hit
 * counter now. Its next attach charges them too, whichever comes first.
 */
void governor_charge_linger(struct governor *g, enum probe_group group, uint64_t hits);
/*
 * Where probes linger after a burst, one burst at a time: a burst that
 * ended while another's probes were still going had its own wait their
 * turn, trapping (link_closer.h). Groups in a burst now (bits 1 << group).
 */
unsigned int governor_bursting(const struct governor *g);
/* A planned burst is due at until instead (another's probes still go). */
void governor_postpone(struct governor *g, enum probe_group group, double until);
/* A planned burst could not be attached: it is dropped. */
void governor_burst_skipped(struct governor *g, enum probe_group group);
/* The hits the group's planned burst may take before it ends, whatever its timer says. */
uint64_t governor_burst_hits(const struct governor *g, enum probe_group group);
/* Planned bursts due by now: the caller attaches them and calls governor_attached_at(). */
unsigned int governor_due(const struct governor *g, double now);
/* Bursts that are over by now: the caller detaches them and calls governor_burst_ended(). */
unsigned int governor_over(const struct governor *g, double now);
/* The soonest start or end of a burst, or 0 when none is planned or going. */
double governor_next_wakeup(const struct governor *g);
/* The planned burst's length in seconds: its operations are counted that long at most. */
double governor_burst_length(const struct governor *g, enum probe_group group);
/*
 * The group was detached at now, hits its hit counter then, its operations
 * counted until counted_until (its deadline, or now if sooner): what it
 * cost is taken from its credit. Returns the seconds its operations were
 * counted.
 */
double governor_burst_ended(struct governor *g, enum probe_group group, double now,
			    double counted_until, uint64_t hits);
/*
 * Where probes linger after a burst, a burst walks its group's sites, one
 * attached at a time (bursts.c): the group's burst goes on until until,
 * when its site's part ends or the next is tried.
 */
void governor_burst_continues(struct governor *g, enum probe_group group, double until);
/*
 * The walk is over, its last site detached; hits the group's hit counter
 * then. exposure: the seconds each site's operations were counted, on
 * average; attached: the seconds each site's probes were in, on average.
 * Each site's operations are scaled by the same exposure, and the group's
 * rate is its sites' together, as a burst of them all would read them.
 */
void governor_walk_ended(struct governor *g, enum probe_group group, double exposure,
			 double attached, uint64_t hits);
/* Estimated CPU seconds the bursted and governed groups cost the target so far. */
double governor_spent(const struct governor *g);
/*
 * Groups with no site the plan can probe (mapclear absent from most
 * binaries) are off: a burst of nothing still wakes gomapleak twice, and
 * on a busy machine each wakeup can take the target's CPU.
 */
void governor_off_without_sites(struct governor *g, const struct probe_plan *plan);
/* Sites of the plan that the mode attaches: always, and governed too if asked. */
int governor_count_sites(const struct probe_plan *plan, enum attach_mode mode, bool with_governed);

#endif /* GOMAPLEAK_GOVERNOR_H */
