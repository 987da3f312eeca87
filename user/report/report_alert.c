// SPDX-License-Identifier: GPL-2.0
/* Alert lines: text (colour on a terminal) or one JSON object each. */
#include "report_alerts.h"

#include <string.h>
#include <time.h>

#include "report_subject.h"

#define COLOUR_RED    "\033[1;31m"
#define COLOUR_YELLOW "\033[33m"
#define COLOUR_GREEN  "\033[32m"
#define COLOUR_RESET  "\033[0m"

void report_alert_printer_init(struct report_alert_printer *p, FILE *out,
			       const struct census *census, bool json, bool colour)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->census = census;
	p->reg = census->reg;
	p->types = census->types;
	p->load_bias = census->load_bias;
	p->json = json;
	p->colour = colour && !json;
}

static const char *state_colour(enum detector_state s)
{
	if (s == DETECTOR_LEAK)
		return COLOUR_RED;
	if (s == DETECTOR_SUSPECT)
		return COLOUR_YELLOW;
	return COLOUR_GREEN;
}

static void alert_print_text(struct report_alert_printer *p, const struct alert_subject *s)
{
	char when[16];

	report_now_hms(when, sizeof(when));
	fprintf(p->out, "%s %s%-8s%s %-6s", when, p->colour ? state_colour(s->state) : "",
		detector_state_name(s->state), p->colour ? COLOUR_RESET : "",
		detector_kind_name(s->kind));
	report_print_process(p, p->out);
	subject_print(p, s);
	subject_print_keys(p, s);
	fputc('\n', p->out);
}

static void alert_print_json(struct report_alert_printer *p, const struct alert_subject *s,
			     enum detector_state before)
{
	struct json_writer w;

	json_writer_init(&w, p->out);
	json_object_begin(&w);
	json_field_str(&w, "event", "alert");
	json_field_i64(&w, "time", (int64_t)time(NULL));
	json_field_str(&w, "state", detector_state_name(s->state));
	json_field_str(&w, "previous", detector_state_name(before));
	report_json_process(&w, p);
	subject_json(&w, p, s);
	json_field_u64(&w, "window", s->windows);
	json_field_u64(&w, "window_rises", s->window.rises);
	json_field_u64(&w, "window_first", s->window.first);
	json_field_u64(&w, "window_last", s->window.last);
	json_writer_finish(&w);
}

static void alert_print(struct report_alert_printer *p, const struct alert_subject *s,
			enum detector_state before)
{
	if (s->state == DETECTOR_QUIET)
		return;
	if (p->json)
		alert_print_json(p, s, before);
	else
		alert_print_text(p, s);
}

void report_alert(struct report_alert_printer *p, const struct tracked_map *m, enum alert_kind kind,
		  enum detector_state before)
{
	struct alert_subject s = subject_of_map(m, kind);

	alert_print(p, &s, before);
}

void report_group_alert(struct report_alert_printer *p, const struct site_group *g,
			enum alert_kind kind, enum detector_state before)
{
	struct alert_subject s = subject_of_group(p, g, kind);

	alert_print(p, &s, before);
}
