/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The architecture-specific half of the probe plan (probes.c holds the
 * rest): where in a function's first instructions its uprobe goes, and
 * a walk over the whole function for its returns and frame size.
 */
#ifndef GOMAPLEAK_PROBE_ARCH_H
#define GOMAPLEAK_PROBE_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "probes.h"

/* probe_choose() for x86-64 code (probe_x86.c). */
int probe_choose_x86(const uint8_t *code, size_t len, uint64_t vaddr, struct probe_choice *out);
/* The function's RET instructions into site->rets, and the frame its prologue reserves. */
int probe_scan_x86(struct probe_site *site, const uint8_t *code, size_t len);
/* The same for arm64 code (probe_arm64.c). */
int probe_choose_arm64(const uint8_t *code, size_t len, uint64_t vaddr, struct probe_choice *out);
int probe_scan_arm64(struct probe_site *site, const uint8_t *code, size_t len);

#endif /* GOMAPLEAK_PROBE_ARCH_H */
