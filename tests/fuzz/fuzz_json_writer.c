// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: any sequence of the JSON writer's calls, with any strings
 * (bytes no UTF-8 allows included) and numbers (NaN, infinities), misuse
 * included (values without keys, keys outside objects, ends with nothing
 * open, nesting past the limit). Once finished, every line written must be
 * one valid JSON value (RFC 8259), checked by the strict parser below.
 */
#define _GNU_SOURCE /* open_memstream */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "utf8_oracle.h"

struct parser {
	const unsigned char *p, *end;
	int depth;
};

static bool parse_value(struct parser *ps);

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r'))
		ps->p++;
}

static bool literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return false;
	ps->p += n;
	return true;
}

static bool parse_string(struct parser *ps)
{
	size_t len;
	int i;

	if (ps->p == ps->end || *ps->p++ != '"')
		return false;
	while (ps->p < ps->end && *ps->p != '"') {
		if (*ps->p < 0x20)
			return false;
		if (*ps->p == '\\') {
			if (++ps->p == ps->end)
				return false;
			if (*ps->p == 'u') {
				for (i = 1; i <= 4; i++)
					if (ps->p + i >= ps->end ||
					    !strchr("0123456789abcdefABCDEF", ps->p[i]))
						return false;
				ps->p += 5;
			} else if (strchr("\"\\/bfnrt", *ps->p) && *ps->p) {
				ps->p++;
			} else {
				return false;
			}
			continue;
		}
		len = utf8_len(ps->p, (size_t)(ps->end - ps->p));
		if (!len)
			return false;
		ps->p += len;
	}
	return ps->p < ps->end && *ps->p++ == '"';
}

static bool digits(struct parser *ps)
{
	const unsigned char *start = ps->p;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
		ps->p++;
	return ps->p > start;
}

static bool parse_number(struct parser *ps)
{
	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '0')
		ps->p++;
	else if (!digits(ps))
		return false;
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (!digits(ps))
			return false;
	}
	return true;
}

/* Members or elements until close, separated by commas; objects' with their keys. */
static bool parse_members(struct parser *ps, bool object, unsigned char close)
{
	bool first = true;

	if (++ps->depth > JSON_MAX_DEPTH + 1)
		return false;
	for (;;) {
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == close && first) {
			ps->p++;
			break;
		}
		if (object) {
			if (!parse_string(ps))
				return false;
			skip_space(ps);
			if (ps->p == ps->end || *ps->p++ != ':')
				return false;
		}
		if (!parse_value(ps))
			return false;
		skip_space(ps);
		if (ps->p == ps->end)
			return false;
		if (*ps->p == close) {
			ps->p++;
			break;
		}
		if (*ps->p++ != ',')
			return false;
		first = false;
	}
	ps->depth--;
	return true;
}

static bool parse_value(struct parser *ps)
{
	skip_space(ps);
	if (ps->p == ps->end)
		return false;
	switch (*ps->p) {
	case '{':
		ps->p++;
		return parse_members(ps, true, '}');
	case '[':
		ps->p++;
		return parse_members(ps, false, ']');
	case '"':
		return parse_string(ps);
	case 't':
		return literal(ps, "true");
	case 'f':
		return literal(ps, "false");
	case 'n':
		return literal(ps, "null");
	default:
		return parse_number(ps);
	}
}

/* Each line: one value, nothing after it; an empty line is what finishing nothing wrote. */
static void check_lines(const unsigned char *out, size_t n)
{
	const unsigned char *line = out, *nl;
	struct parser ps;

	while (line < out + n) {
		nl = memchr(line, '\n', (size_t)(out + n - line));
		if (!nl)
			abort(); /* json_writer_finish() ends every line */
		ps = (struct parser){ .p = line, .end = nl };
		if (nl > line && (!parse_value(&ps) || ps.p != nl))
			abort();
		line = nl + 1;
	}
}

static const char *take_string(const uint8_t **data, size_t *size, char *buf, size_t cap)
{
	size_t n = *size ? **data % cap : 0;

	if (*size)
		(*data)++, (*size)--;
	if (n > *size)
		n = *size;
	memcpy(buf, *data, n);
	buf[n] = '\0'; /* an embedded NUL ends it early, as a C string does */
	*data += n;
	*size -= n;
	return buf;
}

static double take_double(const uint8_t **data, size_t *size)
{
	static const double special[] = { NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e300, -1e-300 };
	double v = 0;

	if (*size >= sizeof(v)) {
		memcpy(&v, *data, sizeof(v));
		*data += sizeof(v);
		*size -= sizeof(v);
	} else if (*size) {
		v = special[**data % (sizeof(special) / sizeof(special[0]))];
		(*data)++, (*size)--;
	}
	return v;
}

static void run_call(struct json_writer *w, uint8_t call, const uint8_t **data, size_t *size)
{
	char buf[64];
	uint64_t v = *size ? **data * 0x9e3779b97f4a7c15ull : 0;

	switch (call % 14) {
	case 0:
		json_object_begin(w);
		break;
	case 1:
		json_object_end(w);
		break;
	case 2:
		json_array_begin(w);
		break;
	case 3:
		json_array_end(w);
		break;
	case 4:
		json_key(w, take_string(data, size, buf, sizeof(buf)));
		break;
	case 5:
		json_str(w, take_string(data, size, buf, sizeof(buf)));
		break;
	case 6:
		json_str(w, NULL);
		break;
	case 7:
		json_u64(w, v);
		break;
	case 8:
		json_i64(w, (int64_t)v);
		break;
	case 9:
		json_double(w, take_double(data, size), call % 5);
		break;
	case 10:
		json_bool(w, call & 16);
		break;
	case 11:
		json_null(w);
		break;
	case 12:
		json_hex(w, v);
		break;
	default:
		json_writer_finish(w);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_writer w;
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	if (!f)
		return 0;
	json_writer_init(&w, f);
	while (size) {
		uint8_t call = *data++;

		size--;
		run_call(&w, call, &data, &size);
	}
	json_writer_finish(&w);
	fclose(f);
	check_lines((const unsigned char *)out, n);
	free(out);
	return 0;
}
