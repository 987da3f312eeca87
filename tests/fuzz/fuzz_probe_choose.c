// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: function prologue bytes -> the probe placement decision. */
#include <stddef.h>
#include <stdint.h>

#include "probes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_choice choice;

	probe_choose(data, size, 0x401000, &choice);
	return 0;
}
