/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The growth rule over one series of entry counts (a map, the inner maps of
 * one outer map, or a site): computes states, never prints. docs/alerts.md
 * has the definitions.
 */
#ifndef GOMAPLEAK_DETECTOR_H
#define GOMAPLEAK_DETECTOR_H

#include <stdbool.h>
#include <stdint.h>

struct detector_config {
	unsigned int window;	   /* samples a window (--window / -i) */
	uint64_t min_growth;	   /* net growth a window must reach (--min-growth) */
	unsigned int confirm;	   /* growing windows in a row for LEAK (--confirm) */
	unsigned int rise_percent; /* share of intervals that must rise (80) */
};

enum detector_state {
	DETECTOR_QUIET,
	DETECTOR_SUSPECT,
	DETECTOR_LEAK,
	DETECTOR_RESOLVED,
};

/* What one window did, for the alert that reports it. */
struct window_stats {
	uint64_t first, last, peak;
	uint64_t largest_fall; /* the deepest drop from a running peak */
	unsigned int rises;    /* intervals in which the count rose */
	bool growing;
};

struct series {
	uint64_t *counts; /* this window's samples: window + 1, the first shared */
	unsigned int len;
	enum detector_state state;
	unsigned int growing_windows; /* in a row */
	struct window_stats last;     /* the last window closed */
};

void detector_config_default(struct detector_config *cfg);
int series_init(struct series *s, const struct detector_config *cfg);
void series_free(struct series *s);
/*
 * Adds one sample. When it closes a window, evaluates the rule and returns
 * true if the state changed (s->state is the new one, s->last the window).
 */
bool series_add(struct series *s, const struct detector_config *cfg, uint64_t count);
bool window_is_growing(const struct detector_config *cfg, const uint64_t *counts, unsigned int n,
		       struct window_stats *out);
const char *detector_state_name(enum detector_state state);

#endif /* GOMAPLEAK_DETECTOR_H */
