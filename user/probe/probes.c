// SPDX-License-Identifier: GPL-2.0
/*
 * The probe plan: which runtime functions are probed, and for each the
 * instruction its uprobe goes on, by architecture (probe_x86.c,
 * probe_arm64.c: the rules and why are there and in docs/probes.md).
 * Anything without a cheap instruction is refused with the reason: no
 * probe is better than a slow one.
 */
#include "probes.h"
#include "probe_arch.h"
#include "result_point.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PROBE_DECODE_BYTES 64

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

static const struct probe_isa *isa_of(uint16_t machine)
{
	return machine == EM_AARCH64 ? &probe_isa_arm64 : &probe_isa_x86;
}

int probe_choose(uint16_t machine, const uint8_t *code, size_t len, uint64_t vaddr,
		 struct probe_choice *out)
{
	return probe_isa_choose(isa_of(machine), code, len, vaddr, out);
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
	if (probe_choose(ge->machine, code, len < PROBE_DECODE_BYTES ? len : PROBE_DECODE_BYTES,
			 site->func.entry, &site->choice))
		return;
	probe_isa_scan(isa_of(ge->machine), site, code, len);
	/* On arm64 a RET is simulated: reading the result there costs no more. */
	if (ge->machine == EM_X86_64)
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
