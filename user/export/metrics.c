// SPDX-License-Identifier: GPL-2.0
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "symbolize.h"
#include "utf8.h"

/* Open addressing over pairs by (site, type): twice the pairs, a power of two. */
#define PAIR_INDEX_SIZE (2 * METRICS_MAX_PAIRS)

struct metric_family {
	const char *name, *type, *help;
};

static const struct metric_family counter_families[METRIC_COUNTERS] = {
	[METRIC_GROWS] = { "gomapleak_map_grows_total", "counter",
			   "Map growths (a classic map's bucket array doubled or compacted, a Swiss "
			   "map's table grown or split), by the code that grew the map and its type" },
	[METRIC_CREATIONS] = { "gomapleak_map_creations_total", "counter",
			       "Maps made, by the code that made them and their type, while the "
			       "creation probes are attached" },
};

static const struct metric_family gauge_families[METRIC_GAUGES] = {
	[METRIC_MAPS] = { "gomapleak_maps", "gauge",
			  "Maps tracked at the top level (grown past 8 entries, or maps of maps), "
			  "by the code that last grew them and their type" },
	[METRIC_ENTRIES] = { "gomapleak_map_entries", "gauge",
			     "Entries in those maps at the last sample" },
	[METRIC_BYTES] = { "gomapleak_map_bytes", "gauge",
			   "Estimated bytes those maps hold, their inner maps included" },
	[METRIC_OVERFLOW] = { "gomapleak_map_overflow_buckets", "gauge",
			      "Overflow buckets of those maps (classic maps only)" },
	[METRIC_INNER_MAPS] = { "gomapleak_inner_maps", "gauge",
				"Inner maps found in those maps (maps of maps, all levels)" },
	[METRIC_INNER_ENTRIES] = { "gomapleak_inner_map_entries", "gauge",
				   "Entries of the innermost maps of those maps of maps" },
};

static const struct metric_family op_families[METRIC_OPS] = {
	[METRIC_INSERTS] = { "gomapleak_map_inserts_total", "counter",
			     "Map inserts and updates, by calling site (--exact only)" },
	[METRIC_DELETES] = { "gomapleak_map_deletes_total", "counter",
			     "Map deletes, by calling site (--exact only)" },
	[METRIC_CLEARS] = { "gomapleak_map_clears_total", "counter",
			    "clear(m) and delete-all loops, by calling site (--exact only)" },
	[METRIC_OVERFLOW_BUCKETS] = { "gomapleak_overflow_buckets_total", "counter",
				      "Classic overflow buckets allocated, by the site of the "
				      "insert (--exact only)" },
};

int metrics_init(struct metrics *m, const struct registry *reg, const struct gotypes *types,
		 uint64_t load_bias)
{
	memset(m, 0, sizeof(*m));
	m->reg = reg;
	m->types = types;
	m->load_bias = load_bias;
	m->pairs = calloc(METRICS_MAX_PAIRS, sizeof(*m->pairs));
	m->index = malloc(PAIR_INDEX_SIZE * sizeof(*m->index));
	m->op_sites = calloc(METRICS_MAX_SERIES, sizeof(*m->op_sites));
	if (!m->pairs || !m->index || !m->op_sites) {
		metrics_free(m);
		return -ENOMEM;
	}
	memset(m->index, 0xff, PAIR_INDEX_SIZE * sizeof(*m->index));
	return 0;
}

void metrics_free(struct metrics *m)
{
	free(m->pairs);
	free(m->index);
	free(m->op_sites);
	memset(m, 0, sizeof(*m));
}

static uint32_t pair_hash(int site, uint64_t type)
{
	return hash_u64(type ^ ((uint64_t)(uint32_t)site << 32)) & (PAIR_INDEX_SIZE - 1);
}

/* The pair's entry, added if new; NULL when the table is full. */
static struct metrics_pair *pair_get(struct metrics *m, int site, uint64_t type)
{
	uint32_t i = pair_hash(site, type);
	struct metrics_pair *p;

	for (; m->index[i] >= 0; i = (i + 1) & (PAIR_INDEX_SIZE - 1)) {
		p = &m->pairs[m->index[i]];
		if (p->site == site && p->type == type)
			return p;
	}
	if (m->npairs == METRICS_MAX_PAIRS)
		return NULL;
	p = &m->pairs[m->npairs];
	p->site = site;
	p->type = type;
	/* Series are handed out first come until the cap; refresh re-ranks. */
	p->exported = m->nexported < METRICS_MAX_SERIES;
	m->nexported += p->exported;
	m->index[i] = m->npairs++;
	return p;
}

