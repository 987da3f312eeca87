// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus metrics: label escaping, the series cap and "other", counters
 * that never go backwards, no duplicate series. Sites are set in the
 * registry by hand: names a Go binary could never hold test the escaping.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "metrics_merge.h"

static struct detector_config cfg;
static struct registry reg;
static struct metrics metrics;
static const struct detector_stats alerts;

static void setup(void)
{
	detector_config_default(&cfg);
	cr_assert_eq(registry_init(&reg, &cfg, NULL, 0), 0);
	cr_assert_eq(metrics_init(&metrics, &reg, NULL, 0), 0);
}

static void teardown(void)
{
	metrics_free(&metrics);
	registry_free(&reg);
}

TestSuite(metrics, .init = setup, .fini = teardown);

/* A site named func, at file:line; returns its index. */
static int add_site(const char *func, const char *file, int line)
{
	struct registry_site *s = &reg.sites[reg.nsites];

	memset(s, 0, sizeof(*s));
	s->pos.func.name = func;
	s->pos.file = file;
	s->pos.line = line;
	return reg.nsites++;
}

static char *label(const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	metrics_print_label_value(f, s);
	fclose(f);
	return text;
}

static char *render(bool ops)
{
	struct metrics_process p = { .pid = 42,
				     .go_version = "go1.26.1",
				     .map_impl = "swiss",
				     .alerts = &alerts,
				     .ops_probed = ops };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_eq(metrics_render(f, &metrics, &p), 0);
	fclose(f);
	return text;
}

/* The value of the series whose line starts with prefix (name and labels), or -1. */
static long long value_of(const char *text, const char *prefix)
{
	const char *line = text;
	size_t n = strlen(prefix);

	for (; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (!strncmp(line, prefix, n) && line[n] == ' ')
			return atoll(line + n + 1);
	return -1;
}

static long long sum_of(const char *text, const char *name)
{
	const char *line = text;
	size_t n = strlen(name);
	long long sum = 0;

	for (; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *end = strchr(line, '\n'), *value;

		if (strncmp(line, name, n) || line[n] != '{' || !end)
			continue;
		for (value = end; value > line && value[-1] != ' '; value--)
			;
		sum += atoll(value);
	}
	return sum;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every sample line's name and labels, sorted: no two may be equal. */
static void assert_no_duplicate_series(const char *text)
{
	char *copy = strdup(text), *line, *save = NULL;
	char **series = NULL;
	size_t n = 0, i;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		*strrchr(line, ' ') = 0;
		series = realloc(series, (n + 1) * sizeof(*series));
		series[n++] = line;
	}
	qsort(series, n, sizeof(*series), compare_strings);
	for (i = 1; i < n; i++)
		cr_assert_str_neq(series[i - 1], series[i], "duplicate series %s", series[i]);
	free(series);
	free(copy);
}

Test(metrics, label_values_escape_backslash_quote_and_newline)
{
	char *s = label("a\\b\"c\nd");

	cr_assert_str_eq(s, "a\\\\b\\\"c\\nd");
	free(s);
}

Test(metrics, label_values_are_valid_utf8)
{
	char *s = label("caf\xc3\xa9 \xff\xfe \xe2\x82 x \xed\xa0\x80");

	/* é stays; lone, truncated and surrogate bytes become '?' each */
	cr_assert_str_eq(s, "caf\xc3\xa9 ?? ?? x ???");
	free(s);
}

Test(metrics, long_label_values_are_cut_on_a_character_boundary)
{
	char long_name[600];
	char *s;
	size_t i;

	for (i = 0; i + 2 < sizeof(long_name); i += 2)
		memcpy(&long_name[i], "\xc3\xa9", 2);
	long_name[i] = 0;
	s = label(long_name);
	cr_assert_eq(strlen(s), METRICS_LABEL_MAX + 3);
	cr_assert_str_eq(s + METRICS_LABEL_MAX, "...");
	free(s);
}

Test(metrics, hostile_function_names_are_escaped_in_the_exposition)
{
	int site = add_site("main.(*T[struct { X int \"json:\\\"x\\\"\" }]).Put\nevil", "/src/m.go",
			    7);
	char *text;

	metrics_count(&metrics, METRIC_GROWS, site, 0);
	metrics_refresh(&metrics);
	text = render(false);
	cr_assert_eq(value_of(text, "gomapleak_map_grows_total{site=\"main.(*T[struct { X int "
				    "\\\"json:\\\\\\\"x\\\\\\\"\\\" }]).Put\\nevil m.go:7\","
				    "map_type=\"unknown\"}"),
		     1, "%s", text);
	assert_no_duplicate_series(text);
	free(text);
}

Test(metrics, every_family_has_help_and_type_and_counters_end_in_total)
{
	char *text, *line, *save = NULL;

	metrics_count(&metrics, METRIC_GROWS, add_site("main.f", "m.go", 1), 0);
	metrics_refresh(&metrics);
	text = render(true);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];

		if (strncmp(line, "# TYPE ", 7))
			continue;
		cr_assert_eq(sscanf(line + 7, "%127s", name), 1);
		if (strstr(line, " counter"))
			cr_assert(strlen(name) > 6 && !strcmp(name + strlen(name) - 6, "_total"),
				  "%s", line);
		else
			cr_assert(!strstr(name, "_total"), "%s", line);
		cr_assert(!strncmp(name, "gomapleak_", 10), "%s", line);
	}
	free(text);
}

