/* SPDX-License-Identifier: GPL-2.0 */
/* One text line per raw event, with the caller symbolized through pclntab. */
#ifndef GOMAPLEAK_REPORT_EVENTS_H
#define GOMAPLEAK_REPORT_EVENTS_H

#include <stdio.h>

#include "gomapleak.h"
#include "gotypes.h"
#include "pclntab.h"

struct report_event_printer {
	FILE *out;
	const struct pclntab *pt;
	const struct gotypes *types;
	uint64_t load_bias;	 /* runtime address - file address */
	int64_t mono_to_wall_ns; /* add to a bpf_ktime_get_ns() stamp for wall time */
};

void report_event_printer_init(struct report_event_printer *p, FILE *out, const struct pclntab *pt,
			       const struct gotypes *types, uint64_t load_bias);
/* stack: the event's call stack, or NULL when it was not found. */
void report_event(const struct report_event_printer *p, const struct gml_event *e,
		  const struct gml_stack *stack);
/* One JSON object on one line; schema in docs/json.md. */
void report_event_json(const struct report_event_printer *p, const struct gml_event *e,
		       const struct gml_stack *stack);

#endif /* GOMAPLEAK_REPORT_EVENTS_H */
