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

static void type_name(const struct report_alert_printer *p, uint64_t type, char *buf, size_t len)
{
	if (!type || gotypes_name(p->types, type - p->load_bias, buf, len))
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

/*
 * What an alert or a row is about: one map under one of its own rules, or a
 * site group under the growth rule. A group of one map is shown as that map.
 */
struct alert_subject {
	const struct tracked_map *m; /* the map; for a group its biggest member (or NULL) */
	const struct site_group *g;  /* NULL for a map's own rule */
	enum alert_kind kind;
	enum detector_state state;
	double rate;
	unsigned int windows;
	struct detector_window window;
};

static struct alert_subject map_subject(const struct tracked_map *m, enum alert_kind kind)
{
	return (struct alert_subject){ .m = m,
				       .kind = kind,
				       .state = m->verdict.rules[kind].state,
				       .rate = m->verdict.rate,
				       .windows = m->verdict.windows,
				       .window = m->verdict.series.last };
}

static struct alert_subject group_subject(const struct report_alert_printer *p,
					  const struct site_group *g, enum alert_kind kind)
{
	struct alert_subject s = { .m = registry_find(p->reg, g->biggest[0]),
				   .g = g,
				   .kind = kind,
				   .state = g->rules[kind].state,
				   .rate = g->rate,
				   .windows = g->windows,
				   .window = g->last };
	uint64_t net = g->last.last > g->last.first ? g->last.last - g->last.first : 0;

	/* The window in entries, as a map's: the members' total now, and that less their gain. */
	s.window.last = g->entries;
	s.window.first = g->entries > net ? g->entries - net : 0;
	return s;
}

/* Shown as one map: a map's own rule, or a group of one whose member is known. */
static bool as_one_map(const struct alert_subject *s)
{
	return s->m && (!s->g || s->g->members == 1);
}

static uint64_t subject_type(const struct alert_subject *s)
{
	return s->g ? s->g->key.type : s->m->id.type;
}

static int subject_created(const struct alert_subject *s)
{
	if (s->g && s->g->create_site != REGISTRY_NO_SITE)
		return s->g->create_site;
	return s->m ? s->m->origin.create_site : REGISTRY_NO_SITE;
}

/* Where it was filled: for a map of maps, where its inner maps grew, if any did. */
static int subject_filled(const struct alert_subject *s)
{
	if (s->g)
		return s->g->key.site;
	if (s->kind == ALERT_NESTED && s->m->origin.inner_fill_site != REGISTRY_NO_SITE)
		return s->m->origin.inner_fill_site;
	return s->m->origin.fill_site;
}

static int subject_keys(const struct alert_subject *s, const char (**keys)[REGISTRY_KEY_LEN])
{
	if (s->g) {
		*keys = s->g->keys;
		return s->g->nkeys;
	}
	*keys = s->m->verdict.keys;
	return s->m->verdict.nkeys;
}

static void print_map_fields(const struct report_alert_printer *p, const struct alert_subject *s)
{
	const struct tracked_map *m = s->m;
	char bytes[32];

	switch (s->kind) {
	case ALERT_NESTED:
		human_bytes(m->nested.totals.bytes, bytes, sizeof(bytes));
		fprintf(p->out,
			" inner_maps=%" PRIu64 " inner_entries=%" PRIu64 " (%+.0f/s) inner_bytes=%s"
			" entries=%" PRIu64,
			m->nested.totals.maps, m->nested.totals.entries, s->rate, bytes,
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
			s->rate, bytes);
	}
}

static void print_group_fields(const struct report_alert_printer *p, const struct alert_subject *s)
{
	const struct site_group *g = s->g;
	char bytes[32];

	human_bytes(g->bytes, bytes, sizeof(bytes));
	fprintf(p->out, " maps=%" PRIu32 " entries=%" PRIu64 " (%+.0f/s) bytes=%s", g->members,
		g->entries, s->rate, bytes);
}

/* The members with most entries, and that no tracked map of maps holds them. */
static void print_group_members(const struct report_alert_printer *p, const struct alert_subject *s)
{
	int i;

	fputs(" outer=? biggest=", p->out);
	for (i = 0; i < GROUPS_BIGGEST && s->g->biggest[i]; i++)
		fprintf(p->out, "%s0x%" PRIx64, i ? "," : "", s->g->biggest[i]);
}

static void print_keys_text(const struct report_alert_printer *p, const struct alert_subject *s)
{
	const char(*keys)[REGISTRY_KEY_LEN];
	int i, n = subject_keys(s, &keys);

	if (n <= 0)
		return;
	fputs(" keys=", p->out);
	for (i = 0; i < n; i++)
		fprintf(p->out, "%s%s", i ? "," : "", keys[i]);
}

/*
 * The busiest inserting and deleting sites, estimated from the governor's
 * bursts over the map's last window: "inserts=+2010/s at SITE".
 */
static void print_ops_text(const struct report_alert_printer *p, const struct tracked_map *m)
{
	static const struct {
		uint32_t op;
		const char *label;
		char sign;
	} shown[] = { { GML_OP_INSERT, "inserts", '+' }, { GML_OP_DELETE, "deletes", '-' } };
	const struct registry_site *site;
	const struct map_op_slot *slot;
	size_t i;

	for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		slot = op_estimates_busiest(&m->ops, shown[i].op);
		site = slot ? registry_site(p->reg, slot->site) : NULL;
		if (!site)
			continue;
		fprintf(p->out, " %s=%c%.0f/s at ", shown[i].label, shown[i].sign, slot->rate);
		symbolize_print_short(p->out, &site->pos);
	}
}

