/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gomapleak's own messages, one a line on stderr: "gomapleak: text" (with
 * " pid=N comm=NAME" after the colon when several processes are traced),
 * or under --json {"event":"note","message":"text"} with the process's
 * fields, as errors are ({"event":"error",...}).
 */
#ifndef GOMAPLEAK_REPORT_NOTE_H
#define GOMAPLEAK_REPORT_NOTE_H

#include <stdbool.h>
#include <stdio.h>

#include "report_alerts.h"

struct report_notes {
	FILE *out;
	bool json;
	const struct report_process_label *process; /* NULL: one process traced */
};

void report_note(const struct report_notes *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* GOMAPLEAK_REPORT_NOTE_H */
