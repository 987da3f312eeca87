// SPDX-License-Identifier: GPL-2.0
#include "report_alerts.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_writer.h"
#include "symbolize.h"

#define COLOUR_RED    "\033[1;31m"
#define COLOUR_YELLOW "\033[33m"
#define COLOUR_GREEN  "\033[32m"
#define COLOUR_RESET  "\033[0m"
#define TYPE_NAME_MAX 256

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

static void type_name(const struct report_alert_printer *p, const struct tracked_map *m, char *buf,
		      size_t len)
{
	if (!m->id.type || gotypes_name(p->types, m->id.type - p->load_bias, buf, len))
		snprintf(buf, len, "?");
}

static void human_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u)
		snprintf(buf, len, "%.1f%s", v, units[u]);
	else
		snprintf(buf, len, "%" PRIu64 "B", n);
}

static void now_hms(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

static void print_site(const struct report_alert_printer *p, const char *label, int site)
{
	const struct registry_site *s = registry_site(p->reg, site);

	fprintf(p->out, " %s=", label);
	if (s)
		symbolize_print_short(p->out, &s->pos);
	else
		fputc('?', p->out);
}

/* Where a map was filled: for a map of maps, where its inner maps grew, if any did. */
static int fill_site_of(const struct tracked_map *m, enum alert_kind kind)
{
	if (kind == ALERT_NESTED && m->origin.inner_fill_site != REGISTRY_NO_SITE)
		return m->origin.inner_fill_site;
	return m->origin.fill_site;
}

static void print_kind_fields(const struct report_alert_printer *p, const struct tracked_map *m,
			      enum alert_kind kind)
{
	char bytes[32];

	switch (kind) {
	case ALERT_NESTED:
		human_bytes(m->nested.totals.bytes, bytes, sizeof(bytes));
		fprintf(p->out,
			" inner_maps=%" PRIu64 " inner_entries=%" PRIu64 " (%+.0f/s) inner_bytes=%s"
			" entries=%" PRIu64,
			m->nested.totals.maps, m->nested.totals.entries, m->verdict.rate, bytes,
			m->sample.hdr.count);
		break;
	case ALERT_BLOAT:
		human_bytes(m->sample.bytes, bytes, sizeof(bytes));
		fprintf(p->out, " entries=%" PRIu64 " peak=%" PRIu64 " retained=%s",
			m->sample.hdr.count, m->sample.peak, bytes);
		break;
	case ALERT_CHURN:
		human_bytes(m->sample.bytes, bytes, sizeof(bytes));
		fprintf(p->out, " entries=%" PRIu64 " B=%u overflow=%u same_size_grows=%u bytes=%s",
			m->sample.hdr.count, m->sample.hdr.b, m->sample.hdr.noverflow,
			m->sample.same_size_grows, bytes);
		break;
	default:
		human_bytes(m->sample.bytes, bytes, sizeof(bytes));
		fprintf(p->out, " entries=%" PRIu64 " (%+.0f/s) bytes=%s", m->sample.hdr.count,
			m->verdict.rate, bytes);
	}
}

static void print_keys_text(const struct report_alert_printer *p, const struct tracked_map *m)
{
	int i;

	if (m->verdict.nkeys <= 0)
		return;
	fputs(" keys=", p->out);
	for (i = 0; i < m->verdict.nkeys; i++)
		fprintf(p->out, "%s%s", i ? "," : "", m->verdict.keys[i]);
}

static void alert_print_text(struct report_alert_printer *p, const struct tracked_map *m,
			     enum alert_kind kind)
{
	enum detector_state state = m->verdict.rules[kind].state;
	char when[16], type[TYPE_NAME_MAX];

	now_hms(when, sizeof(when));
	type_name(p, m, type, sizeof(type));
	fprintf(p->out, "%s %s%-8s%s %-6s %s map=0x%" PRIx64, when,
		p->colour ? state_colour(state) : "", detector_state_name(state),
		p->colour ? COLOUR_RESET : "", detector_kind_name(kind), type, m->id.addr);
	print_kind_fields(p, m, kind);
	print_site(p, "created", m->origin.create_site);
	print_site(p, "filled", fill_site_of(m, kind));
	print_keys_text(p, m);
	fputc('\n', p->out);
}

static void json_site(const struct report_alert_printer *p, const char *label, int site)
{
	const struct registry_site *s = registry_site(p->reg, site);

	fprintf(p->out, ",\"%s\":", label);
	if (!s) {
		fputs("null", p->out);
		return;
	}
	fputs("{\"func\":", p->out);
	json_string(p->out, go_pos_func(&s->pos));
	fputs(",\"file\":", p->out);
	json_string(p->out, s->pos.file);
	fprintf(p->out, ",\"line\":%d}", s->pos.line);
}

/* The fields alert and sample objects share. */
static void json_map_fields(const struct report_alert_printer *p, const struct tracked_map *m,
			    enum alert_kind kind)
{
	char type[TYPE_NAME_MAX];
	int i;

	type_name(p, m, type, sizeof(type));
	fprintf(p->out,
		",\"kind\":\"%s\",\"map\":\"0x%" PRIx64 "\",\"type\":", detector_kind_name(kind),
		m->id.addr);
	json_string(p->out, type);
	fprintf(p->out,
		",\"entries\":%" PRIu64 ",\"peak\":%" PRIu64 ",\"capacity\":%" PRIu64
		",\"bytes\":%" PRIu64 ",\"rate\":%.1f,\"grows\":%" PRIu64,
		m->sample.hdr.count, m->sample.peak, m->sample.hdr.capacity, m->sample.bytes,
		m->verdict.rate, m->sample.grows);
	if (p->census->layout->impl == GO_MAP_CLASSIC)
		fprintf(p->out, ",\"B\":%u,\"overflow\":%u,\"same_size_grows\":%u", m->sample.hdr.b,
			m->sample.hdr.noverflow, m->sample.same_size_grows);
	if (kind == ALERT_NESTED)
		fprintf(p->out,
			",\"inner\":{\"maps\":%" PRIu64 ",\"sampled\":%" PRIu64
			",\"entries\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
			m->nested.totals.maps, m->nested.totals.sampled, m->nested.totals.entries,
			m->nested.totals.bytes);
	json_site(p, "created", m->origin.create_site);
	json_site(p, "filled", fill_site_of(m, kind));
	fputs(",\"keys\":[", p->out);
	for (i = 0; i < m->verdict.nkeys; i++) {
		if (i)
			fputc(',', p->out);
		json_string(p->out, m->verdict.keys[i]);
	}
	fputc(']', p->out);
}

static void alert_print_json(struct report_alert_printer *p, const struct tracked_map *m,
			     enum alert_kind kind, enum detector_state before)
{
	fprintf(p->out, "{\"event\":\"alert\",\"time\":%ld,\"state\":\"%s\",\"previous\":\"%s\"",
		(long)time(NULL), detector_state_name(m->verdict.rules[kind].state),
		detector_state_name(before));
	json_map_fields(p, m, kind);
	fprintf(p->out,
		",\"window\":%u,\"window_rises\":%u,\"window_first\":%" PRIu64
		",\"window_last\":%" PRIu64 "}\n",
		m->verdict.windows, m->verdict.series.last.rises, m->verdict.series.last.first,
		m->verdict.series.last.last);
}

void report_alert(struct report_alert_printer *p, const struct tracked_map *m, enum alert_kind kind,
		  enum detector_state before)
{
	enum detector_state state = m->verdict.rules[kind].state;

	if (state == DETECTOR_QUIET)
		return;
	if (p->json)
		alert_print_json(p, m, kind, before);
	else
		alert_print_text(p, m, kind);
}

/* The rule a map is shown under: its most alarming, or nested for a quiet map of maps. */
static enum alert_kind worst_rule(const struct tracked_map *m)
{
	enum alert_kind worst = detector_worst_rule(m->verdict.rules);

	if (m->verdict.rules[worst].state == DETECTOR_QUIET && m->nested.totals.maps)
		worst = ALERT_NESTED;
	return worst;
}

void report_alert_samples(struct report_alert_printer *p)
{
	const struct tracked_map *m;
	enum alert_kind k;
	uint32_t i;

	for (i = 0; i < p->reg->nmaps; i++) {
		m = &p->reg->maps[i];
		k = worst_rule(m);
		if (m->verdict.rules[k].state != DETECTOR_SUSPECT &&
		    m->verdict.rules[k].state != DETECTOR_LEAK)
			continue;
		fprintf(p->out, "{\"event\":\"sample\",\"time\":%ld,\"state\":\"%s\"",
			(long)time(NULL), detector_state_name(m->verdict.rules[k].state));
		json_map_fields(p, m, k);
		fputs("}\n", p->out);
	}
}

static int by_value_desc(const void *a, const void *b)
{
	const struct tracked_map *x = *(const struct tracked_map *const *)a;
	const struct tracked_map *y = *(const struct tracked_map *const *)b;

	if (x->verdict.rate != y->verdict.rate)
		return x->verdict.rate < y->verdict.rate ? 1 : -1;
	return x->sample.value < y->sample.value ? 1 : x->sample.value > y->sample.value ? -1 : 0;
}

void report_alert_top(struct report_alert_printer *p, int rows, bool redraw)
{
	const struct tracked_map **order;
	char type[TYPE_NAME_MAX], bytes[32], when[16];
	uint32_t i, n = 0;
	enum alert_kind k;

	order = malloc((p->reg->nmaps + 1) * sizeof(*order));
	if (!order)
		return;
	for (i = 0; i < p->reg->nmaps; i++)
		if (!p->reg->maps[i].id.parent && p->reg->maps[i].sample.sampled)
			order[n++] = &p->reg->maps[i];
	qsort(order, n, sizeof(*order), by_value_desc);
	now_hms(when, sizeof(when));
	if (redraw)
		fputs("\033[H\033[2J", p->out);
	fprintf(p->out, "gomapleak %s  %u maps tracked, %" PRIu64 " small maps made\n", when,
		p->reg->nmaps, p->reg->small_maps);
	fprintf(p->out, "%-8s %-6s %12s %10s %10s  %-32s %s\n", "STATE", "RULE", "ENTRIES",
		"RATE/s", "BYTES", "TYPE", "FILLED AT");
	for (i = 0; i < n && (int)i < rows; i++) {
		const struct tracked_map *m = order[i];

		k = worst_rule(m);
		type_name(p, m, type, sizeof(type));
		human_bytes(k == ALERT_NESTED ? m->nested.totals.bytes : m->sample.bytes, bytes,
			    sizeof(bytes));
		fprintf(p->out, "%-8s %-6s %12" PRIu64 " %10.0f %10s  %-32.32s ",
			detector_state_name(m->verdict.rules[k].state), detector_kind_name(k),
			m->sample.value, m->verdict.rate, bytes, type);
		print_site(p, "at", fill_site_of(m, k));
		fputc('\n', p->out);
	}
	if (!redraw)
		fputc('\n', p->out);
	free(order);
}

static void summary_json(struct report_alert_printer *p, FILE *out, const struct report_totals *t)
{
	enum alert_kind k;

	fprintf(out,
		"{\"event\":\"summary\",\"seconds\":%.1f,\"reason\":\"%s\",\"events\":%" PRIu64
		",\"events_lost\":%" PRIu64 ",\"maps_tracked\":%u,\"maps_seen\":%" PRIu64
		",\"maps_dropped\":%" PRIu64 ",\"small_maps\":%" PRIu64 ",\"rounds\":%" PRIu64
		",\"leaks\":%" PRIu64 ",\"alerts\":{",
		t->seconds, t->stop_reason, t->events, t->events_lost, p->reg->nmaps,
		p->reg->maps_seen, p->reg->maps_dropped, p->reg->small_maps, p->census->rounds,
		p->census->stats.leaks);
	for (k = 0; k < ALERT_KINDS; k++)
		fprintf(out,
			"%s\"%s\":{\"SUSPECT\":%" PRIu64 ",\"LEAK\":%" PRIu64
			",\"RESOLVED\":%" PRIu64 "}",
			k ? "," : "", detector_kind_name(k),
			p->census->stats.raised[k][DETECTOR_SUSPECT],
			p->census->stats.raised[k][DETECTOR_LEAK],
			p->census->stats.raised[k][DETECTOR_RESOLVED]);
	fputs("}}\n", out);
}

void report_alert_summary(struct report_alert_printer *p, FILE *out, const struct report_totals *t)
{
	char type[TYPE_NAME_MAX];
	FILE *saved = p->out;
	enum alert_kind k;
	uint32_t i;

	if (p->json) {
		summary_json(p, out, t);
		return;
	}
	fprintf(out,
		"gomapleak: detached after %.1fs (%s); %" PRIu64 " events, %" PRIu64
		" lost; %" PRIu64 " maps tracked, %" PRIu64 " small maps made; %" PRIu64
		" LEAK alerts\n",
		t->seconds, t->stop_reason, t->events, t->events_lost, p->reg->maps_seen,
		p->reg->small_maps, p->census->stats.leaks);
	p->out = out;
	for (i = 0; i < p->reg->nmaps; i++) {
		const struct tracked_map *m = &p->reg->maps[i];

		k = worst_rule(m);
		if (m->verdict.rules[k].state == DETECTOR_QUIET || m->id.parent)
			continue;
		type_name(p, m, type, sizeof(type));
		fprintf(out, "gomapleak:   %-8s %-6s %s map=0x%" PRIx64,
			detector_state_name(m->verdict.rules[k].state), detector_kind_name(k), type,
			m->id.addr);
		print_kind_fields(p, m, k);
		print_site(p, "created", m->origin.create_site);
		print_site(p, "filled", fill_site_of(m, k));
		fputc('\n', out);
	}
	p->out = saved;
}
