// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON writer: commas and colons placed, strings escaped (quotes,
 * backslashes, control characters, bytes that are not UTF-8), non-finite
 * numbers as null, misuse dropped, not written; fuzz_json_writer.c checks
 * any sequence of calls against a strict parser.
 */
#define _GNU_SOURCE /* open_memstream */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"

static char *text;
static size_t len;
static FILE *out;
static struct json_writer w;

static void setup(void)
{
	out = open_memstream(&text, &len);
	cr_assert_not_null(out);
	json_writer_init(&w, out);
}

static void teardown(void)
{
	free(text);
	text = NULL;
}

/* What was written, the stream closed. */
static const char *written(void)
{
	fclose(out);
	return text;
}

TestSuite(json_writer, .init = setup, .fini = teardown);

Test(json_writer, objects_and_arrays_get_their_commas)
{
	json_object_begin(&w);
	json_field_str(&w, "event", "alert");
	json_field_u64(&w, "entries", 18446744073709551615ull);
	json_field_i64(&w, "line", -3);
	json_field_double(&w, "rate", 2000.04, 1);
	json_field_bool(&w, "estimated", true);
	json_field_hex(&w, "map", 0xc000010000);
	json_key(&w, "keys");
	json_array_begin(&w);
	json_str(&w, "a");
	json_null(&w);
	json_array_begin(&w);
	json_array_end(&w);
	json_array_end(&w);
	json_writer_finish(&w);
	cr_assert_str_eq(written(), "{\"event\":\"alert\",\"entries\":18446744073709551615,"
				    "\"line\":-3,\"rate\":2000.0,\"estimated\":true,"
				    "\"map\":\"0xc000010000\",\"keys\":[\"a\",null,[]]}\n");
}

Test(json_writer, strings_are_escaped_and_invalid_utf8_replaced)
{
	json_array_begin(&w);
	json_str(&w, "say \"hi\"\\\n\x01");
	json_str(&w, "caf\xc3\xa9 \xe2\x82\xac");
	json_str(&w, "\xff\xc0\xaf \xed\xa0\x80 \xe2\x82");
	json_str(&w, NULL);
	json_writer_finish(&w);
	cr_assert_str_eq(written(),
			 "[\"say \\\"hi\\\"\\\\\\u000a\\u0001\",\"caf\xc3\xa9 \xe2\x82\xac\","
			 "\"\\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\",null]\n");
}

Test(json_writer, non_finite_numbers_are_null)
{
	json_array_begin(&w);
	json_double(&w, NAN, 1);
	json_double(&w, INFINITY, 0);
	json_double(&w, -0.25, 2);
	json_writer_finish(&w);
	cr_assert_str_eq(written(), "[null,null,-0.25]\n");
}

Test(json_writer, misuse_is_dropped_and_what_is_open_closed)
{
	json_object_begin(&w);
	json_u64(&w, 1);	/* a value without its key */
	json_array_end(&w);	/* closes the object, whatever was called */
	json_object_end(&w);	/* nothing open */
	json_str(&w, "second"); /* a second value on the line */
	json_writer_finish(&w);
	json_object_begin(&w);
	json_key(&w, "a");
	json_key(&w, "b");	/* a key where a value is due */
	json_writer_finish(&w); /* the key left without a value gets null */
	cr_assert_str_eq(written(), "{}\n{\"a\":null}\n");
}

Test(json_writer, nesting_past_the_limit_is_null)
{
	int i;

	for (i = 0; i < JSON_MAX_DEPTH + 3; i++)
		json_array_begin(&w);
	json_u64(&w, 7);
	json_writer_finish(&w);
	written();
	cr_assert_eq(strlen(text), 2 * JSON_MAX_DEPTH + 4 + 1, "%s", text);
	cr_assert(strstr(text, "null"));
	cr_assert_null(strstr(text, "7"));
}
