// SPDX-License-Identifier: GPL-2.0
/* --top: the biggest growers, maps and groups, redrawn in place on a terminal. */
#include "report_alerts.h"

#include <inttypes.h>
#include <stdlib.h>

#include "report_subject.h"

/* The value a row is ranked by after its rate: entries, inner entries for a map of maps. */
static uint64_t row_value(const struct alert_subject *s)
{
	if (!subject_as_one_map(s))
		return s->g->entries;
	return s->kind == ALERT_NESTED ? s->m->nested.totals.entries : s->m->sample.value;
}

static int by_rate_desc(const void *a, const void *b)
{
	const struct alert_subject *x = a, *y = b;
	uint64_t vx = row_value(x), vy = row_value(y);

	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	return vx < vy ? 1 : vx > vy ? -1 : 0;
}

static void print_top_row(struct report_alert_printer *p, const struct alert_subject *s)
{
	char type[TYPE_NAME_MAX], label[TYPE_NAME_MAX + 16], bytes[32];
	uint64_t b;

	subject_type_name(p, subject_type(s), type, sizeof(type));
	if (subject_as_one_map(s)) {
		snprintf(label, sizeof(label), "%s", type);
		b = s->kind == ALERT_NESTED ? s->m->nested.totals.bytes : s->m->sample.bytes;
	} else {
		snprintf(label, sizeof(label), "%" PRIu32 " x %s", s->g->members, type);
		b = s->g->bytes;
	}
	report_human_bytes(b, bytes, sizeof(bytes));
	fprintf(p->out, "%-8s %-6s %12" PRIu64 " %10.0f %10s  %-32.32s ",
		detector_state_name(s->state), detector_kind_name(s->kind), row_value(s), s->rate,
		bytes, label);
	subject_print_site(p, "at", subject_filled(s));
	fputc('\n', p->out);
}

void report_alert_top(struct report_alert_printer *p, int rows, bool redraw)
{
	struct alert_subject *order;
	char when[16];
	uint32_t i, n;

	order = subject_rows(p, &n);
	if (!order)
		return;
	qsort(order, n, sizeof(*order), by_rate_desc);
	report_now_hms(when, sizeof(when));
	if (redraw)
		fputs("\033[H\033[2J", p->out);
	fprintf(p->out, "gomapleak %s  %u maps tracked, %" PRIu64 " small maps made\n", when,
		p->reg->nmaps, p->reg->small_maps);
	fprintf(p->out, "%-8s %-6s %12s %10s %10s  %-32s %s\n", "STATE", "RULE", "ENTRIES",
		"RATE/s", "BYTES", "TYPE", "FILLED AT");
	for (i = 0; i < n && (int)i < rows; i++)
		print_top_row(p, &order[i]);
	if (!redraw)
		fputc('\n', p->out);
	free(order);
}
