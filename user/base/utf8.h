/* SPDX-License-Identifier: GPL-2.0 */
/* UTF-8 as RFC 3629 defines it: what JSON strings and Prometheus label values may hold. */
#ifndef GOMAPLEAK_UTF8_H
#define GOMAPLEAK_UTF8_H

#include <stddef.h>

/*
 * Length of the valid UTF-8 sequence at s (n bytes left), 1 to 4; 0 if the
 * bytes there are not one (a stray continuation byte, an overlong form, a
 * UTF-16 surrogate, past U+10FFFF, cut short).
 */
static inline size_t utf8_sequence(const unsigned char *s, size_t n)
{
	size_t len, i;

	if (!n)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

#endif /* GOMAPLEAK_UTF8_H */
