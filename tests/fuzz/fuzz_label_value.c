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
#include "utf8_oracle.h"

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
