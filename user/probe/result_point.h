/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a creation probe can read the new map without a RET. A RET is
 * single-stepped (~10 us a hit on this project's machine, docs/performance.md);
 * makemap_small on Go 1.22 and later spills the map newobject returned and
 * then runs a nop and a call, which the kernel emulates (~0.7 us), with the
 * map still in RAX:
 *
 *	call runtime.newobject
 *	mov  [rsp+0x10], rax
 *	nop                        <- here
 *	call runtime.rand
 *
 * Go 1.19 and 1.21 inline fastrand there and overwrite RAX before any such
 * instruction: its creations keep the entry probe and the RET.
 */
#ifndef GOMAPLEAK_RESULT_POINT_H
#define GOMAPLEAK_RESULT_POINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct result_point {
	uint64_t vaddr; /* the instruction to probe */
	char insn[200]; /* e.g. "nop" */
};

/*
 * Finds, in the function at entry (code, len bytes), the first instruction
 * after a direct call to allocator that the kernel emulates (a nop or a
 * direct call), reached only straight from that call, with RAX not written
 * in between. Returns whether there is one.
 */
bool result_point_after_call(const uint8_t *code, size_t len, uint64_t entry, uint64_t allocator,
			     struct result_point *out);

#endif /* GOMAPLEAK_RESULT_POINT_H */