/* "TYPE map=0x... fields created= filled=", or a group's "TYPE maps=N ... outer=? biggest=". */
static void print_subject(const struct report_alert_printer *p, const struct alert_subject *s)
{
	char type[TYPE_NAME_MAX];

	type_name(p, subject_type(s), type, sizeof(type));
	if (as_one_map(s)) {
		fprintf(p->out, " %s map=0x%" PRIx64, type, s->m->id.addr);
		print_map_fields(p, s);
	} else {
		fprintf(p->out, " %s", type);
		print_group_fields(p, s);
	}
	print_site(p, "created", subject_created(s));
	print_site(p, "filled", subject_filled(s));
	if (as_one_map(s))
		print_ops_text(p, s->m);
	else
		print_group_members(p, s);
}

/* pid=N comm=NAME [container=ID]: text, with a space before. */
static void print_process_text(const struct report_alert_printer *p, FILE *out)
{
	const struct report_process_label *l = p->process;

	if (!l)
		return;
	fprintf(out, " pid=%d comm=%s", l->pid, l->comm);
	if (l->container[0])
		fprintf(out, " container=%.12s", l->container);
}

/* ,"pid":N,"comm":"NAME"[,"container":"ID"]: JSON fields. */
static void print_process_json(const struct report_alert_printer *p, FILE *out)
{
	const struct report_process_label *l = p->process;

	if (!l)
		return;
	fprintf(out, ",\"pid\":%d,\"comm\":", l->pid);
	json_string(out, l->comm);
	if (l->container[0]) {
		fputs(",\"container\":", out);
		json_string(out, l->container);
	}
}

static void alert_print_text(struct report_alert_printer *p, const struct alert_subject *s)
{
	char when[16];

	now_hms(when, sizeof(when));
	fprintf(p->out, "%s %s%-8s%s %-6s", when, p->colour ? state_colour(s->state) : "",
		detector_state_name(s->state), p->colour ? COLOUR_RESET : "",
		detector_kind_name(s->kind));
	print_process_text(p, p->out);
	print_subject(p, s);
	print_keys_text(p, s);
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

static void json_map_numbers(const struct report_alert_printer *p, const struct alert_subject *s)
{
	const struct tracked_map *m = s->m;

	fprintf(p->out,
		",\"entries\":%" PRIu64 ",\"peak\":%" PRIu64 ",\"capacity\":%" PRIu64
		",\"bytes\":%" PRIu64 ",\"rate\":%.1f,\"grows\":%" PRIu64,
		m->sample.hdr.count, m->sample.peak, m->sample.hdr.capacity, m->sample.bytes,
		s->rate, m->sample.grows);
	if (p->census->layout->impl == GO_MAP_CLASSIC)
		fprintf(p->out, ",\"B\":%u,\"overflow\":%u,\"same_size_grows\":%u", m->sample.hdr.b,
			m->sample.hdr.noverflow, m->sample.same_size_grows);
	if (s->kind == ALERT_NESTED)
		fprintf(p->out,
			",\"inner\":{\"maps\":%" PRIu64 ",\"sampled\":%" PRIu64
			",\"entries\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
			m->nested.totals.maps, m->nested.totals.sampled, m->nested.totals.entries,
			m->nested.totals.bytes);
}

/* Every (site, operation) with an estimated rate: "ops":[{"op":"insert","rate":...}]. */
static void json_ops(const struct report_alert_printer *p, const struct tracked_map *m)
{
	static const char *const names[REGISTRY_OP_KINDS] = {
		[GML_OP_INSERT] = "insert",
		[GML_OP_DELETE] = "delete",
		[GML_OP_CLEAR] = "clear",
		[GML_OP_OVERFLOW] = "overflow",
	};
	bool first = true;
	int i;

	fputs(",\"ops\":[", p->out);
	for (i = 0; i < REGISTRY_OP_SLOTS; i++) {
		const struct map_op_slot *slot = &m->ops.slots[i];

		if (slot->site == REGISTRY_NO_SITE || slot->rate < 0 || !names[slot->op])
			continue;
		fprintf(p->out, "%s{\"op\":\"%s\",\"rate\":%.1f,\"error\":%.1f,\"estimated\":%s",
			first ? "" : ",", names[slot->op], slot->rate, slot->error,
			p->census->estimates ? "true" : "false");
		json_site(p, "site", slot->site);
		fputc('}', p->out);
		first = false;
	}
	fputc(']', p->out);
}

static void json_group(const struct report_alert_printer *p, const struct alert_subject *s)
{
	const struct site_group *g = s->g;
	int i;

	if (!as_one_map(s))
		fprintf(p->out, ",\"entries\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"rate\":%.1f",
			g->entries, g->bytes, s->rate);
	fprintf(p->out, ",\"group\":{\"maps\":%" PRIu32 ",\"outer\":null,\"biggest\":[",
		g->members);
	for (i = 0; i < GROUPS_BIGGEST && g->biggest[i]; i++)
		fprintf(p->out, "%s{\"map\":\"0x%" PRIx64 "\",\"entries\":%" PRIu64 "}",
			i ? "," : "", g->biggest[i], g->biggest_entries[i]);
	fputs("]}", p->out);
}

/* The fields alert and sample objects share. */
static void json_subject_fields(const struct report_alert_printer *p, const struct alert_subject *s)
{
	const char(*keys)[REGISTRY_KEY_LEN];
	char type[TYPE_NAME_MAX];
	int i, n;

	type_name(p, subject_type(s), type, sizeof(type));
	fprintf(p->out,
		",\"kind\":\"%s\",\"map\":\"0x%" PRIx64 "\",\"type\":", detector_kind_name(s->kind),
		s->m ? s->m->id.addr : s->g->biggest[0]);
	json_string(p->out, type);
	if (as_one_map(s)) {
		json_map_numbers(p, s);
		json_ops(p, s->m);
	}
	if (s->g)
		json_group(p, s);
	json_site(p, "created", subject_created(s));
	json_site(p, "filled", subject_filled(s));
	fputs(",\"keys\":[", p->out);
	n = subject_keys(s, &keys);
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', p->out);
		json_string(p->out, keys[i]);
	}
	fputc(']', p->out);
}

