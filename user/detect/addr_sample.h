/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A systematic sample of a stream of addresses whose length is not known
 * ahead, in bounded memory: every stride-th address is kept; when the
 * sample is full, every other one goes and the stride doubles. A walk of a
 * map with millions of inner maps keeps at most cap addresses, not one per
 * inner map (8 bytes each: the tracer's memory followed the target's leak).
 */
#ifndef GOMAPLEAK_ADDR_SAMPLE_H
#define GOMAPLEAK_ADDR_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

struct addr_sample {
	uint64_t *v;
	size_t n;      /* addresses kept */
	size_t cap;    /* even: halving keeps every other one */
	uint64_t seen; /* addresses pushed since the reset */
	uint64_t stride;
};

/* cap: the most addresses kept (rounded up to even, at least 2). */
int addr_sample_init(struct addr_sample *s, size_t cap);
void addr_sample_free(struct addr_sample *s);
/* Empties the sample for a new stream; its memory stays. */
void addr_sample_reset(struct addr_sample *s);
void addr_sample_push(struct addr_sample *s, uint64_t addr);

#endif /* GOMAPLEAK_ADDR_SAMPLE_H */