Test(metrics, series_are_capped_and_the_rest_is_other)
{
	static char names[METRICS_MAX_SERIES + 50][32];
	long long total = 0;
	char *text;
	int i, j;

	for (i = 0; i < METRICS_MAX_SERIES + 50; i++) {
		snprintf(names[i], sizeof(names[i]), "main.f%d", i);
		add_site(names[i], "m.go", i + 1);
	}
	/* The later sites are the busier ones: the ranking must give them the series. */
	for (i = 0; i < METRICS_MAX_SERIES + 50; i++)
		for (j = 0; j <= i; j++, total++)
			metrics_count(&metrics, METRIC_GROWS, i, 0);
	metrics_refresh(&metrics);
	text = render(false);
	cr_assert_eq(value_of(text, "gomapleak_map_grows_total{site=\"main.f149 m.go:150\","
				    "map_type=\"unknown\"}"),
		     0, "a series regained starts from 0");
	cr_assert_eq(value_of(text, "gomapleak_map_grows_total{site=\"main.f0 m.go:1\","
				    "map_type=\"unknown\"}"),
		     -1, "the least busy site lost its series");
	cr_assert_eq(value_of(text, "gomapleak_map_grows_total{site=\"main.f60 m.go:61\","
				    "map_type=\"unknown\"}"),
		     61, "kept its series and its count");
	/* Before the ranking the first 100 pairs had series: the rest went to "other". */
	cr_assert_eq(value_of(text, "gomapleak_map_grows_total{site=\"other\",map_type=\"other\"}"),
		     (101 + 150) * 50 / 2);
	free(text);
	for (i = 0; i < METRICS_MAX_SERIES + 50; i++)
		metrics_count(&metrics, METRIC_GROWS, i, 0);
	text = render(false);
	cr_assert_eq(value_of(text, "gomapleak_map_grows_total{site=\"main.f149 m.go:150\","
				    "map_type=\"unknown\"}"),
		     1);
	/* The 50 pairs without a series went to "other" since the ranking. */
	cr_assert_eq(value_of(text, "gomapleak_map_grows_total{site=\"other\",map_type=\"other\"}"),
		     (101 + 150) * 50 / 2 + 50);
	cr_assert_eq(sum_of(text, "gomapleak_map_grows_total") +
			     (1 + 50) * 50 / 2 /* the 50 demoted pairs' counts, now unseen */,
		     total + METRICS_MAX_SERIES + 50);
	assert_no_duplicate_series(text);
	free(text);
}

Test(metrics, other_never_goes_backwards)
{
	long long before, after;
	char *text;
	int i, j;

	for (i = 0; i < METRICS_MAX_SERIES + 10; i++)
		add_site("main.g", "m.go", i + 1);
	for (i = 0; i < METRICS_MAX_SERIES + 10; i++)
		for (j = 0; j < 3; j++)
			metrics_count(&metrics, METRIC_GROWS, i, 0);
	metrics_refresh(&metrics);
	text = render(false);
	before = value_of(text, "gomapleak_map_grows_total{site=\"other\",map_type=\"other\"}");
	free(text);
	/* Sites that had no series become the busiest. */
	for (i = METRICS_MAX_SERIES; i < METRICS_MAX_SERIES + 10; i++)
		for (j = 0; j < 100; j++)
			metrics_count(&metrics, METRIC_GROWS, i, 0);
	metrics_refresh(&metrics);
	text = render(false);
	after = value_of(text, "gomapleak_map_grows_total{site=\"other\",map_type=\"other\"}");
	cr_assert_geq(after, before);
	assert_no_duplicate_series(text);
	free(text);
}

