/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The architecture-specific half of the probe plan (probes.c holds the
 * rest): how an instruction set's prologues are read, as a table the
 * plan's disassembly loops (probe_isa.c) run with.
 */
#ifndef GOMAPLEAK_PROBE_ARCH_H
#define GOMAPLEAK_PROBE_ARCH_H

#include <capstone/capstone.h>
#include <stddef.h>
#include <stdint.h>

#include "probes.h"

/* Instructions decoded from a function's entry to choose its probe. */
#define PROBE_DECODE_INSNS 8

struct probe_isa {
	cs_arch arch;
	cs_mode mode;
	unsigned int ret_id; /* capstone's id of a return */
	/* Fixed-size instructions: a word capstone cannot decode is skipped; 0: the walk ends. */
	size_t insn_size;
	/* The probe among the first n decoded instructions; -EINVAL with out->reason if none. */
	int (*choose)(const cs_insn *insn, size_t n, struct probe_choice *out);
	/* Whether insn reserves the function's frame, and its size. */
	bool (*frame_reservation)(const cs_insn *insn, uint32_t *size);
};

extern const struct probe_isa probe_isa_x86;   /* probe_x86.c */
extern const struct probe_isa probe_isa_arm64; /* probe_arm64.c */

/* probe_choose() for one instruction set. */
int probe_isa_choose(const struct probe_isa *isa, const uint8_t *code, size_t len, uint64_t vaddr,
		     struct probe_choice *out);
/* The function's returns into site->rets, and the frame its prologue reserves. */
int probe_isa_scan(const struct probe_isa *isa, struct probe_site *site, const uint8_t *code,
		   size_t len);

#endif /* GOMAPLEAK_PROBE_ARCH_H */
