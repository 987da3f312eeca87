// SPDX-License-Identifier: GPL-2.0
/* The probe plan's disassembly loops, one for every instruction set (probe_arch.h). */
#include "probe_arch.h"

#include <errno.h>
#include <string.h>

static int open_isa(const struct probe_isa *isa, csh *handle)
{
	if (cs_open(isa->arch, isa->mode, handle) != CS_ERR_OK)
		return -ENOMEM;
	cs_option(*handle, CS_OPT_DETAIL, CS_OPT_ON);
	return 0;
}

int probe_isa_choose(const struct probe_isa *isa, const uint8_t *code, size_t len, uint64_t vaddr,
		     struct probe_choice *out)
{
	csh handle;
	cs_insn *insn;
	size_t n;
	int err;

	memset(out, 0, sizeof(*out));
	if (open_isa(isa, &handle))
		return -ENOMEM;
	n = cs_disasm(handle, code, len, vaddr, PROBE_DECODE_INSNS, &insn);
	err = isa->choose(insn, n, out);
	if (n)
		cs_free(insn, n);
	cs_close(&handle);
	return err;
}

static void add_ret(struct probe_site *site, uint64_t vaddr)
{
	if (site->nrets == PROBE_MAX_RETS)
		site->rets_truncated = true;
	else
		site->rets[site->nrets++] = vaddr;
}

/* The next instruction into insn; false at the end (or, variable-sized, at one not decoded). */
static bool next_insn(const struct probe_isa *isa, csh handle, const uint8_t **code, size_t *len,
		      uint64_t *addr, cs_insn *insn)
{
	while (*len) {
		if (cs_disasm_iter(handle, code, len, addr, insn))
			return true;
		if (!isa->insn_size || *len < isa->insn_size)
			return false;
		*code += isa->insn_size;
		*len -= isa->insn_size;
		*addr += isa->insn_size;
	}
	return false;
}

int probe_isa_scan(const struct probe_isa *isa, struct probe_site *site, const uint8_t *code,
		   size_t len)
{
	uint64_t addr = site->func.entry;
	csh handle;
	cs_insn *insn;
	int seen = 0;

	if (open_isa(isa, &handle))
		return -ENOMEM;
	insn = cs_malloc(handle);
	while (insn && next_insn(isa, handle, &code, &len, &addr, insn)) {
		if (seen++ < PROBE_DECODE_INSNS && !site->frame_size)
			isa->frame_reservation(insn, &site->frame_size);
		if (insn->id == isa->ret_id)
			add_ret(site, insn->address);
	}
	if (insn)
		cs_free(insn, 1);
	cs_close(&handle);
	return 0;
}