void metrics_count(struct metrics *m, enum metrics_counter counter, int site, uint64_t type)
{
	struct metrics_pair *p = pair_get(m, site, type);

	if (!p) {
		m->other[counter]++;
		return;
	}
	p->seen++;
	if (p->exported)
		p->counted[counter]++;
	else
		m->other[counter]++;
}

static void add_map_gauges(struct metrics *m, const struct tracked_map *t)
{
	int site = t->origin.fill_site != REGISTRY_NO_SITE ? t->origin.fill_site
							   : t->origin.create_site;
	struct metrics_pair *p = pair_get(m, site, t->id.type);
	uint64_t *g = p ? p->gauge : m->other_gauge;

	g[METRIC_MAPS]++;
	g[METRIC_ENTRIES] += t->sample.hdr.count;
	g[METRIC_BYTES] += t->sample.bytes + t->nested.totals.bytes;
	g[METRIC_OVERFLOW] += t->sample.hdr.noverflow;
	g[METRIC_INNER_MAPS] += t->nested.totals.maps;
	g[METRIC_INNER_ENTRIES] += t->nested.totals.entries;
}

struct rank {
	uint64_t seen, bytes;
	int pair;
};

static int compare_rank(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->seen != y->seen)
		return x->seen < y->seen ? 1 : -1;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return x->pair - y->pair;
}

/*
 * The busiest pairs (most events, then most bytes) get series of their own.
 * A pair that loses its series and later regains it starts again from 0,
 * which Prometheus reads as a counter reset; "other" only ever adds, so it
 * never goes backwards.
 */
static void rank_pairs(struct metrics *m)
{
	struct rank *order = malloc((size_t)m->npairs * sizeof(*order) + 1);
	int i;

	if (!order)
		return; /* keep the current ranking */
	for (i = 0; i < m->npairs; i++)
		order[i] = (struct rank){ .seen = m->pairs[i].seen,
					  .bytes = m->pairs[i].gauge[METRIC_BYTES],
					  .pair = i };
	qsort(order, (size_t)m->npairs, sizeof(*order), compare_rank);
	m->nexported = 0;
	for (i = 0; i < m->npairs; i++) {
		struct metrics_pair *p = &m->pairs[order[i].pair];
		bool exported = i < METRICS_MAX_SERIES;

		if (p->exported && !exported)
			memset(p->counted, 0, sizeof(p->counted));
		p->exported = exported;
		m->nexported += exported;
	}
	free(order);
}

void metrics_refresh(struct metrics *m)
{
	uint32_t i;
	int j;

	for (j = 0; j < m->npairs; j++)
		memset(m->pairs[j].gauge, 0, sizeof(m->pairs[j].gauge));
	memset(m->other_gauge, 0, sizeof(m->other_gauge));
	for (i = 0; i < m->reg->nmaps; i++) {
		const struct tracked_map *t = &m->reg->maps[i];

		/* Inner maps are counted through their outer map; stale copies not at all. */
		if (t->sample.sampled && !t->id.parent && !t->id.shadow)
			add_map_gauges(m, t);
	}
	rank_pairs(m);
}

void metrics_ops_begin(struct metrics *m)
{
	int i;

	for (i = 0; i < m->nop_sites; i++)
		memset(m->op_sites[i].now, 0, sizeof(m->op_sites[i].now));
	memset(m->op_other_now, 0, sizeof(m->op_other_now));
}

void metrics_ops_add(struct metrics *m, enum metrics_op op, int site, uint64_t count)
{
	int i;

	for (i = 0; i < m->nop_sites && m->op_sites[i].site != site; i++)
		;
	if (i == m->nop_sites && m->nop_sites < METRICS_MAX_SERIES) {
		m->op_sites[i].site = site;
		m->nop_sites++;
	}
	if (i < m->nop_sites)
		m->op_sites[i].now[op] += count;
	else
		m->op_other_now[op] += count;
}

/*
 * The BPF operation counters live in an LRU table: an entry evicted takes
 * its count with it, so a sum can fall. Exported values never do.
 */
void metrics_ops_end(struct metrics *m)
{
	int i, op;

	for (op = 0; op < METRIC_OPS; op++) {
		for (i = 0; i < m->nop_sites; i++)
			if (m->op_sites[i].now[op] > m->op_sites[i].exported[op])
				m->op_sites[i].exported[op] = m->op_sites[i].now[op];
		if (m->op_other_now[op] > m->op_other[op])
			m->op_other[op] = m->op_other_now[op];
	}
}

