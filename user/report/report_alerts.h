/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What watch prints about maps: alert lines (text, colour on a terminal, or
 * JSON: report_alert.c), NDJSON samples (report_samples.c), the --top table
 * (report_top.c) and the exit summary's alerts (report_summary.c), all over
 * one subject, a map or a site group (report_subject.h). Reads the registry
 * and the census's alert counts, never changes them.
 */
#ifndef GOMAPLEAK_REPORT_ALERTS_H
#define GOMAPLEAK_REPORT_ALERTS_H

#include <stdbool.h>
#include <stdio.h>

#include "census.h"
#include "registry.h"

/* Which process an alert is about, when gomapleak traces several (node mode). */
struct report_process_label {
	int pid;
	const char *comm;
	const char *container; /* "" outside containers */
};

struct report_alert_printer {
	FILE *out;
	const struct report_process_label *process; /* NULL: one process traced */
	const struct registry *reg;
	const struct census *census;
	const struct gotypes *types;
	uint64_t load_bias;
	bool json;
	bool colour;
};

struct report_totals {
	double seconds;
	const char *stop_reason;
	uint64_t events, events_lost;
};

void report_alert_printer_init(struct report_alert_printer *p, FILE *out,
			       const struct census *census, bool json, bool colour);
/* One alert: m's rule kind changed state (from before). */
void report_alert(struct report_alert_printer *p, const struct tracked_map *m, enum alert_kind kind,
		  enum detector_state before);
/* One alert: site group g's rule kind changed state (from before). */
void report_group_alert(struct report_alert_printer *p, const struct site_group *g,
			enum alert_kind kind, enum detector_state before);
/* --json: one sample object for each map or group in SUSPECT or LEAK, every round. */
void report_alert_samples(struct report_alert_printer *p);
/* --top: the biggest growers (maps and groups), redrawn in place on a terminal. */
void report_alert_top(struct report_alert_printer *p, int rows, bool redraw);
/* At exit: the totals and every map and group that alerted, with its final state. */
void report_alert_summary(struct report_alert_printer *p, FILE *out, const struct report_totals *t);

#endif /* GOMAPLEAK_REPORT_ALERTS_H */
