/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fuzzers' own UTF-8 check (RFC 3629), written apart from
 * user/base/utf8.h on purpose: an oracle that shares the code it checks
 * would share its bugs.
 */
#ifndef GOMAPLEAK_FUZZ_UTF8_ORACLE_H
#define GOMAPLEAK_FUZZ_UTF8_ORACLE_H

#include <stddef.h>

/* Length of a valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static inline size_t utf8_len(const unsigned char *s, size_t n)
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

#endif /* GOMAPLEAK_FUZZ_UTF8_ORACLE_H */
