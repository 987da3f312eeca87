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
 * Anything else is refused with the reason: no probe is better than a slow one.
 */
#include "probes.h"
#include "result_point.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PROBE_DECODE_BYTES 64
#define PROBE_DECODE_INSNS 8
#define G_STACKGUARD0_OFF  0x10

#define PROBE_MAX_DECODE (64u << 10)

/* A runtime map function missing from a binary has no caller in it (dead code). */
#define UNUSED_VARIANT "no map in this program uses this variant"

static const struct probe_spec probe_specs[] = {
	{ "runtime.makemap", PROBE_BOTH, PROBE_GROUP_CREATE, PROBE_MAKEMAP,
	  "maps made with a size hint > 8 are not seen at creation" },
	{ "runtime.makemap_small", PROBE_BOTH, PROBE_GROUP_CREATE, PROBE_MAKEMAP_SMALL,
	  "maps made without a hint are not seen at creation" },
	{ "runtime.makemap64", PROBE_BOTH, PROBE_GROUP_CREATE, PROBE_MAKEMAP, UNUSED_VARIANT },
	{ "runtime.hashGrow", PROBE_CLASSIC, PROBE_GROUP_GROWTH, PROBE_HASH_GROW,
	  "classic map growth goes unseen" },
	{ "internal/runtime/maps.(*Map).growToSmall", PROBE_SWISS, PROBE_GROUP_GROWTH,
	  PROBE_SWISS_GROW_TO_SMALL, "a map's first group goes unseen" },
	{ "internal/runtime/maps.(*Map).growToTable", PROBE_SWISS, PROBE_GROUP_GROWTH,
	  PROBE_SWISS_GROW_TO_TABLE, "a map's first table goes unseen" },
	{ "internal/runtime/maps.(*table).grow", PROBE_SWISS, PROBE_GROUP_GROWTH,
	  PROBE_SWISS_TABLE_GROW, "table doublings go unseen" },
	{ "internal/runtime/maps.(*table).split", PROBE_SWISS, PROBE_GROUP_GROWTH,
	  PROBE_SWISS_TABLE_SPLIT, "table splits go unseen" },
	{ "runtime.(*hmap).newoverflow", PROBE_CLASSIC, PROBE_GROUP_OVERFLOW, PROBE_OVERFLOW,
	  "overflow buckets are counted from map headers only" },
	{ "runtime.mapassign", PROBE_BOTH, PROBE_GROUP_INSERT, PROBE_INSERT, UNUSED_VARIANT },
	{ "runtime.mapassign_fast32", PROBE_BOTH, PROBE_GROUP_INSERT, PROBE_INSERT,
	  UNUSED_VARIANT },
	{ "runtime.mapassign_fast32ptr", PROBE_BOTH, PROBE_GROUP_INSERT, PROBE_INSERT,
	  UNUSED_VARIANT },
	{ "runtime.mapassign_fast64", PROBE_BOTH, PROBE_GROUP_INSERT, PROBE_INSERT,
	  UNUSED_VARIANT },
	{ "runtime.mapassign_fast64ptr", PROBE_BOTH, PROBE_GROUP_INSERT, PROBE_INSERT,
	  UNUSED_VARIANT },
	{ "runtime.mapassign_faststr", PROBE_BOTH, PROBE_GROUP_INSERT, PROBE_INSERT,
	  UNUSED_VARIANT },
	{ "runtime.mapdelete", PROBE_BOTH, PROBE_GROUP_DELETE, PROBE_DELETE, UNUSED_VARIANT },
	{ "runtime.mapdelete_fast32", PROBE_BOTH, PROBE_GROUP_DELETE, PROBE_DELETE,
	  UNUSED_VARIANT },
	{ "runtime.mapdelete_fast64", PROBE_BOTH, PROBE_GROUP_DELETE, PROBE_DELETE,
	  UNUSED_VARIANT },
	{ "runtime.mapdelete_faststr", PROBE_BOTH, PROBE_GROUP_DELETE, PROBE_DELETE,
	  UNUSED_VARIANT },
	{ "runtime.mapclear", PROBE_BOTH, PROBE_GROUP_CLEAR, PROBE_CLEAR,
	  "clear(m) is told from a reused address by the hash seed only" },
};

/* Results are only known on return: such probes also go on every RET. */
bool probe_handler_reads_result(enum probe_handler handler)
{
	return handler == PROBE_MAKEMAP || handler == PROBE_MAKEMAP_SMALL;
}

bool probe_site_reads_at_rets(const struct probe_site *site)
{
	return probe_handler_reads_result(site->spec->handler) && !site->choice.result_in_body;
}

double probe_group_default_hit_seconds(enum probe_group group)
{
	return PROBE_EMULATED_HIT_SECONDS +
	       (group == PROBE_GROUP_CREATE ? PROBE_STEPPED_HIT_SECONDS : 0);
}

const char *probe_group_name(enum probe_group group)
{
	static const char *const names[] = {
		[PROBE_GROUP_CREATE] = "create",     [PROBE_GROUP_GROWTH] = "growth",
		[PROBE_GROUP_OVERFLOW] = "overflow", [PROBE_GROUP_INSERT] = "insert",
		[PROBE_GROUP_DELETE] = "delete",     [PROBE_GROUP_CLEAR] = "clear",
	};

	return names[group];
}