void metrics_print_label_value(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), used = 0, len;

	while (n) {
		len = utf8_sequence(p, n);
		if (used + (len ? len : 1) > METRICS_LABEL_MAX) {
			fputs("...", out);
			return;
		}
		if (!len) {
			fputc('?', out); /* label values must be UTF-8 */
			len = 1;
		} else if (*p == '\\') {
			fputs("\\\\", out);
		} else if (*p == '"') {
			fputs("\\\"", out);
		} else if (*p == '\n') {
			fputs("\\n", out);
		} else {
			fwrite(p, 1, len, out);
		}
		used += len;
		p += len;
		n -= len;
	}
}

/* Escaped label values: each byte may double, and "..." may follow. */
#define LABEL_ESCAPED_MAX (2 * METRICS_LABEL_MAX + 8)

struct row {
	char site[LABEL_ESCAPED_MAX], type[LABEL_ESCAPED_MAX];
	uint64_t counted[METRIC_COUNTERS];
	uint64_t gauge[METRIC_GAUGES];
	uint64_t ops[METRIC_OPS];
};

static void escape_label(char *buf, size_t size, const char *s)
{
	FILE *f = fmemopen(buf, size, "w");

	buf[0] = 0;
	if (!f)
		return;
	metrics_print_label_value(f, s);
	fclose(f);
}

/* "func file.go:line", as alerts show a site. */
static void site_label(const struct metrics *m, int site, char *buf, size_t size)
{
	const struct registry_site *s = registry_site(m->reg, site);
	char raw[2 * METRICS_LABEL_MAX];

	if (!s) {
		escape_label(buf, size, "unknown");
		return;
	}
	symbolize_format_short(&s->pos, raw, sizeof(raw));
	escape_label(buf, size, raw);
}

static void type_label(const struct metrics *m, uint64_t type, char *buf, size_t size)
{
	char raw[2 * METRICS_LABEL_MAX];

	if (!type || gotypes_name(m->types, type - m->load_bias, raw, sizeof(raw)))
		snprintf(raw, sizeof(raw), "unknown");
	escape_label(buf, size, raw);
}

static int row_compare(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->site, y->site);

	return c ? c : strcmp(x->type, y->type);
}

static void row_merge(struct row *into, const struct row *from)
{
	int i;

	for (i = 0; i < METRIC_COUNTERS; i++)
		into->counted[i] += from->counted[i];
	for (i = 0; i < METRIC_GAUGES; i++)
		into->gauge[i] += from->gauge[i];
	for (i = 0; i < METRIC_OPS; i++)
		into->ops[i] += from->ops[i];
}

/* Sorted by labels, two series with the same labels (names can collide once cut) merged. */
static size_t rows_sort_merge(struct row *rows, size_t n)
{
	size_t i, out = 0;

	qsort(rows, n, sizeof(*rows), row_compare);
	for (i = 0; i < n; i++) {
		if (out && !row_compare(&rows[out - 1], &rows[i]))
			row_merge(&rows[out - 1], &rows[i]);
		else if (out++ != i)
			rows[out - 1] = rows[i];
	}
	return out;
}

/* One row a pair with series of its own, then "other" for the rest. */
static size_t pair_rows(const struct metrics *m, struct row *rows)
{
	size_t n = 0;
	int i;

	for (i = 0; i < m->npairs; i++) {
		const struct metrics_pair *p = &m->pairs[i];

		if (!p->exported)
			continue;
		site_label(m, p->site, rows[n].site, sizeof(rows[n].site));
		type_label(m, p->type, rows[n].type, sizeof(rows[n].type));
		memcpy(rows[n].counted, p->counted, sizeof(p->counted));
		memcpy(rows[n].gauge, p->gauge, sizeof(p->gauge));
		n++;
	}
	n = rows_sort_merge(rows, n);
	strcpy(rows[n].site, "other");
	strcpy(rows[n].type, "other");
	memcpy(rows[n].counted, m->other, sizeof(m->other));
	memcpy(rows[n].gauge, m->other_gauge, sizeof(m->other_gauge));
	return n + 1;
}

static size_t op_rows(const struct metrics *m, struct row *rows)
{
	size_t n = 0;
	int i;

	for (i = 0; i < m->nop_sites; i++, n++) {
		site_label(m, m->op_sites[i].site, rows[n].site, sizeof(rows[n].site));
		memcpy(rows[n].ops, m->op_sites[i].exported, sizeof(rows[n].ops));
	}
	n = rows_sort_merge(rows, n);
	strcpy(rows[n].site, "other");
	memcpy(rows[n].ops, m->op_other, sizeof(m->op_other));
	return n + 1;
}

static void print_family(FILE *out, const struct metric_family *f)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
}