static void alert_print_json(struct report_alert_printer *p, const struct alert_subject *s,
			     enum detector_state before)
{
	fprintf(p->out, "{\"event\":\"alert\",\"time\":%ld,\"state\":\"%s\",\"previous\":\"%s\"",
		(long)time(NULL), detector_state_name(s->state), detector_state_name(before));
	print_process_json(p, p->out);
	json_subject_fields(p, s);
	fprintf(p->out,
		",\"window\":%u,\"window_rises\":%u,\"window_first\":%" PRIu64
		",\"window_last\":%" PRIu64 "}\n",
		s->windows, s->window.rises, s->window.first, s->window.last);
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
	struct alert_subject s = map_subject(m, kind);

	alert_print(p, &s, before);
}

void report_group_alert(struct report_alert_printer *p, const struct site_group *g,
			enum alert_kind kind, enum detector_state before)
{
	struct alert_subject s = group_subject(p, g, kind);

	alert_print(p, &s, before);
}

static const int state_rank[] = {
	[DETECTOR_QUIET] = 0, [DETECTOR_RESOLVED] = 1, [DETECTOR_SUSPECT] = 2, [DETECTOR_LEAK] = 3
};

/*
 * A map as a row: under its most alarming rule, or nested for a quiet map of
 * maps; a map that is its group's only member also under the group's rule.
 */
static struct alert_subject map_row(const struct report_alert_printer *p,
				    const struct tracked_map *m)
{
	enum alert_kind worst = detector_worst_rule(m->verdict.rules);
	const struct site_group *g = groups_get(&p->census->groups, m->member.group);
	struct alert_subject s;

	if (m->verdict.rules[worst].state == DETECTOR_QUIET && m->nested.totals.maps)
		worst = ALERT_NESTED;
	s = map_subject(m, worst);
	if (g && g->members == 1 && state_rank[g->rules[ALERT_GROWTH].state] >= state_rank[s.state])
		s = group_subject(p, g, ALERT_GROWTH);
	return s;
}

static bool in_a_bigger_group(const struct report_alert_printer *p, const struct tracked_map *m)
{
	const struct site_group *g = groups_get(&p->census->groups, m->member.group);

	return g && g->members > 1;
}

/*
 * What --top, the samples and the summary list: every map at the top level
 * (a member of a bigger group only when a rule of its own alerts), and every
 * group of more than one map.
 */
static struct alert_subject *list_rows(const struct report_alert_printer *p, uint32_t *n)
{
	const struct site_groups *gs = &p->census->groups;
	struct alert_subject *rows = malloc((p->reg->nmaps + gs->high + 1) * sizeof(*rows));
	const struct tracked_map *m;
	uint32_t i;

