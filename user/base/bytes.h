/* SPDX-License-Identifier: GPL-2.0 */
/* Little-endian loads from byte buffers the caller has bounds-checked. */
#ifndef GOMAPLEAK_BYTES_H
#define GOMAPLEAK_BYTES_H

#include <stdint.h>
#include <string.h>

static inline uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

#endif /* GOMAPLEAK_BYTES_H */