static void print_pair_families(FILE *out, const struct row *rows, size_t n)
{
	size_t i;
	int k;

	for (k = 0; k < METRIC_COUNTERS; k++) {
		print_family(out, &counter_families[k]);
		for (i = 0; i < n; i++)
			fprintf(out, "%s{site=\"%s\",map_type=\"%s\"} %" PRIu64 "\n",
				counter_families[k].name, rows[i].site, rows[i].type,
				rows[i].counted[k]);
	}
	for (k = 0; k < METRIC_GAUGES; k++) {
		print_family(out, &gauge_families[k]);
		for (i = 0; i < n; i++)
			fprintf(out, "%s{site=\"%s\",map_type=\"%s\"} %" PRIu64 "\n",
				gauge_families[k].name, rows[i].site, rows[i].type,
				rows[i].gauge[k]);
	}
}

static void print_op_families(FILE *out, const struct row *rows, size_t n)
{
	size_t i;
	int k;

	for (k = 0; k < METRIC_OPS; k++) {
		print_family(out, &op_families[k]);
		for (i = 0; i < n; i++)
			fprintf(out, "%s{site=\"%s\"} %" PRIu64 "\n", op_families[k].name,
				rows[i].site, rows[i].ops[k]);
	}
}

static void print_counter(FILE *out, const char *name, const char *help, uint64_t v)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name, help, name, name,
		v);
}

static void print_seconds(FILE *out, const char *name, const char *help, double v)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s counter\n%s %.6f\n", name, help, name, name, v);
}

static void print_alerts(FILE *out, const struct metrics_process *p)
{
	enum detector_state s;
	int k;

	fputs("# HELP gomapleak_alerts_total Alerts raised, by rule and the state entered\n"
	      "# TYPE gomapleak_alerts_total counter\n",
	      out);
	for (k = 0; k < ALERT_KINDS; k++)
		for (s = DETECTOR_SUSPECT; s <= DETECTOR_RESOLVED; s++)
			fprintf(out,
				"gomapleak_alerts_total{kind=\"%s\",state=\"%s\"} %" PRIu64 "\n",
				detector_kind_name(k), detector_state_name(s),
				p->alerts ? p->alerts->raised[k][s] : 0);
}

/* Hits of each probed function; a function probed at several places is one series. */
static void print_probe_hits(FILE *out, const struct metrics_process *p)
{
	int i, j;

	fputs("# HELP gomapleak_probe_hits_total Uprobe hits, by probed runtime function\n"
	      "# TYPE gomapleak_probe_hits_total counter\n",
	      out);
	for (i = 0; i < p->nprobes; i++) {
		uint64_t hits = 0;

		for (j = 0; j < i && strcmp(p->probe_func[j], p->probe_func[i]); j++)
			;
		if (j < i)
			continue;
		for (j = i; j < p->nprobes; j++)
			if (!strcmp(p->probe_func[j], p->probe_func[i]))
				hits += p->probe_hits[j];
		fputs("gomapleak_probe_hits_total{function=\"", out);
		metrics_print_label_value(out, p->probe_func[i]);
		fprintf(out, "\"} %" PRIu64 "\n", hits);
	}
}

static void print_process(FILE *out, const struct metrics *m, const struct metrics_process *p)
{
	fputs("# HELP gomapleak_target_info The traced process: its Go version and map "
	      "implementation\n# TYPE gomapleak_target_info gauge\n",
	      out);
	fprintf(out, "gomapleak_target_info{pid=\"%u\",go_version=\"", p->pid);
	metrics_print_label_value(out, p->go_version ? p->go_version : "unknown");
	fputs("\",map_impl=\"", out);
	metrics_print_label_value(out, p->map_impl ? p->map_impl : "unknown");
	fputs("\"} 1\n", out);
	print_alerts(out, p);
	print_probe_hits(out, p);
	print_counter(out, "gomapleak_events_total",
		      "Events received from the BPF programs (growths and creations)", p->events);
	print_counter(out, "gomapleak_events_lost_total", "Events the ring buffer had no room for",
		      p->events_lost);
	if (p->ops_probed)
		print_counter(out, "gomapleak_map_operations_lost_total",
			      "Map operations not counted: the BPF counter table was full",
			      p->ops_lost);
	print_counter(out, "gomapleak_small_maps_total",
		      "Swiss maps given their first group (never tracked one by one)",
		      p->small_maps);
	print_counter(out, "gomapleak_untracked_maps_total",
		      "Growing maps not tracked: the registry was full", p->maps_dropped);
	fprintf(out,
		"# HELP gomapleak_tracked_maps Maps the registry follows, inner maps included\n"
		"# TYPE gomapleak_tracked_maps gauge\ngomapleak_tracked_maps %u\n",
		m->reg->nmaps);
	print_seconds(out, "gomapleak_tracer_cpu_seconds_total",
		      "CPU time gomapleak itself used (user and system)", p->tracer_cpu_seconds);
	print_seconds(out, "gomapleak_target_cpu_seconds_total",
		      "CPU time the traced process used (user and system)", p->target_cpu_seconds);
	print_seconds(out, "gomapleak_probe_overhead_seconds_total",
		      "Estimated CPU time the uprobes added to the traced process (hits times "
		      "the measured cost of one hit)",
		      p->probe_overhead_seconds);
}