	*n = 0;
	if (!rows)
		return NULL;
	for (i = 0; i < p->reg->nmaps; i++) {
		m = &p->reg->maps[i];
		if (m->id.parent || !m->sample.sampled)
			continue;
		rows[*n] = map_row(p, m);
		if (!in_a_bigger_group(p, m) || rows[*n].state != DETECTOR_QUIET)
			(*n)++;
	}
	for (i = 0; i < gs->high; i++)
		if (gs->groups[i].used && gs->groups[i].members > 1)
			rows[(*n)++] = group_subject(p, &gs->groups[i], ALERT_GROWTH);
	return rows;
}

static bool alerting(const struct alert_subject *s)
{
	return s->state == DETECTOR_SUSPECT || s->state == DETECTOR_LEAK;
}

void report_alert_samples(struct report_alert_printer *p)
{
	struct alert_subject *rows;
	uint32_t i, n;

	rows = list_rows(p, &n);
	for (i = 0; rows && i < n; i++) {
		if (!alerting(&rows[i]))
			continue;
		fprintf(p->out, "{\"event\":\"sample\",\"time\":%ld,\"state\":\"%s\"",
			(long)time(NULL), detector_state_name(rows[i].state));
		print_process_json(p, p->out);
		json_subject_fields(p, &rows[i]);
		fputs("}\n", p->out);
	}
	free(rows);
}

/* The value a row is ranked by after its rate: entries, inner entries for a map of maps. */
static uint64_t row_value(const struct alert_subject *s)
{
	if (!as_one_map(s))
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

	type_name(p, subject_type(s), type, sizeof(type));
	if (as_one_map(s)) {
		snprintf(label, sizeof(label), "%s", type);
		b = s->kind == ALERT_NESTED ? s->m->nested.totals.bytes : s->m->sample.bytes;
	} else {
		snprintf(label, sizeof(label), "%" PRIu32 " x %s", s->g->members, type);
		b = s->g->bytes;
	}
	human_bytes(b, bytes, sizeof(bytes));
	fprintf(p->out, "%-8s %-6s %12" PRIu64 " %10.0f %10s  %-32.32s ",
		detector_state_name(s->state), detector_kind_name(s->kind), row_value(s), s->rate,
		bytes, label);
	print_site(p, "at", subject_filled(s));
	fputc('\n', p->out);
}

void report_alert_top(struct report_alert_printer *p, int rows, bool redraw)
{
	struct alert_subject *order;
	char when[16];
	uint32_t i, n;

	order = list_rows(p, &n);
	if (!order)
		return;
	qsort(order, n, sizeof(*order), by_rate_desc);
	now_hms(when, sizeof(when));
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

static void summary_json(struct report_alert_printer *p, FILE *out, const struct report_totals *t)
{
	enum alert_kind k;

	fprintf(out,
		"{\"event\":\"summary\",\"seconds\":%.1f,\"reason\":\"%s\",\"events\":%" PRIu64
		",\"events_lost\":%" PRIu64 ",\"maps_tracked\":%u,\"maps_seen\":%" PRIu64
		",\"maps_dropped\":%" PRIu64 ",\"small_maps\":%" PRIu64 ",\"rounds\":%" PRIu64
		",\"leaks\":%" PRIu64,
		t->seconds, t->stop_reason, t->events, t->events_lost, p->reg->nmaps,
		p->reg->maps_seen, p->reg->maps_dropped, p->reg->small_maps, p->census->rounds,
		p->census->stats.leaks);
	print_process_json(p, out);
	fputs(",\"alerts\":{", out);
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
	struct alert_subject *rows;
	FILE *saved = p->out;
	uint32_t i, n;

	if (p->json) {
		summary_json(p, out, t);
		return;
	}
	fputs("gomapleak:", out);
	print_process_text(p, out);
	fprintf(out,
		" detached after %.1fs (%s); %" PRIu64 " events, %" PRIu64 " lost; %" PRIu64
		" maps tracked, %" PRIu64 " small maps made; %" PRIu64 " LEAK alerts\n",
		t->seconds, t->stop_reason, t->events, t->events_lost, p->reg->maps_seen,
		p->reg->small_maps, p->census->stats.leaks);
	p->out = out;
	rows = list_rows(p, &n);
	for (i = 0; rows && i < n; i++) {
		if (rows[i].state == DETECTOR_QUIET)
			continue;
		fprintf(out, "gomapleak:   %-8s %-6s", detector_state_name(rows[i].state),
			detector_kind_name(rows[i].kind));
		print_process_text(p, out);
		print_subject(p, &rows[i]);
		fputc('\n', out);
	}
	free(rows);
	p->out = saved;
}
