// SPDX-License-Identifier: GPL-2.0
#include "report_subject.h"

#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include "symbolize.h"

void subject_type_name(const struct report_alert_printer *p, uint64_t type, char *buf, size_t len)
{
	if (!type || gotypes_name(p->types, type - p->load_bias, buf, len))
		snprintf(buf, len, "?");
}

void report_human_bytes(uint64_t n, char *buf, size_t len)
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

void report_now_hms(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

void subject_print_site(const struct report_alert_printer *p, const char *label, int site)
{
	const struct registry_site *s = registry_site(p->reg, site);

	fprintf(p->out, " %s=", label);
	if (s)
		symbolize_print_short(p->out, &s->pos);
	else
		fputc('?', p->out);
}

struct alert_subject subject_of_map(const struct tracked_map *m, enum alert_kind kind)
{
	return (struct alert_subject){ .m = m,
				       .kind = kind,
				       .state = m->verdict.rules[kind].state,
				       .rate = m->verdict.rate,
				       .windows = m->verdict.windows,
				       .window = m->verdict.series.last };
}

struct alert_subject subject_of_group(const struct report_alert_printer *p,
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
bool subject_as_one_map(const struct alert_subject *s)
{
	return s->m && (!s->g || s->g->members == 1);
}

uint64_t subject_type(const struct alert_subject *s)
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
int subject_filled(const struct alert_subject *s)
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
		report_human_bytes(m->nested.totals.bytes, bytes, sizeof(bytes));
		fprintf(p->out,
			" inner_maps=%" PRIu64 " inner_entries=%" PRIu64 " (%+.0f/s) inner_bytes=%s"
			" entries=%" PRIu64,
			m->nested.totals.maps, m->nested.totals.entries, s->rate, bytes,
			m->sample.hdr.count);
		break;
	case ALERT_BLOAT:
		report_human_bytes(m->sample.bytes, bytes, sizeof(bytes));
		fprintf(p->out, " entries=%" PRIu64 " peak=%" PRIu64 " retained=%s",
			m->sample.hdr.count, m->sample.peak, bytes);
		break;
	case ALERT_CHURN:
		report_human_bytes(m->sample.bytes, bytes, sizeof(bytes));
		fprintf(p->out, " entries=%" PRIu64 " B=%u overflow=%u same_size_grows=%u bytes=%s",
			m->sample.hdr.count, m->sample.hdr.b, m->sample.hdr.noverflow,
			m->sample.same_size_grows, bytes);
		break;
	default:
		report_human_bytes(m->sample.bytes, bytes, sizeof(bytes));
		fprintf(p->out, " entries=%" PRIu64 " (%+.0f/s) bytes=%s", m->sample.hdr.count,
			s->rate, bytes);
	}
}