static const char *const estimated_op_names[REGISTRY_OP_KINDS] = {
	[GML_OP_INSERT] = "insert",
	[GML_OP_DELETE] = "delete",
	[GML_OP_CLEAR] = "clear",
	[GML_OP_OVERFLOW] = "overflow",
};

/*
 * The bursts' estimates: the METRICS_MAX_SERIES busiest (site, operation)
 * pairs, the rest summed as site="other", with their error bounds.
 */
static void print_estimates(FILE *out, const struct metrics *m, const struct metrics_process *p)
{
	static const char *const names[2] = {
		"gomapleak_estimated_map_operations_per_second",
		"gomapleak_estimated_map_operations_error_per_second",
	};
	static const char *const helps[2] = {
		"Map operations a second by calling site over the session, estimated from the "
		"governor's bursts (not counted: docs/governor.md)",
		"The estimate's error bound (about two standard deviations of its count)",
	};
	double other[2][REGISTRY_OP_KINDS] = { { 0 } };
	char label[LABEL_ESCAPED_MAX];
	struct op_site_rate *rows;
	size_t i, n;
	uint32_t op;
	int k;

	rows = op_estimates_by_site(p->estimates, m->reg->nsites, &n);
	for (i = METRICS_MAX_SERIES; i < n; i++) {
		other[0][rows[i].op] += rows[i].rate;
		other[1][rows[i].op] += rows[i].error > 0 ? rows[i].error : 0;
	}
	for (k = 0; k < 2; k++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", names[k], helps[k], names[k]);
		for (i = 0; i < n && i < METRICS_MAX_SERIES; i++) {
			if (k && rows[i].error < 0)
				continue; /* too few bursts for a bound: no error series */
			site_label(m, rows[i].site, label, sizeof(label));
			fprintf(out, "%s{operation=\"%s\",site=\"%s\"} %.1f\n", names[k],
				estimated_op_names[rows[i].op], label,
				k ? rows[i].error : rows[i].rate);
		}
		for (op = GML_OP_INSERT; op < REGISTRY_OP_KINDS && n > METRICS_MAX_SERIES; op++)
			fprintf(out, "%s{operation=\"%s\",site=\"other\"} %.1f\n", names[k],
				estimated_op_names[op], other[k][op]);
	}
	free(rows);
	fputs("# HELP gomapleak_probes_attached_seconds_total Time each operation's probes "
	      "were attached, in bursts\n# TYPE gomapleak_probes_attached_seconds_total "
	      "counter\n",
	      out);
	for (op = GML_OP_INSERT; op < REGISTRY_OP_KINDS; op++)
		fprintf(out, "gomapleak_probes_attached_seconds_total{operation=\"%s\"} %.6f\n",
			estimated_op_names[op], p->estimates->exposure[op]);
	fprintf(out,
		"# HELP gomapleak_overhead_budget_ratio What the bursts may cost, as a share of "
		"the target's CPU time (--budget)\n# TYPE gomapleak_overhead_budget_ratio gauge\n"
		"gomapleak_overhead_budget_ratio %g\n",
		p->budget_ratio);
	print_seconds(out, "gomapleak_burst_overhead_seconds_total",
		      "Estimated CPU time the bursts and creation probes added to the traced "
		      "process",
		      p->burst_overhead_seconds);
}

int metrics_render(FILE *out, const struct metrics *m, const struct metrics_process *p)
{
	size_t rows_max = METRICS_MAX_SERIES + 1, n;
	struct row *rows = calloc(rows_max, sizeof(*rows));

	if (!rows)
		return -ENOMEM;
	n = pair_rows(m, rows);
	print_pair_families(out, rows, n);
	if (p->ops_probed) {
		memset(rows, 0, rows_max * sizeof(*rows));
		n = op_rows(m, rows);
		print_op_families(out, rows, n);
	}
	free(rows);
	print_process(out, m, p);
	if (p->estimates)
		print_estimates(out, m, p);
	return ferror(out) ? -EIO : 0;
}