unsigned int probe_group_ops(enum probe_group group)
{
	switch (group) {
	case PROBE_GROUP_INSERT:
		return 1u << GML_OP_INSERT;
	case PROBE_GROUP_DELETE:
		return 1u << GML_OP_DELETE;
	case PROBE_GROUP_CLEAR:
		return 1u << GML_OP_CLEAR;
	case PROBE_GROUP_OVERFLOW:
		return 1u << GML_OP_OVERFLOW;
	default:
		return 0;
	}
}

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

int probe_choose(const uint8_t *code, size_t len, uint64_t vaddr, struct probe_choice *out)
{
	csh handle;
	cs_insn *insn;
	size_t n;
	int err;

	memset(out, 0, sizeof(*out));
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK)
		return -ENOMEM;
	cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
	n = cs_disasm(handle, code, len, vaddr, PROBE_DECODE_INSNS, &insn);
	err = choose_from_insns(insn, n, out);
	if (n)
		cs_free(insn, n);
	cs_close(&handle);
	return err;
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

/* Walks the whole function once: its RET instructions and its frame size. */
static int scan_function(struct probe_site *site, const uint8_t *code, size_t len)
{
	uint64_t addr = site->func.entry;
	csh handle;
	cs_insn *insn;
	int seen = 0;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK)
		return -ENOMEM;
	cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(handle);
	while (insn && cs_disasm_iter(handle, &code, &len, &addr, insn)) {
		if (seen++ < PROBE_DECODE_INSNS && !site->frame_size)
			frame_reservation(insn, &site->frame_size);
		if (insn->id != X86_INS_RET)
			continue;
		if (site->nrets == PROBE_MAX_RETS) {
			site->rets_truncated = true;
			continue;
		}
		site->rets[site->nrets++] = insn->address;
	}
	if (insn)
		cs_free(insn, 1);
	cs_close(&handle);
	return 0;
}

/*
 * makemap_small's new map read in its body, where the code allows
 * (result_point.h): one emulated hit a creation instead of the entry and a
 * single-stepped RET.
 */
static void read_result_in_body(struct probe_site *site, const uint8_t *code, size_t len,
				const struct pclntab *pt)
{
	struct go_func newobject;
	struct result_point point;

	if (site->spec->handler != PROBE_MAKEMAP_SMALL ||
	    pclntab_find_func(pt, "runtime.newobject", &newobject) ||
	    !result_point_after_call(code, len, site->func.entry, newobject.entry, &point))
		return;
	site->choice.vaddr = point.vaddr;
	site->choice.at_stack_check_jump = false;
	site->choice.result_in_body = true;
	snprintf(site->choice.insn, sizeof(site->choice.insn), "%s", point.insn);
}

static void plan_site(struct probe_site *site, const struct goelf *ge, const struct pclntab *pt)
{
	const uint8_t *code;
	size_t len;

	int err = pclntab_find_func(pt, site->spec->func, &site->func);

	if (err == -EEXIST) {
		site->status = PROBE_REFUSED;
		snprintf(site->choice.reason, sizeof(site->choice.reason),
			 "several functions have this name (ABI wrappers)");
		return;
	}
	if (err) {
		site->status = PROBE_ABSENT;
		snprintf(site->choice.reason, sizeof(site->choice.reason),
			 "not in the binary (inlined or not linked in)");
		return;
	}
	site->status = PROBE_REFUSED;
	len = site->func.end > site->func.entry ? site->func.end - site->func.entry : 0;
	if (len > PROBE_MAX_DECODE)
		len = PROBE_MAX_DECODE;
	code = len ? goelf_bytes_at(ge, site->func.entry, len) : NULL;
	if (!code) {
		snprintf(site->choice.reason, sizeof(site->choice.reason),
			 "code at 0x%llx is not in the file", (unsigned long long)site->func.entry);
		return;
	}
	if (probe_choose(code, len < PROBE_DECODE_BYTES ? len : PROBE_DECODE_BYTES,
			 site->func.entry, &site->choice))
		return;
	scan_function(site, code, len);
	read_result_in_body(site, code, len, pt);
	/* A RET left unprobed would lose that path's results without a word. */
	if (probe_site_reads_at_rets(site) && site->rets_truncated) {
		snprintf(site->choice.reason, sizeof(site->choice.reason),
			 "more than %d RET instructions to read its result at", PROBE_MAX_RETS);
		return;
	}
	if (goelf_vaddr_to_offset(ge, site->choice.vaddr, &site->file_offset)) {
		snprintf(site->choice.reason, sizeof(site->choice.reason),
			 "probe address has no file offset");
		return;
	}
	site->status = PROBE_OK;
}

int probe_plan_build(struct probe_plan *plan, const struct goelf *ge, const struct pclntab *pt,
		     enum go_map_impl impl)
{
	size_t i;

	memset(plan, 0, sizeof(*plan));
	for (i = 0; i < sizeof(probe_specs) / sizeof(probe_specs[0]); i++) {
		struct probe_site *site;

		if (!(probe_specs[i].impls & (1u << impl)))
			continue;
		if (plan->nsites == GML_MAX_PROBES)
			return -E2BIG;
		site = &plan->sites[plan->nsites++];
		site->spec = &probe_specs[i];
		plan_site(site, ge, pt);
	}
	return 0;
}