static void print_group_fields(const struct report_alert_printer *p, const struct alert_subject *s)
{
	const struct site_group *g = s->g;
	char bytes[32];

	report_human_bytes(g->bytes, bytes, sizeof(bytes));
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

void subject_print_keys(const struct report_alert_printer *p, const struct alert_subject *s)
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
void subject_print(const struct report_alert_printer *p, const struct alert_subject *s)
{
	char type[TYPE_NAME_MAX];

	subject_type_name(p, subject_type(s), type, sizeof(type));
	if (subject_as_one_map(s)) {
		fprintf(p->out, " %s map=0x%" PRIx64, type, s->m->id.addr);
		print_map_fields(p, s);
	} else {
		fprintf(p->out, " %s", type);
		print_group_fields(p, s);
	}
	subject_print_site(p, "created", subject_created(s));
	subject_print_site(p, "filled", subject_filled(s));
	if (subject_as_one_map(s))
		print_ops_text(p, s->m);
	else
		print_group_members(p, s);
}

/* pid=N comm=NAME [container=ID]: text, with a space before. */
void report_print_process(const struct report_alert_printer *p, FILE *out)
{
	const struct report_process_label *l = p->process;

	if (!l)
		return;
	fprintf(out, " pid=%d comm=%s", l->pid, l->comm);
	if (l->container[0])
		fprintf(out, " container=%.12s", l->container);
}

/* "pid", "comm" and "container" fields. */
void report_json_process(struct json_writer *w, const struct report_alert_printer *p)
{
	const struct report_process_label *l = p->process;

	if (!l)
		return;
	json_field_i64(w, "pid", l->pid);
	json_field_str(w, "comm", l->comm);
	if (l->container[0])
		json_field_str(w, "container", l->container);
}

/* "label":{"func":...,"file":...,"line":N}, or null where unknown. */
static void json_site(struct json_writer *w, const struct report_alert_printer *p,
		      const char *label, int site)
{
	const struct registry_site *s = registry_site(p->reg, site);

	json_key(w, label);
	if (!s) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_field_str(w, "func", go_pos_func(&s->pos));
	json_field_str(w, "file", s->pos.file);
	json_field_i64(w, "line", s->pos.line);
	json_object_end(w);
}

static void json_map_numbers(struct json_writer *w, const struct report_alert_printer *p,
			     const struct alert_subject *s)
{
	const struct tracked_map *m = s->m;

	json_field_u64(w, "entries", m->sample.hdr.count);
	json_field_u64(w, "peak", m->sample.peak);
	json_field_u64(w, "capacity", m->sample.hdr.capacity);
	json_field_u64(w, "bytes", m->sample.bytes);
	json_field_double(w, "rate", s->rate, 1);
	json_field_u64(w, "grows", m->sample.grows);
	if (p->census->layout->impl == GO_MAP_CLASSIC) {
		json_field_u64(w, "B", m->sample.hdr.b);
		json_field_u64(w, "overflow", m->sample.hdr.noverflow);
		json_field_u64(w, "same_size_grows", m->sample.same_size_grows);
	}
	if (s->kind != ALERT_NESTED)
		return;
	json_key(w, "inner");
	json_object_begin(w);
	json_field_u64(w, "maps", m->nested.totals.maps);
	json_field_u64(w, "sampled", m->nested.totals.sampled);
	json_field_u64(w, "entries", m->nested.totals.entries);
	json_field_u64(w, "bytes", m->nested.totals.bytes);
	json_object_end(w);
}

/* Every (site, operation) with an estimated rate: "ops":[{"op":"insert","rate":...}]. */
static void json_ops(struct json_writer *w, const struct report_alert_printer *p,
		     const struct tracked_map *m)
{
	static const char *const names[REGISTRY_OP_KINDS] = {
		[GML_OP_INSERT] = "insert",
		[GML_OP_DELETE] = "delete",
		[GML_OP_CLEAR] = "clear",
		[GML_OP_OVERFLOW] = "overflow",
	};
	int i;

	json_key(w, "ops");
	json_array_begin(w);
	for (i = 0; i < REGISTRY_OP_SLOTS; i++) {
		const struct map_op_slot *slot = &m->ops.slots[i];

		if (slot->site == REGISTRY_NO_SITE || slot->rate < 0 || !names[slot->op])
			continue;
		json_object_begin(w);
		json_field_str(w, "op", names[slot->op]);
		json_field_double(w, "rate", slot->rate, 1);
		json_field_double(w, "error", slot->error, 1);
		json_field_bool(w, "estimated", p->census->estimates);
		json_site(w, p, "site", slot->site);
		json_object_end(w);
	}
	json_array_end(w);
}

static void json_group(struct json_writer *w, const struct alert_subject *s)
{
	const struct site_group *g = s->g;
	int i;

	if (!subject_as_one_map(s)) {
		json_field_u64(w, "entries", g->entries);
		json_field_u64(w, "bytes", g->bytes);
		json_field_double(w, "rate", s->rate, 1);
	}
	json_key(w, "group");
	json_object_begin(w);
	json_field_u64(w, "maps", g->members);
	json_key(w, "outer");
	json_null(w);
	json_key(w, "biggest");
	json_array_begin(w);
	for (i = 0; i < GROUPS_BIGGEST && g->biggest[i]; i++) {
		json_object_begin(w);
		json_field_hex(w, "map", g->biggest[i]);
		json_field_u64(w, "entries", g->biggest_entries[i]);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
}

void subject_json(struct json_writer *w, const struct report_alert_printer *p,
		  const struct alert_subject *s)
{
	const char(*keys)[REGISTRY_KEY_LEN];
	char type[TYPE_NAME_MAX];
	int i, n;

	subject_type_name(p, subject_type(s), type, sizeof(type));
	json_field_str(w, "kind", detector_kind_name(s->kind));
	json_field_hex(w, "map", s->m ? s->m->id.addr : s->g->biggest[0]);
	json_field_str(w, "type", type);
	if (subject_as_one_map(s)) {
		json_map_numbers(w, p, s);
		json_ops(w, p, s->m);
	}
	if (s->g)
		json_group(w, s);
	json_site(w, p, "created", subject_created(s));
	json_site(w, p, "filled", subject_filled(s));
	json_key(w, "keys");
	json_array_begin(w);
	n = subject_keys(s, &keys);
	for (i = 0; i < n; i++)
		json_str(w, keys[i]);
	json_array_end(w);
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
	s = subject_of_map(m, worst);
	if (g && g->members == 1 && state_rank[g->rules[ALERT_GROWTH].state] >= state_rank[s.state])
		s = subject_of_group(p, g, ALERT_GROWTH);
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
struct alert_subject *subject_rows(const struct report_alert_printer *p, uint32_t *n)
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
			rows[(*n)++] = subject_of_group(p, &gs->groups[i], ALERT_GROWTH);
	return rows;
}

bool subject_alerting(const struct alert_subject *s)
{
	return s->state == DETECTOR_SUSPECT || s->state == DETECTOR_LEAK;
}
