// SPDX-License-Identifier: GPL-2.0
#include "report_note.h"

#include <stdarg.h>

#include "json_writer.h"

#define NOTE_MAX 1024

void report_note(const struct report_notes *n, const char *fmt, ...)
{
	const struct report_process_label *l = n->process;
	char message[NOTE_MAX];
	struct json_writer w;
	va_list args;

	va_start(args, fmt);
	vsnprintf(message, sizeof(message), fmt, args);
	va_end(args);
	if (!n->json) {
		fputs("gomapleak:", n->out);
		if (l)
			fprintf(n->out, " pid=%d comm=%s", l->pid, l->comm);
		fprintf(n->out, " %s\n", message);
		return;
	}
	json_writer_init(&w, n->out);
	json_object_begin(&w);
	json_field_str(&w, "event", "note");
	if (l) {
		json_field_i64(&w, "pid", l->pid);
		json_field_str(&w, "comm", l->comm);
		if (l->container[0])
			json_field_str(&w, "container", l->container);
	}
	json_field_str(&w, "message", message);
	json_writer_finish(&w);
}
