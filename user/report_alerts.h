/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What watch prints: alert lines (text, colour on a terminal), NDJSON
 * alert / sample / summary objects, the --top table and the exit summary.
 * Reads the registry, never changes it.
 */
#ifndef GOMAPLEAK_REPORT_ALERTS_H
#define GOMAPLEAK_REPORT_ALERTS_H

#include <stdbool.h>
#include <stdio.h>

#include "census.h"
#include "registry.h"

struct alert_printer {
	FILE *out;
	const struct registry *reg;
	const struct census *census;
	const struct gotypes *types;
	uint64_t load_bias;
	bool json;
	bool colour;
	uint64_t raised[ALERT_KINDS][DETECTOR_RESOLVED + 1]; /* transitions into each state */
	uint64_t leaks;					     /* LEAK alerts raised */
};

struct watch_totals {
	double seconds;
	const char *stop_reason;
	uint64_t events, events_lost;
};

void alert_printer_init(struct alert_printer *p, FILE *out, const struct census *census, bool json,
			bool colour);
const char *alert_kind_name(enum alert_kind kind);
/* One alert: m's rule kind changed state (from before). */
void alert_print(struct alert_printer *p, const struct tracked_map *m, enum alert_kind kind,
		 enum detector_state before);
/* --json: one sample object for each map in SUSPECT or LEAK, every round. */
void alert_print_samples(struct alert_printer *p);
/* --top: the biggest growers, redrawn in place on a terminal. */
void alert_print_top(struct alert_printer *p, int rows, bool redraw);
/* At exit: the totals and every map that alerted, with its final state. */
void alert_print_summary(struct alert_printer *p, FILE *out, const struct watch_totals *t);

#endif /* GOMAPLEAK_REPORT_ALERTS_H */
