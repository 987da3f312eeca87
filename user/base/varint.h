/* SPDX-License-Identifier: GPL-2.0 */
/* Go's unsigned varint (encoding/binary.Uvarint), bounds-checked. */
#ifndef GOMAPLEAK_VARINT_H
#define GOMAPLEAK_VARINT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/* Reads a uvarint at data[*pos], advancing *pos; fails past size or over 10 bytes. */
static inline int uvarint_read(const uint8_t *data, size_t size, size_t *pos, uint64_t *out)
{
	uint64_t value = 0;
	unsigned int shift;

	for (shift = 0; shift < 70 && *pos < size; shift += 7) {
		uint8_t byte = data[(*pos)++];

		value |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			*out = value;
			return 0;
		}
	}
	return -EINVAL;
}

#endif /* GOMAPLEAK_VARINT_H */
