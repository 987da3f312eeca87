/* SPDX-License-Identifier: GPL-2.0 */
/* The hashes of every table here: one for 64-bit keys, one for strings. */
#ifndef GOMAPLEAK_HASH_H
#define GOMAPLEAK_HASH_H

#include <stdint.h>

/*
 * Fibonacci hashing: multiplied by 2^64 / phi, the high 32 bits are mixed
 * well even for keys that differ only in their high bits or are aligned
 * addresses. Mask the result to a power-of-two table.
 */
static inline uint32_t hash_u64(uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32);
}

/* FNV-1a, 64 bits, of a NUL-terminated string. */
static inline uint64_t hash_string(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

#endif /* GOMAPLEAK_HASH_H */
