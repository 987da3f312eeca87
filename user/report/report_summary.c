// SPDX-License-Identifier: GPL-2.0
/* The exit summary: the totals and every map and group that alerted, with its final state. */
#include "report_alerts.h"

#include <inttypes.h>
#include <stdlib.h>

#include "report_subject.h"

static void summary_json(struct report_alert_printer *p, FILE *out, const struct report_totals *t)
{
	struct json_writer w;
	enum alert_kind k;

	json_writer_init(&w, out);
	json_object_begin(&w);
	json_field_str(&w, "event", "summary");
	json_field_double(&w, "seconds", t->seconds, 1);
	json_field_str(&w, "reason", t->stop_reason);
	json_field_u64(&w, "events", t->events);
	json_field_u64(&w, "events_lost", t->events_lost);
	json_field_u64(&w, "maps_tracked", p->reg->nmaps);
	json_field_u64(&w, "maps_seen", p->reg->maps_seen);
	json_field_u64(&w, "maps_dropped", p->reg->maps_dropped);
	json_field_u64(&w, "small_maps", p->reg->small_maps);
	json_field_u64(&w, "rounds", p->census->rounds);
	json_field_u64(&w, "leaks", p->census->stats.leaks);
	report_json_process(&w, p);
	json_key(&w, "alerts");
	json_object_begin(&w);
	for (k = 0; k < ALERT_KINDS; k++) {
		json_key(&w, detector_kind_name(k));
		json_object_begin(&w);
		json_field_u64(&w, "SUSPECT", p->census->stats.raised[k][DETECTOR_SUSPECT]);
		json_field_u64(&w, "LEAK", p->census->stats.raised[k][DETECTOR_LEAK]);
		json_field_u64(&w, "RESOLVED", p->census->stats.raised[k][DETECTOR_RESOLVED]);
		json_object_end(&w);
	}
	json_object_end(&w);
	json_writer_finish(&w);
}

void report_alert_summary(struct report_alert_printer *p, FILE *out, const struct report_totals *t)
{
	struct alert_subject *rows;
	FILE *saved = p->out;
	uint32_t i, n;

	if (p->json) {
		summary_json(p, out, t);
		return;
	}
	fputs("gomapleak:", out);
	report_print_process(p, out);
	fprintf(out,
		" detached after %.1fs (%s); %" PRIu64 " events, %" PRIu64 " lost; %" PRIu64
		" maps tracked, %" PRIu64 " small maps made; %" PRIu64 " LEAK alerts\n",
		t->seconds, t->stop_reason, t->events, t->events_lost, p->reg->maps_seen,
		p->reg->small_maps, p->census->stats.leaks);
	p->out = out;
	rows = subject_rows(p, &n);
	for (i = 0; rows && i < n; i++) {
		if (rows[i].state == DETECTOR_QUIET)
			continue;
		fprintf(out, "gomapleak:   %-8s %-6s", detector_state_name(rows[i].state),
			detector_kind_name(rows[i].kind));
		report_print_process(p, out);
		subject_print(p, &rows[i]);
		fputc('\n', out);
	}
	free(rows);
	p->out = saved;
}
