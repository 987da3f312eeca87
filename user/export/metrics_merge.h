/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One /metrics page from several processes' pages (node mode): each
 * process's series gain its labels (pid, comm, container), and every family
 * is printed once, its HELP and TYPE lines first, the series of all
 * processes after them, as the text exposition format asks.
 */
#ifndef GOMAPLEAK_METRICS_MERGE_H
#define GOMAPLEAK_METRICS_MERGE_H

#include <stddef.h>
#include <stdio.h>

struct metrics_page {
	const char *text; /* one process's page, as metrics_render wrote it */
	size_t len;
	const char *labels; /* e.g. pid="4121",comm="api": added to each series it lacks */
};

/* Writes the merged page; returns 0, or a negative errno (out of memory). */
int metrics_merge(FILE *out, const struct metrics_page *pages, size_t n);
/* name="value" for labels: the value escaped as the exposition format asks. */
void metrics_format_label(char *buf, size_t size, const char *name, const char *value);

#endif /* GOMAPLEAK_METRICS_MERGE_H */
