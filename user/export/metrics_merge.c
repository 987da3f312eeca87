// SPDX-License-Identifier: GPL-2.0
#include "metrics_merge.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* A family's lines: its HELP and TYPE once, then every process's series. */
struct family {
	const char *name; /* into a page's text */
	size_t name_len;
	size_t first_page; /* the page whose HELP and TYPE lines are kept */
	char *header, *series;
	size_t header_len, series_len;
	FILE *header_out, *series_out;
};

struct families {
	struct family *f;
	size_t n, cap;
};

static size_t token_len(const char *s, const char *end)
{
	const char *p = s;

	while (p < end && *p != ' ' && *p != '{' && *p != '\n')
		p++;
	return (size_t)(p - s);
}

/* The family's index, added (first seen on page) if new; -ENOMEM. */
static long family_get(struct families *fs, const char *name, size_t len, size_t page)
{
	struct family *f;
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (fs->f[i].name_len == len && !memcmp(fs->f[i].name, name, len))
			return (long)i;
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? 2 * fs->cap : 64;
		struct family *grown = realloc(fs->f, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		fs->f = grown;
		fs->cap = cap;
	}
	f = &fs->f[fs->n];
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->name_len = len;
	f->first_page = page;
	f->header_out = open_memstream(&f->header, &f->header_len);
	f->series_out = open_memstream(&f->series, &f->series_len);
	if (!f->header_out || !f->series_out) {
		if (f->header_out)
			fclose(f->header_out);
		if (f->series_out)
			fclose(f->series_out);
		free(f->header);
		free(f->series);
		return -ENOMEM;
	}
	return (long)fs->n++;
}

/*
 * The end of a quoted label value starting at p (its opening quote), past the
 * closing quote; values may hold escaped quotes, braces and commas.
 */
static const char *quoted_end(const char *p, const char *end)
{
	for (p++; p < end && *p != '"'; p++)
		if (*p == '\\' && p + 1 < end)
			p++;
	return p < end ? p + 1 : end;
}

/* The closing brace of the label set opening at p, or NULL. */
static const char *label_set_end(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '"')
			p = quoted_end(p, end) - 1;
		else if (*p == '}')
			return p;
	}
	return NULL;
}

/* Whether the label set (between the braces) already has name=: label names only, not values. */
static bool has_label(const char *set, size_t set_len, const char *name, size_t name_len)
{
	const char *p = set, *end = set + set_len;

	while (p < end) {
		const char *eq = memchr(p, '=', (size_t)(end - p));

		if (!eq)
			return false;
		if ((size_t)(eq - p) == name_len && !memcmp(p, name, name_len))
			return true;
		p = eq + 1 < end && eq[1] == '"' ? quoted_end(eq + 1, end) : eq + 1;
		if (p < end && *p == ',')
			p++;
	}
	return false;
}

/* The page's labels the series lacks, comma-separated, each followed by a comma. */
static void print_missing_labels(FILE *out, const char *labels, const char *set, size_t set_len)
{
	const char *p = labels;

	while (*p) {
		const char *eq = strchr(p, '='), *next;

		if (!eq)
			return;
		/* A label's end: the comma after its quoted value. */
		next = eq + 2;
		while (*next && !(*next == '"' && next[-1] != '\\'))
			next++;
		if (*next)
			next++;
		if (!has_label(set, set_len, p, (size_t)(eq - p)))
			fprintf(out, "%.*s,", (int)(next - p), p);
		p = *next == ',' ? next + 1 : next;
	}
}

/* name{page labels,own labels} value: the series line with the page's labels in. */
static void print_series(FILE *out, const char *line, size_t len, const char *labels)
{
	size_t name_len = token_len(line, line + len);
	const char *rest = line + name_len, *end = line + len, *close = NULL;
	size_t set_len = 0, printed;
	char *buf = NULL;
	FILE *set;

	if (rest < end && *rest == '{') {
		close = label_set_end(rest, end);
		if (!close) {
			fwrite(line, 1, len, out); /* not ours to fix */
			return;
		}
		set_len = (size_t)(close - rest - 1);
	}
	set = open_memstream(&buf, &printed);
	if (!set)
		return;
	print_missing_labels(set, labels, close ? rest + 1 : "", set_len);
	fclose(set);
	if (close && set_len)
		fprintf(out, "%.*s{%s%.*s", (int)name_len, line, buf, (int)(end - rest - 1),
			rest + 1);
	else if (printed)
		fprintf(out, "%.*s{%.*s}%.*s", (int)name_len, line, (int)printed - 1, buf,
			(int)(end - (close ? close + 1 : rest)), close ? close + 1 : rest);
	else
		fwrite(line, 1, len, out);
	free(buf);
}

static int merge_page(struct families *fs, const struct metrics_page *page, size_t index)
{
	const char *p = page->text, *end = page->text + page->len;
	long cur = -1;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (len > 7 && (!memcmp(p, "# HELP ", 7) || !memcmp(p, "# TYPE ", 7))) {
			cur = family_get(fs, p + 7, token_len(p + 7, p + len), index);
			if (cur < 0)
				return (int)cur;
			/* HELP and TYPE once: from the first page that has the family. */
			if (fs->f[cur].first_page == index)
				fwrite(p, 1, len, fs->f[cur].header_out);
		} else if (len > 1 && p[0] != '#') {
			if (cur < 0)
				cur = family_get(fs, p, token_len(p, p + len), index);
			if (cur < 0)
				return (int)cur;
			print_series(fs->f[cur].series_out, p, len, page->labels);
		}
		p += len;
	}
	return 0;
}

int metrics_merge(FILE *out, const struct metrics_page *pages, size_t n)
{
	struct families fs = { 0 };
	size_t i;
	int err = 0;

	for (i = 0; i < n && !err; i++)
		err = merge_page(&fs, &pages[i], i);
	for (i = 0; i < fs.n; i++) {
		fclose(fs.f[i].header_out);
		fclose(fs.f[i].series_out);
		if (!err) {
			fwrite(fs.f[i].header, 1, fs.f[i].header_len, out);
			fwrite(fs.f[i].series, 1, fs.f[i].series_len, out);
		}
		free(fs.f[i].header);
		free(fs.f[i].series);
	}
	free(fs.f);
	return err;
}

void metrics_format_label(char *buf, size_t size, const char *name, const char *value)
{
	FILE *f = fmemopen(buf, size, "w");

	buf[0] = 0;
	if (!f)
		return;
	fprintf(f, "%s=\"", name);
	metrics_print_label_value(f, value);
	fputc('"', f);
	fclose(f);
}
