/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The detector: every rule's predicate and the state machine they share,
 * behind one call per closed window. Computes, never prints; the census
 * feeds it and reports what changed. docs/alerts.md has the definitions.
 */
#ifndef GOMAPLEAK_DETECTOR_H
#define GOMAPLEAK_DETECTOR_H

#include <stdbool.h>
#include <stdint.h>

/* Defaults of the options that tune the rules (cli's help quotes them). */
#define DETECTOR_DEFAULT_WINDOW_SECONDS 60
#define DETECTOR_DEFAULT_MIN_GROWTH	1000
#define DETECTOR_DEFAULT_CONFIRM	3
#define DETECTOR_DEFAULT_RISE_PERCENT	80

struct detector_config {
	unsigned int window;	   /* samples a window (--window / -i) */
	uint64_t min_growth;	   /* net growth a window must reach (--min-growth) */
	unsigned int confirm;	   /* growing windows in a row for LEAK (--confirm) */
	unsigned int rise_percent; /* share of intervals that must rise */
};

enum alert_kind {
	ALERT_GROWTH, /* a map that keeps growing */
	ALERT_NESTED, /* a map of maps whose inner maps keep growing or being added */
	ALERT_BLOAT,  /* emptied by delete, its storage kept */
	ALERT_CHURN,  /* classic: insert/delete churn that keeps allocating */
	ALERT_KINDS,
};

enum detector_state {
	DETECTOR_QUIET,
	DETECTOR_SUSPECT,
	DETECTOR_LEAK,
	DETECTOR_RESOLVED,
	DETECTOR_STATES,
};

/* One rule's state over windows: how many in a row its condition held. */
struct detector_rule {
	enum detector_state state;
	unsigned int windows; /* in a row */
};

/* What one window of samples did. */
struct detector_window {
	uint64_t first, last, peak;
	uint64_t largest_fall; /* the deepest drop from a running peak */
	unsigned int rises;    /* intervals in which the count rose */
	bool growing;
	double seconds; /* how long it lasted: rounds run late when the machine is busy */
};

/* A map's entry counts (for a map of maps, its inner entries), one a sample. */
struct detector_series {
	uint64_t *counts; /* this window's samples: window + 1, the first shared */
	unsigned int len;
	double start;		     /* when counts[0] was taken, in seconds */
	struct detector_window last; /* the last window closed */
};

/* What else a map showed over the window just closed: the other rules' evidence. */
struct detector_evidence {
	bool nested;		      /* a map of maps: the series counts its inner entries */
	bool grouped;		      /* its growth is judged with its site group's (groups.h) */
	bool classic;		      /* classic buckets (churn applies to them only) */
	uint64_t peak;		      /* the largest count ever seen */
	uint64_t window_peak;	      /* the largest count this window */
	uint64_t capacity;	      /* slots its storage has */
	uint64_t sized_for;	      /* entries that storage was grown for (classic 6.5 x 2^B); 0
				       * when it changed in the window (a freed map's memory reused) */
	unsigned int b;		      /* classic: log2 of its buckets */
	unsigned int noverflow;	      /* classic: overflow buckets */
	unsigned int same_size_grows; /* classic: same-size grows this window */
};

/* What one closed window changed: the rules whose state moved, and from what. */
struct detector_changes {
	unsigned int changed; /* a mask of 1 << enum alert_kind */
	enum detector_state before[ALERT_KINDS];
};

/* Alerts raised: transitions into each state, by rule. */
struct detector_stats {
	uint64_t raised[ALERT_KINDS][DETECTOR_STATES];
	uint64_t leaks; /* LEAK alerts raised, of any rule */
};

void detector_config_default(struct detector_config *cfg);
int detector_series_init(struct detector_series *s, const struct detector_config *cfg);
void detector_series_free(struct detector_series *s);
/* Forgets the samples (another map now lives there), keeping the allocation. */
void detector_series_restart(struct detector_series *s);
/*
 * Adds one sample, taken at now (seconds, any fixed origin); returns true
 * when it closes a window (s->last then says what it did).
 */
bool detector_series_add(struct detector_series *s, const struct detector_config *cfg,
			 uint64_t count, double now);
/* Entries a second over a closed window (biased counts do: only their difference counts). */
double detector_window_rate(const struct detector_window *w);
/* Measures a window of n samples against the growth rule; true if it grew. */
bool detector_window_grows(const struct detector_config *cfg, const uint64_t *counts,
			   unsigned int n, struct detector_window *out);
/*
 * The one call per closed window: judges every rule on the window and the
 * evidence, moves each rule's state (SUSPECT the first window it holds,
 * LEAK after confirm in a row, RESOLVED once it stops) and says which moved.
 */
void detector_close_window(const struct detector_config *cfg, const struct detector_window *w,
			   const struct detector_evidence *ev,
			   struct detector_rule rules[ALERT_KINDS], struct detector_changes *out);
/* The rule most alarming of a map's rules (LEAK over SUSPECT over RESOLVED). */
enum alert_kind detector_worst_rule(const struct detector_rule rules[ALERT_KINDS]);
/* Whether any of a map's rules is SUSPECT or LEAK. */
bool detector_alerting(const struct detector_rule rules[ALERT_KINDS]);
/* Counts one change into stats (a state of QUIET is not an alert). */
void detector_stats_count(struct detector_stats *stats, enum alert_kind kind,
			  enum detector_state state);
const char *detector_state_name(enum detector_state state);
const char *detector_kind_name(enum alert_kind kind);

#endif /* GOMAPLEAK_DETECTOR_H */
