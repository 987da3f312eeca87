// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: function prologue bytes -> the probe placement decision. The
 * first byte picks the architecture: odd for arm64, even for x86-64.
 */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "probes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_choice choice;
	uint16_t machine;

	if (!size)
		return 0;
	machine = (data[0] & 1) ? EM_AARCH64 : EM_X86_64;
	probe_choose(machine, data + 1, size - 1, 0x401000, &choice);
	return 0;
}
