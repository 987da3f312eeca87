// SPDX-License-Identifier: GPL-2.0
/*
 * A uprobe on an instruction the kernel must single-step costs ~10 us a hit;
 * one on an instruction it emulates (conditional jumps, push) costs ~0.7 us
 * (measured with bench/probe_cost: docs/probes.md). Every Go function that can grow its
 * stack starts with a stack-bound check, "cmp rsp, [r14+0x10]; jbe morestack",
 * which newer compilers follow with "push rbp". So the probe goes on:
 *   - the push after the check: emulated, reached once a call;
 *   - else the check's jbe: emulated, but reached twice when the stack grows
 *     (morestack re-enters the function), so BPF drops hits where it is taken;
 *   - a function without a check that starts with push: the push.
 * Anything else is refused with the reason.
 */
#include "probe_arch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define G_STACKGUARD0_OFF 0x10

static bool is_reg(const cs_x86_op *op, x86_reg reg)
{
	return op->type == X86_OP_REG && op->reg == reg;
}

static bool insn_is(const cs_insn *insn, unsigned int id, int nops)
{
	return insn->id == id && insn->detail->x86.op_count == nops;
}

/* lea r12, [rsp - n]: the frame-size adjustment of a medium frame's check. */
static bool is_frame_lea(const cs_insn *insn)
{
	const cs_x86_op *ops = insn->detail->x86.operands;

	return insn_is(insn, X86_INS_LEA, 2) && is_reg(&ops[0], X86_REG_R12) &&
	       ops[1].mem.base == X86_REG_RSP;
}

/* mov r12, rsp; sub r12, n; jb: the overflow guard of a large frame's check. */
static bool is_large_frame_prefix(const cs_insn *insn, size_t n)
{
	return n >= 3 && insn_is(&insn[0], X86_INS_MOV, 2) &&
	       is_reg(&insn[0].detail->x86.operands[0], X86_REG_R12) &&
	       is_reg(&insn[0].detail->x86.operands[1], X86_REG_RSP) &&
	       insn_is(&insn[1], X86_INS_SUB, 2) &&
	       is_reg(&insn[1].detail->x86.operands[0], X86_REG_R12) && insn[2].id == X86_INS_JB;
}

/* cmp rsp|r12, [r14 + 0x10]: compare against g.stackguard0. */
static bool is_stack_guard_cmp(const cs_insn *insn)
{
	const cs_x86_op *ops = insn->detail->x86.operands;

	if (!insn_is(insn, X86_INS_CMP, 2))
		return false;
	if (!is_reg(&ops[0], X86_REG_RSP) && !is_reg(&ops[0], X86_REG_R12))
		return false;
	return ops[1].type == X86_OP_MEM && ops[1].mem.base == X86_REG_R14 &&
	       ops[1].mem.index == X86_REG_INVALID && ops[1].mem.disp == G_STACKGUARD0_OFF;
}

static bool is_push_rbp(const cs_insn *insn)
{
	return insn_is(insn, X86_INS_PUSH, 1) &&
	       is_reg(&insn->detail->x86.operands[0], X86_REG_RBP);
}

static void choose_insn(struct probe_choice *out, const cs_insn *insn, bool at_jump)
{
	out->vaddr = insn->address;
	out->at_stack_check_jump = at_jump;
	snprintf(out->insn, sizeof(out->insn), "%s %s", insn->mnemonic, insn->op_str);
}

/* Index of the first instruction after the stack-check prefix, or 0 if none. */
static size_t skip_frame_prefix(const cs_insn *insn, size_t n)
{
	if (n >= 1 && is_frame_lea(&insn[0]))
		return 1;
	if (is_large_frame_prefix(insn, n))
		return 3;
	return 0;
}

static int choose_from_insns(const cs_insn *insn, size_t n, struct probe_choice *out)
{
	size_t i = skip_frame_prefix(insn, n);

	if (i + 1 < n && is_stack_guard_cmp(&insn[i]) && insn[i + 1].id == X86_INS_JBE) {
		if (i + 2 < n && is_push_rbp(&insn[i + 2]))
			choose_insn(out, &insn[i + 2], false);
		else
			choose_insn(out, &insn[i + 1], true);
		return 0;
	}
	if (n >= 1 && is_push_rbp(&insn[0])) {
		choose_insn(out, &insn[0], false);
		return 0;
	}
	snprintf(out->reason, sizeof(out->reason),
		 "no stack-bound check or push at entry (first instruction: %s %s)",
		 n ? insn[0].mnemonic : "?", n ? insn[0].op_str : "");
	return -EINVAL;
}

/* sub rsp, N: the frame the prologue reserves. */
static bool frame_reservation(const cs_insn *insn, uint32_t *size)
{
	const cs_x86_op *ops = insn->detail->x86.operands;

	if (!insn_is(insn, X86_INS_SUB, 2) || !is_reg(&ops[0], X86_REG_RSP) ||
	    ops[1].type != X86_OP_IMM || ops[1].imm < 0 || ops[1].imm > UINT32_MAX)
		return false;
	*size = (uint32_t)ops[1].imm;
	return true;
}

const struct probe_isa probe_isa_x86 = {
	.arch = CS_ARCH_X86,
	.mode = CS_MODE_64,
	.ret_id = X86_INS_RET,
	.insn_size = 0,
	.choose = choose_from_insns,
	.frame_reservation = frame_reservation,
};
