// SPDX-License-Identifier: GPL-2.0
#include "json_writer.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "utf8.h"

void json_writer_init(struct json_writer *w, FILE *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

/* Whether a value may go here, writing the comma before it if so. */
static bool value_slot(struct json_writer *w)
{
	if (w->dropped_depth)
		return false;
	if (!w->depth) {
		/* One value a line: a second before json_writer_finish() is dropped. */
		if (w->has_items[0])
			return false;
		w->has_items[0] = true;
		return true;
	}
	if (w->is_object[w->depth]) {
		if (!w->key_written)
			return false; /* a value in an object needs its key */
		w->key_written = false;
		return true;
	}
	if (w->has_items[w->depth])
		fputc(',', w->out);
	w->has_items[w->depth] = true;
	return true;
}

static void open_container(struct json_writer *w, bool object)
{
	if (w->depth == JSON_MAX_DEPTH || w->dropped_depth) {
		/* Past the depth limit: its contents are dropped, and it is null. */
		if (!w->dropped_depth && value_slot(w))
			fputs("null", w->out);
		w->dropped_depth++;
		return;
	}
	if (!value_slot(w)) {
		w->dropped_depth++;
		return;
	}
	fputc(object ? '{' : '[', w->out);
	w->depth++;
	w->is_object[w->depth] = object;
	w->has_items[w->depth] = false;
}

static void close_container(struct json_writer *w)
{
	if (w->dropped_depth) {
		w->dropped_depth--;
		return;
	}
	if (!w->depth)
		return;
	if (w->is_object[w->depth] && w->key_written) {
		fputs("null", w->out); /* a key left without its value */
		w->key_written = false;
	}
	fputc(w->is_object[w->depth] ? '}' : ']', w->out);
	w->depth--;
}

void json_object_begin(struct json_writer *w)
{
	open_container(w, true);
}

void json_object_end(struct json_writer *w)
{
	close_container(w);
}

void json_array_begin(struct json_writer *w)
{
	open_container(w, false);
}

void json_array_end(struct json_writer *w)
{
	close_container(w);
}

static void write_escaped(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), len;

	fputc('"', out);
	while (*p) {
		len = utf8_sequence(p, left);
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else if (!len)
			fputs("\\ufffd", out);
		else
			fwrite(p, 1, len, out);
		if (!len)
			len = 1;
		p += len;
		left -= len;
	}
	fputc('"', out);
}

void json_key(struct json_writer *w, const char *key)
{
	if (w->dropped_depth || !w->depth || !w->is_object[w->depth] || w->key_written)
		return;
	if (w->has_items[w->depth])
		fputc(',', w->out);
	w->has_items[w->depth] = true;
	write_escaped(w->out, key ? key : "");
	fputc(':', w->out);
	w->key_written = true;
}

void json_str(struct json_writer *w, const char *s)
{
	if (!value_slot(w))
		return;
	if (s)
		write_escaped(w->out, s);
	else
		fputs("null", w->out);
}

void json_u64(struct json_writer *w, uint64_t v)
{
	if (value_slot(w))
		fprintf(w->out, "%" PRIu64, v);
}

void json_i64(struct json_writer *w, int64_t v)
{
	if (value_slot(w))
		fprintf(w->out, "%" PRId64, v);
}

void json_double(struct json_writer *w, double v, int decimals)
{
	if (!value_slot(w))
		return;
	if (!isfinite(v))
		fputs("null", w->out);
	else
		fprintf(w->out, "%.*f", decimals < 0 ? 0 : decimals > 17 ? 17 : decimals, v);
}

void json_bool(struct json_writer *w, bool v)
{
	if (value_slot(w))
		fputs(v ? "true" : "false", w->out);
}

void json_null(struct json_writer *w)
{
	if (value_slot(w))
		fputs("null", w->out);
}

void json_hex(struct json_writer *w, uint64_t v)
{
	if (value_slot(w))
		fprintf(w->out, "\"0x%" PRIx64 "\"", v);
}

void json_writer_finish(struct json_writer *w)
{
	while (w->dropped_depth || w->depth)
		close_container(w);
	fputc('\n', w->out);
	w->has_items[0] = false;
}

void json_field_str(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_str(w, s);
}

void json_field_u64(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_u64(w, v);
}

void json_field_i64(struct json_writer *w, const char *key, int64_t v)
{
	json_key(w, key);
	json_i64(w, v);
}

void json_field_double(struct json_writer *w, const char *key, double v, int decimals)
{
	json_key(w, key);
	json_double(w, v, decimals);
}

void json_field_bool(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

void json_field_hex(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_hex(w, v);
}
