// SPDX-License-Identifier: GPL-2.0
/*
 * Where a uprobe goes in an arm64 Go function. The arm64 kernel simulates
 * branches (B.cond, CBZ, TBZ, B, BL, BR, RET), ADR/ADRP and literal loads
 * in the trap handler; every other instruction it steps out of line, in a
 * slot of the process's, at the cost of a second exception
 * (arch/arm64/kernel/probes/decode-insn.c). Every Go function that can
 * grow its stack starts with the stack-bound check (cmd/internal/obj/arm64,
 * stacksplit):
 *
 *	ldr  x16, [x28, #16]        g.stackguard0 (x28 is g)
 *	sub  x17, sp, #N            frames over 128 bytes: SP less the frame
 *	cmp  sp|x17, x16
 *	b.ls morestack              <- the probe: simulated
 *	str  x30, [sp, #-N]!        the frame: stepped out of line
 *
 * (frames too big for an immediate check "mov x27, #N; subs x17, sp, x27;
 * b.lo morestack" first). The
 * B.LS is reached twice when the stack grows (morestack re-enters the
 * function), so the BPF side drops hits where it is taken, as on amd64's
 * JBE. A function without the check is refused: its first instructions are
 * stepped. The results of creations are read at RET, which is simulated
 * too: no cheaper point in the body is needed.
 */
#include "probe_arch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define G_STACKGUARD0_OFF 16

static bool is_reg(const cs_arm64_op *op, arm64_reg reg)
{
	return op->type == ARM64_OP_REG && op->reg == reg;
}

static const cs_arm64_op *operands(const cs_insn *insn, int n)
{
	return insn->detail->arm64.op_count == n ? insn->detail->arm64.operands : NULL;
}

/* ldr x16, [x28, #16]: g.stackguard0 into the first scratch register. */
static bool is_stack_guard_load(const cs_insn *insn)
{
	const cs_arm64_op *ops = operands(insn, 2);

	return insn->id == ARM64_INS_LDR && ops && is_reg(&ops[0], ARM64_REG_X16) &&
	       ops[1].type == ARM64_OP_MEM && ops[1].mem.base == ARM64_REG_X28 &&
	       ops[1].mem.index == ARM64_REG_INVALID && ops[1].mem.disp == G_STACKGUARD0_OFF;
}

/* mov x27, #N (a MOVZ): a large frame's size, too big for the SUB's immediate. */
static bool is_frame_size_move(const cs_insn *insn)
{
	const cs_arm64_op *ops = operands(insn, 2);

	return (insn->id == ARM64_INS_MOV || insn->id == ARM64_INS_MOVZ) && ops &&
	       is_reg(&ops[0], ARM64_REG_X27) && ops[1].type == ARM64_OP_IMM;
}

/* sub|subs x17, sp, #N|x27: the bottom of a frame over the small size. */
static bool is_frame_bottom(const cs_insn *insn)
{
	const cs_arm64_op *ops = operands(insn, 3);

	return insn->id == ARM64_INS_SUB && ops && is_reg(&ops[0], ARM64_REG_X17) &&
	       is_reg(&ops[1], ARM64_REG_SP) &&
	       (ops[2].type == ARM64_OP_IMM || is_reg(&ops[2], ARM64_REG_X27));
}

static bool is_branch_if(const cs_insn *insn, arm64_cc cc)
{
	return insn->id == ARM64_INS_B && insn->detail->arm64.cc == cc;
}

/* cmp sp|x17, x16: the frame's bottom against the guard. */
static bool is_stack_guard_cmp(const cs_insn *insn)
{
	const cs_arm64_op *ops = operands(insn, 2);

	return insn->id == ARM64_INS_CMP && ops &&
	       (is_reg(&ops[0], ARM64_REG_SP) || is_reg(&ops[0], ARM64_REG_X17)) &&
	       is_reg(&ops[1], ARM64_REG_X16);
}

/* Index of the check's B.LS after its guard load at insn[0], or 0 if it is not one. */
static size_t stack_check_branch(const cs_insn *insn, size_t n)
{
	size_t i = 1;

	if (n < 3 || !is_stack_guard_load(&insn[0]))
		return 0;
	if (i < n && is_frame_size_move(&insn[i]))
		i++;
	if (i < n && is_frame_bottom(&insn[i]))
		i++;
	if (i < n && is_branch_if(&insn[i], ARM64_CC_LO))
		i++;
	if (i + 1 < n && is_stack_guard_cmp(&insn[i]) && is_branch_if(&insn[i + 1], ARM64_CC_LS))
		return i + 1;
	return 0;
}

static int choose_from_insns(const cs_insn *insn, size_t n, struct probe_choice *out)
{
	size_t i = stack_check_branch(insn, n);

	if (i) {
		out->vaddr = insn[i].address;
		out->at_stack_check_jump = true;
		snprintf(out->insn, sizeof(out->insn), "%s %s", insn[i].mnemonic, insn[i].op_str);
		return 0;
	}
	snprintf(out->reason, sizeof(out->reason),
		 "no stack-bound check at entry (first instruction: %s %s)",
		 n ? insn[0].mnemonic : "?", n ? insn[0].op_str : "");
	return -EINVAL;
}

/* str x30, [sp, #-N]!: the frame the prologue makes, the link register at its bottom. */
static bool frame_reservation(const cs_insn *insn, uint32_t *size)
{
	const cs_arm64_op *ops = operands(insn, 2);

	if (insn->id != ARM64_INS_STR || !ops || !insn->detail->arm64.writeback ||
	    !is_reg(&ops[0], ARM64_REG_X30) || ops[1].type != ARM64_OP_MEM ||
	    ops[1].mem.base != ARM64_REG_SP || ops[1].mem.disp >= 0)
		return false;
	*size = (uint32_t)-ops[1].mem.disp;
	return true;
}

const struct probe_isa probe_isa_arm64 = {
	.arch = CS_ARCH_ARM64,
	.mode = CS_MODE_ARM,
	.ret_id = ARM64_INS_RET,
	.insn_size = 4,
	.choose = choose_from_insns,
	.frame_reservation = frame_reservation,
};
