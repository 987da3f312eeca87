// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: map header bytes as a racing target might leave them -> decode, any layout. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "golayout.h"
#include "sampler.h"

static void decode_as(const char *version, const char *experiment, const uint8_t *data, size_t size)
{
	struct gobuildinfo bi = { 0 };
	struct golayout layout;
	struct map_header h;

	strcpy(bi.version, version);
	strcpy(bi.goexperiment, experiment);
	if (go_version_parse(version, &bi.parsed) || golayout_for(&bi, &layout))
		return;
	if (size >= map_header_size(&layout))
		map_header_decode(&layout, data, &h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_as("go1.19.8", "", data, size);
	decode_as("go1.24.4", "noswissmap", data, size);
	decode_as("go1.26.10", "", data, size);
	return 0;
}
