// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: a .go.buildinfo section -> version and build settings. */
#include <stddef.h>
#include <stdint.h>

#include "gobuildinfo.h"
#include "golayout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gobuildinfo bi;
	struct golayout layout;

	if (!gobuildinfo_parse(data, size, &bi))
		golayout_for(&bi, &layout);
	return 0;
}
