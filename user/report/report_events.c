// SPDX-License-Identifier: GPL-2.0
#include "report_events.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "json_writer.h"
#include "symbolize.h"

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void report_event_printer_init(struct report_event_printer *p, FILE *out, const struct pclntab *pt,
			       const struct gotypes *types, uint64_t load_bias)
{
	p->out = out;
	p->pt = pt;
	p->types = types;
	p->load_bias = load_bias;
	p->mono_to_wall_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
}

static const char *grow_kind_name(unsigned int kind)
{
	static const char *const names[] = {
		[GML_GROW_CLASSIC_DOUBLE] = "double",
		[GML_GROW_CLASSIC_SAME_SIZE] = "same-size",
		[GML_GROW_SWISS_TO_SMALL] = "to-small",
		[GML_GROW_SWISS_TO_TABLE] = "to-table",
		[GML_GROW_SWISS_TABLE_GROW] = "table-grow",
		[GML_GROW_SWISS_TABLE_SPLIT] = "table-split",
	};

	if (kind >= sizeof(names) / sizeof(names[0]) || !names[kind])
		return "unknown";
	return names[kind];
}

static void print_time(const struct report_event_printer *p, uint64_t mono_ns)
{
	int64_t wall = (int64_t)mono_ns + p->mono_to_wall_ns;
	time_t secs = wall / 1000000000;
	struct tm tm;
	char buf[16];

	localtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fprintf(p->out, "%s.%06" PRId64, buf, (wall % 1000000000) / 1000);
}

static void print_pc(const struct report_event_printer *p, uint64_t pc)
{
	struct go_func fn;
	uint64_t file_pc = pc - p->load_bias;

	if (p->pt && !pclntab_func_for_pc(p->pt, file_pc, &fn))
		fprintf(p->out, "%s+0x%" PRIx64, fn.name, file_pc - fn.entry);
	else
		fprintf(p->out, "0x%" PRIx64, pc);
}

/* Quoted: Go type names may hold spaces ("map[string]interface {}"). */
static void print_type(const struct report_event_printer *p, uint64_t type)
{
	char name[256];

	if (p->types && !gotypes_name(p->types, type - p->load_bias, name, sizeof(name)))
		fprintf(p->out, "\"%s\"", name);
	else
		fprintf(p->out, "0x%" PRIx64, type);
}

/* The first frame outside the runtime, "func file.go:line" (the file's base name). */
static void print_site(const struct report_event_printer *p, const struct gml_stack *stack)
{
	struct go_pos site;

	if (!stack || !p->pt || symbolize_site(p->pt, p->load_bias, stack, &site)) {
		fputs("?", p->out);
		return;
	}
	symbolize_print_short(p->out, &site);
}

static void print_grow(const struct report_event_printer *p, const struct gml_event *e)
{
	bool classic = e->grow_kind == GML_GROW_CLASSIC_DOUBLE ||
		       e->grow_kind == GML_GROW_CLASSIC_SAME_SIZE;

	fprintf(p->out, " pid=%u grow=%s map=0x%" PRIx64 " type=", e->pid,
		grow_kind_name(e->grow_kind), (uint64_t)e->map);
	print_type(p, e->type);
	fprintf(p->out, " entries=%" PRIu64 " %s=%" PRIu64, (uint64_t)e->count,
		classic ? "B" : "capacity", (uint64_t)(classic ? e->b_before : e->capacity_after));
}

/* makemap_small has no type argument: type=? until the map's first growth names it. */
static void print_create(const struct report_event_printer *p, const struct gml_event *e)
{
	fprintf(p->out, " pid=%u create map=0x%" PRIx64 " type=", e->pid, (uint64_t)e->map);
	if (e->type)
		print_type(p, e->type);
	else
		fputc('?', p->out);
	fprintf(p->out, " hint=%" PRIu64, (uint64_t)e->hint);
}

void report_event(const struct report_event_printer *p, const struct gml_event *e,
		  const struct gml_stack *stack)
{
	print_time(p, e->ts_ns);
	if (e->kind == GML_EV_CREATE)
		print_create(p, e);
	else
		print_grow(p, e);
	fputs(" caller=", p->out);
	print_pc(p, e->caller_pc);
	fputs(" site=", p->out);
	print_site(p, stack);
	fputc('\n', p->out);
}

static void json_pos(struct json_writer *w, const struct report_event_printer *p, uint64_t pc)
{
	struct go_pos pos;

	json_object_begin(w);
	json_field_u64(w, "pc", pc);
	if (p->pt && !pclntab_pos_for_pc(p->pt, pc - 1 - p->load_bias, &pos)) {
		json_field_str(w, "func", go_pos_func(&pos));
		if (pos.inlined)
			json_field_str(w, "inlined_into", pos.func.name);
		json_field_str(w, "file", pos.file);
		json_field_i64(w, "line", pos.line);
	}
	json_object_end(w);
}

static void json_site(struct json_writer *w, const struct report_event_printer *p,
		      const struct gml_stack *stack)
{
	struct go_pos site;
	int i;

	if (!stack)
		return;
	if (p->pt && !symbolize_site(p->pt, p->load_bias, stack, &site)) {
		json_key(w, "site");
		json_object_begin(w);
		json_field_str(w, "func", go_pos_func(&site));
		json_field_str(w, "file", site.file);
		json_field_i64(w, "line", site.line);
		json_object_end(w);
	}
	json_key(w, "stack");
	json_array_begin(w);
	for (i = 0; i < GML_STACK_DEPTH && stack->pcs[i]; i++)
		json_pos(w, p, stack->pcs[i]);
	json_array_end(w);
}

static void json_type(struct json_writer *w, const struct report_event_printer *p, uint64_t type)
{
	char name[256];
	bool named = type && p->types &&
		     !gotypes_name(p->types, type - p->load_bias, name, sizeof(name));

	json_field_str(w, "type", named ? name : NULL);
}

void report_event_json(const struct report_event_printer *p, const struct gml_event *e,
		       const struct gml_stack *stack)
{
	bool classic = e->grow_kind <= GML_GROW_CLASSIC_SAME_SIZE;
	struct json_writer w;

	json_writer_init(&w, p->out);
	json_object_begin(&w);
	json_field_i64(&w, "time_ns", (int64_t)e->ts_ns + p->mono_to_wall_ns);
	json_field_u64(&w, "pid", e->pid);
	json_field_u64(&w, "tid", e->tid);
	json_field_hex(&w, "map", e->map);
	if (e->kind == GML_EV_CREATE) {
		json_field_str(&w, "event", "create");
		json_field_u64(&w, "hint", e->hint);
	} else {
		json_field_str(&w, "event", "grow");
		json_field_str(&w, "grow", grow_kind_name(e->grow_kind));
		json_field_u64(&w, "entries", e->count);
		json_field_u64(&w, classic ? "B" : "capacity",
			       classic ? e->b_before : e->capacity_after);
	}
	json_type(&w, p, e->type);
	json_site(&w, p, stack);
	json_writer_finish(&w);
}
