// SPDX-License-Identifier: GPL-2.0
/* --json: a sample object for each map or group in SUSPECT or LEAK, every round. */
#include "report_alerts.h"

#include <stdlib.h>
#include <time.h>

#include "report_subject.h"

void report_alert_samples(struct report_alert_printer *p)
{
	struct alert_subject *rows;
	struct json_writer w;
	uint32_t i, n;

	rows = subject_rows(p, &n);
	json_writer_init(&w, p->out);
	for (i = 0; rows && i < n; i++) {
		if (!subject_alerting(&rows[i]))
			continue;
		json_object_begin(&w);
		json_field_str(&w, "event", "sample");
		json_field_i64(&w, "time", (int64_t)time(NULL));
		json_field_str(&w, "state", detector_state_name(rows[i].state));
		report_json_process(&w, p);
		subject_json(&w, p, &rows[i]);
		json_writer_finish(&w);
	}
	free(rows);
}
