// SPDX-License-Identifier: GPL-2.0
#include "result_point.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <string.h>

#define RESULT_POINT_MAX_INSNS	 4096
#define RESULT_POINT_MAX_TARGETS 256

/* Where the function's direct jumps land: a probe there could see another path's RAX. */
struct jump_targets {
	uint64_t at[RESULT_POINT_MAX_TARGETS];
	size_t n;
};

static bool direct_target(const cs_insn *insn, uint64_t *target)
{
	const cs_x86 *x86 = &insn->detail->x86;

	if (x86->op_count != 1 || x86->operands[0].type != X86_OP_IMM)
		return false;
	*target = (uint64_t)x86->operands[0].imm;
	return true;
}

/* False when a jump's target is not known (a jump table) or there are too many. */
static bool collect_jump_targets(csh cs, const cs_insn *insn, size_t n, struct jump_targets *t)
{
	size_t i;

	t->n = 0;
	for (i = 0; i < n; i++) {
		if (!cs_insn_group(cs, &insn[i], X86_GRP_JUMP))
			continue;
		if (t->n == RESULT_POINT_MAX_TARGETS || !direct_target(&insn[i], &t->at[t->n]))
			return false;
		t->n++;
	}
	return true;
}

static bool is_jump_target(const struct jump_targets *t, uint64_t vaddr)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->at[i] == vaddr)
			return true;
	return false;
}

static bool writes_rax(csh cs, const cs_insn *insn)
{
	static const x86_reg rax_parts[] = { X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL,
					     X86_REG_AH };
	cs_regs read, write;
	uint8_t nread, nwrite, i;
	size_t j;

	if (cs_regs_access(cs, insn, read, &nread, write, &nwrite) != CS_ERR_OK)
		return true; /* not known: as if it did */
	for (i = 0; i < nwrite; i++)
		for (j = 0; j < sizeof(rax_parts) / sizeof(rax_parts[0]); j++)
			if (write[i] == rax_parts[j])
				return true;
	return false;
}

/* An instruction the kernel emulates (measured: docs/performance.md) that leaves RAX alone. */
static bool is_emulated_stop(const cs_insn *insn)
{
	uint64_t target;

	return insn->id == X86_INS_NOP ||
	       (insn->id == X86_INS_CALL && direct_target(insn, &target));
}

static bool calls(const cs_insn *insn, uint64_t callee)
{
	uint64_t target;

	return insn->id == X86_INS_CALL && direct_target(insn, &target) && target == callee;
}

/* From the instruction after a call to the allocator: the emulated stop, or none. */
static const cs_insn *stop_after(csh cs, const cs_insn *insn, size_t n,
				 const struct jump_targets *t)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (is_jump_target(t, insn[i].address))
			return NULL;
		if (is_emulated_stop(&insn[i]))
			return &insn[i];
		if (cs_insn_group(cs, &insn[i], X86_GRP_JUMP) ||
		    cs_insn_group(cs, &insn[i], X86_GRP_RET) || writes_rax(cs, &insn[i]))
			return NULL;
	}
	return NULL;
}

static bool find_in(csh cs, const cs_insn *insn, size_t n, uint64_t allocator,
		    struct result_point *out)
{
	struct jump_targets targets;
	const cs_insn *stop;
	size_t i;

	if (!collect_jump_targets(cs, insn, n, &targets))
		return false;
	for (i = 0; i + 1 < n; i++) {
		if (!calls(&insn[i], allocator))
			continue;
		stop = stop_after(cs, &insn[i + 1], n - i - 1, &targets);
		if (!stop)
			continue;
		out->vaddr = stop->address;
		snprintf(out->insn, sizeof(out->insn), "%s%s%s", stop->mnemonic,
			 stop->op_str[0] ? " " : "", stop->op_str);
		return true;
	}
	return false;
}

bool result_point_after_call(const uint8_t *code, size_t len, uint64_t entry, uint64_t allocator,
			     struct result_point *out)
{
	cs_insn *insn = NULL;
	bool found = false;
	size_t n;
	csh cs;

	memset(out, 0, sizeof(*out));
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return false;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	n = cs_disasm(cs, code, len, entry, RESULT_POINT_MAX_INSNS, &insn);
	if (n)
		found = find_in(cs, insn, n, allocator, out);
	if (n)
		cs_free(insn, n);
	cs_close(&cs);
	return found;
}
