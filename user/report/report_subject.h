/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the alert outputs share (report_alert.c, report_samples.c,
 * report_top.c, report_summary.c): an alert's subject, one map under one of
 * its own rules or a site group under the growth rule, its fields as text
 * and as JSON, and the rows --top, the samples and the summary list.
 */
#ifndef GOMAPLEAK_REPORT_SUBJECT_H
#define GOMAPLEAK_REPORT_SUBJECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json_writer.h"
#include "report_alerts.h"

#define TYPE_NAME_MAX 256

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

struct alert_subject subject_of_map(const struct tracked_map *m, enum alert_kind kind);
struct alert_subject subject_of_group(const struct report_alert_printer *p,
				      const struct site_group *g, enum alert_kind kind);
/* Shown as one map: a map's own rule, or a group of one whose member is known. */
bool subject_as_one_map(const struct alert_subject *s);
uint64_t subject_type(const struct alert_subject *s);
/* Where it was filled: for a map of maps, where its inner maps grew, if any did. */
int subject_filled(const struct alert_subject *s);
bool subject_alerting(const struct alert_subject *s);
/* The type's Go name, or "?". */
void subject_type_name(const struct report_alert_printer *p, uint64_t type, char *buf, size_t len);
/* " label=func file:line", or " label=?". */
void subject_print_site(const struct report_alert_printer *p, const char *label, int site);
/* "TYPE map=0x... fields created= filled=", or a group's "TYPE maps=N ... outer=? biggest=". */
void subject_print(const struct report_alert_printer *p, const struct alert_subject *s);
void subject_print_keys(const struct report_alert_printer *p, const struct alert_subject *s);
/* The fields alert and sample objects share. */
void subject_json(struct json_writer *w, const struct report_alert_printer *p,
		  const struct alert_subject *s);
/*
 * What --top, the samples and the summary list: every map at the top level
 * (a member of a bigger group only when a rule of its own alerts), and every
 * group of more than one map; an array the caller frees, NULL if no memory.
 */
struct alert_subject *subject_rows(const struct report_alert_printer *p, uint32_t *n);

/* " pid=N comm=NAME [container=ID]" when several processes are traced. */
void report_print_process(const struct report_alert_printer *p, FILE *out);
/* "pid", "comm" and "container" fields, when several processes are traced. */
void report_json_process(struct json_writer *w, const struct report_alert_printer *p);
void report_human_bytes(uint64_t n, char *buf, size_t len);
/* HH:MM:SS, local time. */
void report_now_hms(char *buf, size_t len);

#endif /* GOMAPLEAK_REPORT_SUBJECT_H */
