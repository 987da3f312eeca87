/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rules' states over windows of samples, and the growth rule over one
 * series of entry counts (a map, or the inner maps of one outer map):
 * computes, never prints. docs/alerts.md has the definitions.
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

/* One rule's state over windows: how many in a row its condition held. */
struct rule {
	enum detector_state state;
	unsigned int windows; /* in a row */
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
	struct rule growth;
	struct window_stats last; /* the last window closed */
};

void detector_config_default(struct detector_config *cfg);
int series_init(struct series *s, const struct detector_config *cfg);
void series_free(struct series *s);
/* Forgets the samples (the map was replaced), keeping the allocation. */
void series_restart(struct series *s);
/*
 * Adds one sample. When it closes a window, evaluates the growth rule
 * (s->growth, s->last the window) and returns true.
 */
bool series_add(struct series *s, const struct detector_config *cfg, uint64_t count);
/*
 * Closes a window for any rule: SUSPECT the first window the condition
 * holds, LEAK after confirm in a row, RESOLVED once it stops holding.
 * Returns true if the state changed.
 */
bool rule_close_window(struct rule *r, const struct detector_config *cfg, bool holds);
bool window_is_growing(const struct detector_config *cfg, const uint64_t *counts, unsigned int n,
		       struct window_stats *out);
const char *detector_state_name(enum detector_state state);

#endif /* GOMAPLEAK_DETECTOR_H */
