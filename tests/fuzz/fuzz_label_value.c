// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: any bytes a binary's names could hold -> a Prometheus label
 * value. The output must be valid UTF-8, carry no raw newline, no quote or
 * backslash unescaped, and stay within the cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* Length of a valid UTF-8 sequence at s (n bytes left), 0 if invalid; RFC 3629. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80		    ? 1
		     : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
		     : s[0] >= 0xe0 && s[0] <= 0xef ? 3
		     : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
						    : 0;
	size_t i;

	if (!len || len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

static void check(const unsigned char *out, size_t n)
{
	size_t i = 0, len;

	if (n > 2 * METRICS_LABEL_MAX + 3)
		abort();
	while (i < n) {
		len = utf8_len(out + i, n - i);
		if (!len || out[i] == '\n' || out[i] == '"')
			abort();
		if (out[i] == '\\') {
			if (i + 1 == n ||
			    (out[i + 1] != '\\' && out[i + 1] != '"' && out[i + 1] != 'n'))
				abort();
			len = 2;
		}
		i += len;
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *in = malloc(size + 1), *out = NULL;
	size_t len = 0;
	FILE *f;

	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = 0;
	f = open_memstream(&out, &len);
	if (f) {
		metrics_print_label_value(f, in);
		fclose(f);
		check((const unsigned char *)out, len);
	}
	free(out);
	free(in);
	return 0;
}