Test(metrics, sites_whose_labels_collide_once_cut_are_one_series)
{
	char a[400], b[400];
	char *text;

	memset(a, 'x', sizeof(a));
	a[sizeof(a) - 1] = 0;
	memcpy(b, a, sizeof(b));
	b[350] = 'y';
	metrics_count(&metrics, METRIC_GROWS, add_site(a, "m.go", 1), 0);
	metrics_count(&metrics, METRIC_GROWS, add_site(b, "m.go", 1), 0);
	metrics_refresh(&metrics);
	text = render(false);
	assert_no_duplicate_series(text);
	cr_assert_eq(sum_of(text, "gomapleak_map_grows_total"), 2);
	free(text);
}

Test(metrics, operation_counters_never_decrease)
{
	int site = add_site("main.put", "m.go", 3);
	char *text;

	metrics_ops_begin(&metrics);
	metrics_ops_add(&metrics, METRIC_INSERTS, site, 500);
	metrics_ops_end(&metrics);
	/* The BPF table evicted an entry: the sum fell. */
	metrics_ops_begin(&metrics);
	metrics_ops_add(&metrics, METRIC_INSERTS, site, 300);
	metrics_ops_end(&metrics);
	metrics_refresh(&metrics);
	text = render(true);
	cr_assert_eq(value_of(text, "gomapleak_map_inserts_total{site=\"main.put m.go:3\"}"), 500);
	free(text);
}

Test(metrics, process_metrics_name_the_target)
{
	char *text;

	metrics_refresh(&metrics);
	text = render(false);
	cr_assert_eq(value_of(text, "gomapleak_target_info{pid=\"42\",go_version=\"go1.26.1\","
				    "map_impl=\"swiss\"}"),
		     1);
	cr_assert_eq(value_of(text, "gomapleak_alerts_total{kind=\"nested\",state=\"LEAK\"}"), 0);
	cr_assert_eq(value_of(text, "gomapleak_events_lost_total"), 0);
	cr_assert_null(strstr(text, "gomapleak_map_inserts_total"), "ops only when probed");
	free(text);
}

/* Node mode: every family once, each process's series labelled with it. */
static char *merged(const struct metrics_page *pages, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	cr_assert_not_null(out);
	cr_assert_eq(metrics_merge(out, pages, n), 0);
	fclose(out);
	return text;
}

Test(metrics_merge, families_once_and_series_labelled_by_process)
{
	static const char a[] = "# HELP m_total Maps.\n# TYPE m_total counter\n"
				"m_total{site=\"x\"} 1\n"
				"# HELP info What runs.\n# TYPE info gauge\n"
				"info{pid=\"1\",v=\"a\"} 1\n";
	static const char b[] = "# HELP m_total Maps.\n# TYPE m_total counter\n"
				"m_total 2\nm_total{} 3\n";
	const struct metrics_page pages[] = {
		{ a, sizeof(a) - 1, "pid=\"1\",comm=\"api\"" },
		{ b, sizeof(b) - 1, "pid=\"2\",comm=\"a \\\"q\\\"\",container=\"c1\"" },
	};
	char *text = merged(pages, 2);

	cr_assert_str_eq(text, "# HELP m_total Maps.\n# TYPE m_total counter\n"
			       "m_total{pid=\"1\",comm=\"api\",site=\"x\"} 1\n"
			       "m_total{pid=\"2\",comm=\"a \\\"q\\\"\",container=\"c1\"} 2\n"
			       "m_total{pid=\"2\",comm=\"a \\\"q\\\"\",container=\"c1\"} 3\n"
			       "# HELP info What runs.\n# TYPE info gauge\n"
			       "info{comm=\"api\",pid=\"1\",v=\"a\"} 1\n");
	free(text);
}

Test(metrics_merge, no_pages_is_an_empty_page)
{
	char *text = merged(NULL, 0);

	cr_assert_str_eq(text, "");
	free(text);
}

Test(metrics_merge, label_values_are_escaped)
{
	char buf[64];

	metrics_format_label(buf, sizeof(buf), "comm", "a\"b\\c");
	cr_assert_str_eq(buf, "comm=\"a\\\"b\\\\c\"");
}

Test(metrics_merge, braces_commas_and_label_names_inside_values_are_values)
{
	static const char a[] = "# HELP g_total G.\n# TYPE g_total counter\n"
				"g_total{site=\"a,pid=\\\"9\\\" }\"} 4\n";
	const struct metrics_page pages[] = { { a, sizeof(a) - 1, "pid=\"1\"" } };
	char *text = merged(pages, 1);

	cr_assert_str_eq(text, "# HELP g_total G.\n# TYPE g_total counter\n"
			       "g_total{pid=\"1\",site=\"a,pid=\\\"9\\\" }\"} 4\n");
	free(text);
}
