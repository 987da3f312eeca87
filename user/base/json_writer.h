/* SPDX-License-Identifier: GPL-2.0 */
/*
 * JSON written as it goes, valid by construction: the writer places the
 * commas and colons, escapes strings (invalid UTF-8 becomes U+FFFD), writes
 * non-finite numbers as null, and drops what would break the document (a
 * value in an object without its key, a key outside an object, nesting past
 * JSON_MAX_DEPTH, an end with nothing open, a second value on a line). json_writer_finish() closes
 * what is still open. Every JSON output of gomapleak goes through it, one
 * object a line.
 */
#ifndef GOMAPLEAK_JSON_WRITER_H
#define GOMAPLEAK_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
	FILE *out;
	unsigned int depth;		    /* containers open */
	unsigned int dropped_depth;	    /* containers opened past JSON_MAX_DEPTH: not written */
	bool is_object[JSON_MAX_DEPTH + 1]; /* each open container's kind, [1] the outermost */
	/* It holds a member already, the next needs a comma; [0]: the line has its value. */
	bool has_items[JSON_MAX_DEPTH + 1];
	bool key_written; /* in an object: the key is out, its value comes next */
};

void json_writer_init(struct json_writer *w, FILE *out);
void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_str(struct json_writer *w, const char *s); /* NULL: null */
void json_u64(struct json_writer *w, uint64_t v);
void json_i64(struct json_writer *w, int64_t v);
/* A number with decimals digits after the point (%.Nf). */
void json_double(struct json_writer *w, double v, int decimals);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
/* "0x..." as a string: addresses. */
void json_hex(struct json_writer *w, uint64_t v);
/* Closes what is open and ends the line. */
void json_writer_finish(struct json_writer *w);

/* A key and its value, in an object. */
void json_field_str(struct json_writer *w, const char *key, const char *s);
void json_field_u64(struct json_writer *w, const char *key, uint64_t v);
void json_field_i64(struct json_writer *w, const char *key, int64_t v);
void json_field_double(struct json_writer *w, const char *key, double v, int decimals);
void json_field_bool(struct json_writer *w, const char *key, bool v);
void json_field_hex(struct json_writer *w, const char *key, uint64_t v);

#endif /* GOMAPLEAK_JSON_WRITER_H */
