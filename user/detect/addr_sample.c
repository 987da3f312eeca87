// SPDX-License-Identifier: GPL-2.0
#include "addr_sample.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int addr_sample_init(struct addr_sample *s, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap < 2 ? 2 : cap + (cap & 1);
	s->v = malloc(s->cap * sizeof(*s->v));
	if (!s->v)
		return -ENOMEM;
	s->stride = 1;
	return 0;
}

void addr_sample_free(struct addr_sample *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void addr_sample_reset(struct addr_sample *s)
{
	s->n = 0;
	s->seen = 0;
	s->stride = 1;
}

/* Keeps the addresses at even positions: those at multiples of twice the stride. */
static void halve(struct addr_sample *s)
{
	size_t i;

	for (i = 0; 2 * i < s->n; i++)
		s->v[i] = s->v[2 * i];
	s->n = i;
	s->stride *= 2;
}

void addr_sample_push(struct addr_sample *s, uint64_t addr)
{
	uint64_t position = s->seen++;

	if (position % s->stride)
		return;
	if (s->n == s->cap) {
		halve(s);
		if (position % s->stride)
			return;
	}
	s->v[s->n++] = addr;
}
