/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probe plan: which runtime functions to probe for the target's map
 * implementation, and at which byte of each, chosen by disassembly.
 */
#ifndef GOMAPLEAK_PROBES_H
#define GOMAPLEAK_PROBES_H

#include <stdbool.h>

#include "golayout.h"
#include "gomapleak.h"
#include "pclntab.h"

/* What a probe tells; groups are attached as one (governor.h). */
enum probe_group {
	PROBE_GROUP_CREATE,
	PROBE_GROUP_GROWTH,
	PROBE_GROUP_OVERFLOW,
	PROBE_GROUP_INSERT,
	PROBE_GROUP_DELETE,
	PROBE_GROUP_CLEAR,
	PROBE_GROUPS,
};

/* Which BPF program handles a probe: one per argument shape. */
enum probe_handler {
	PROBE_MAKEMAP, /* entry, and every RET for the result */
	PROBE_MAKEMAP_SMALL,
	PROBE_HASH_GROW,
	PROBE_SWISS_GROW_TO_SMALL,
	PROBE_SWISS_GROW_TO_TABLE,
	PROBE_SWISS_TABLE_GROW,
	PROBE_SWISS_TABLE_SPLIT,
	PROBE_INSERT,
	PROBE_DELETE,
	PROBE_CLEAR,
	PROBE_OVERFLOW,
};

/* Implementations a spec applies to: a mask of 1 << enum go_map_impl. */
#define PROBE_CLASSIC (1u << GO_MAP_CLASSIC)
#define PROBE_SWISS   (1u << GO_MAP_SWISS)
#define PROBE_BOTH    (PROBE_CLASSIC | PROBE_SWISS)

struct probe_spec {
	const char *func;
	unsigned int impls;
	enum probe_group group;
	enum probe_handler handler;
	const char *if_absent; /* what a user loses when the function is not in the binary */
};

#define PROBE_MAX_RETS 32

/* Where in a function a uprobe goes, and why that instruction. */
struct probe_choice {
	uint64_t vaddr;
	char insn[200];		  /* e.g. "push rbp" */
	bool at_stack_check_jump; /* hits on the morestack path must be dropped */
	bool result_in_body;	  /* the new map is in RAX here: no RET probes (result_point.h) */
	char reason[256];	  /* why no instruction fits, when none does */
};

enum probe_status {
	PROBE_OK,
	PROBE_ABSENT,  /* not in the binary (inlined or not linked in) */
	PROBE_REFUSED, /* found, but no safe instruction to probe */
};

struct probe_site {
	const struct probe_spec *spec;
	enum probe_status status;
	struct go_func func;
	struct probe_choice choice;
	uint64_t file_offset; /* of choice.vaddr, for the uprobe */
	uint32_t frame_size;  /* bytes the prologue reserves below the saved frame pointer */
	int nrets;	      /* RET instructions: results are read there, in RAX... */
	uint64_t rets[PROBE_MAX_RETS];
	bool rets_truncated;
};

struct probe_plan {
	struct probe_site sites[GML_MAX_PROBES];
	int nsites;
};

/*
 * The instruction to probe among a function's first len bytes at vaddr,
 * for machine's code (EM_X86_64, EM_AARCH64); -EINVAL with out->reason
 * when none is cheap enough.
 */
int probe_choose(uint16_t machine, const uint8_t *code, size_t len, uint64_t vaddr,
		 struct probe_choice *out);
int probe_plan_build(struct probe_plan *plan, const struct goelf *ge, const struct pclntab *pt,
		     enum go_map_impl impl);
bool probe_handler_reads_result(enum probe_handler handler);
/* Whether the site's result is read on its RETs (single-stepped), not in its body. */
bool probe_site_reads_at_rets(const struct probe_site *site);
/*
 * What one hit costs the target, measured on the machine docs/probes.md
 * names: a probe on an emulated instruction, plus a single-stepped RET for
 * probes that read a result. Only until the governor's calibration has
 * measured this machine (calibrate.h).
 */
#define PROBE_EMULATED_HIT_SECONDS 0.7e-6
#define PROBE_STEPPED_HIT_SECONDS  10e-6
/* A group's hit by these (a creation: its entry and one RET). */
double probe_group_default_hit_seconds(enum probe_group group);
const char *probe_group_name(enum probe_group group);
/* The operations a group's probes count (bits 1 << enum gml_op); 0 for the others. */
unsigned int probe_group_ops(enum probe_group group);

#endif /* GOMAPLEAK_PROBES_H */
