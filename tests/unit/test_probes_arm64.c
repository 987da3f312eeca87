// SPDX-License-Identifier: GPL-2.0
/*
 * The arm64 probe plan: on prologues taken from real binaries, and on the
 * arm64 builds of every toolchain here (cross-built, read on any host),
 * each choice checked against the function's own instruction words.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "gobinary.h"
#include "probes.h"
#include "variants.h"

/* Go 1.19 runtime.hashGrow: ldr x16, [x28, #16]; cmp sp, x16; b.ls; str x30, [sp, #-64]!. */
static const uint8_t small_frame[] = { 0x90, 0x0b, 0x40, 0xf9, 0xff, 0x63, 0x30, 0xeb,
				       0x49, 0x10, 0x00, 0x54, 0xfe, 0x0f, 0x1c, 0xf8 };
/* Go 1.19 runtime.mapassign: ldr; sub x17, sp, #16; cmp x17, x16; b.ls; str x30, [sp, #-144]!. */
static const uint8_t medium_frame[] = {
	0x90, 0x0b, 0x40, 0xf9, 0xf1, 0x43, 0x00, 0xd1, 0x3f, 0x02,
	0x10, 0xeb, 0xc9, 0x24, 0x00, 0x54, 0xfe, 0x0f, 0x17, 0xf8
};
/* Go 1.26 runtime.getCPUCount: ldr; mov x27, #8112; subs x17, sp, x27; b.lo; cmp; b.ls. */
static const uint8_t large_frame[] = { 0x90, 0x0b, 0x40, 0xf9, 0x1b, 0xf6, 0x83, 0xd2,
				       0xf1, 0x63, 0x3b, 0xeb, 0x03, 0x07, 0x00, 0x54,
				       0x3f, 0x02, 0x10, 0xeb, 0xc9, 0x06, 0x00, 0x54 };
/* Go 1.19 runtime.memhash64, no stack check: adrp x27, ...; add; ldrsb. */
static const uint8_t no_check[] = { 0xdb, 0x08, 0x00, 0xd0, 0x7b, 0xbf,
				    0x0a, 0x91, 0x6a, 0x03, 0x80, 0x39 };
/* A guard load from another offset is no stack check. */
static const uint8_t other_load[] = { 0x90, 0x0f, 0x40, 0xf9, 0xff, 0x63,
				      0x30, 0xeb, 0x49, 0x10, 0x00, 0x54 };

Test(probe_choose_arm64, picks_the_b_ls_of_a_small_frames_check)
{
	struct probe_choice c;

	cr_assert_eq(probe_choose(EM_AARCH64, small_frame, sizeof(small_frame), 0x1da10, &c), 0);
	cr_assert_eq(c.vaddr, 0x1da18);
	cr_assert(strncmp(c.insn, "b.ls", 4) == 0, "%s", c.insn);
	cr_assert(c.at_stack_check_jump);
}

Test(probe_choose_arm64, understands_medium_and_large_frame_checks)
{
	struct probe_choice c;

	cr_assert_eq(probe_choose(EM_AARCH64, medium_frame, sizeof(medium_frame), 0x1ccb0, &c), 0);
	cr_assert_eq(c.vaddr, 0x1ccbc);
	cr_assert_eq(probe_choose(EM_AARCH64, large_frame, sizeof(large_frame), 0x4fda0, &c), 0);
	cr_assert_eq(c.vaddr, 0x4fdb4, "%s at 0x%lx", c.insn, (unsigned long)c.vaddr);
	cr_assert(c.at_stack_check_jump);
}

Test(probe_choose_arm64, refuses_a_function_without_the_check)
{
	struct probe_choice c;

	cr_assert_eq(probe_choose(EM_AARCH64, no_check, sizeof(no_check), 0x6d530, &c), -EINVAL);
	cr_assert(strstr(c.reason, "adrp"), "%s", c.reason);
	cr_assert_eq(probe_choose(EM_AARCH64, other_load, sizeof(other_load), 0, &c), -EINVAL);
	cr_assert_eq(probe_choose(EM_AARCH64, small_frame, 8, 0, &c), -EINVAL);
	cr_assert_eq(probe_choose(EM_AARCH64, small_frame, 0, 0, &c), -EINVAL);
}

/* The instruction word at vaddr in the binary. */
static uint32_t word_at(const struct gobinary *gb, uint64_t vaddr)
{
	const uint8_t *p = goelf_bytes_at(&gb->elf, vaddr, 4);

	cr_assert_not_null(p, "0x%lx", (unsigned long)vaddr);
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define B_COND_MASK 0xff00001fu /* B.cond: 0x54, imm19, 0, cond */
#define B_LS	    0x54000009u
#define RET_X30	    0xd65f03c0u

/* Every probe the plan placed is a B.LS, and every RET it lists a RET, by their encodings. */
static void check_arm64_plan(const struct variant *v, const char *path, const struct gobinary *gb)
{
	int s, r, growth = 0, want_growth = strcmp(v->impl, "swiss") ? 1 : 4;

	cr_assert_str_eq(goelf_arch_name(&gb->elf), "arm64", "%s", path);
	for (s = 0; s < gb->plan.nsites; s++) {
		const struct probe_site *site = &gb->plan.sites[s];
		const char *func = site->spec->func;

		if (site->status == PROBE_ABSENT)
			continue;
		cr_assert_eq(site->status, PROBE_OK, "%s: %s: %s", path, func, site->choice.reason);
		cr_assert_eq(word_at(gb, site->choice.vaddr) & B_COND_MASK, B_LS, "%s: %s: %s",
			     path, func, site->choice.insn);
		cr_assert(site->choice.at_stack_check_jump, "%s: %s", path, func);
		cr_assert_not(site->choice.result_in_body, "%s: %s", path, func);
		cr_assert_gt(site->frame_size, 0, "%s: %s", path, func);
		cr_assert_gt(site->nrets, 0, "%s: %s", path, func);
		for (r = 0; r < site->nrets; r++)
			cr_assert_eq(word_at(gb, site->rets[r]), RET_X30, "%s: %s RET at 0x%lx",
				     path, func, (unsigned long)site->rets[r]);
		growth += site->spec->group == PROBE_GROUP_GROWTH;
		if (site->spec->handler == PROBE_MAKEMAP_SMALL)
			cr_assert(probe_site_reads_at_rets(site), "%s", path);
	}
	cr_assert_eq(growth, want_growth, "%s", path);
}

Test(probe_plan_arm64, every_toolchains_arm64_build_is_planned_on_its_own_instructions)
{
	static const char *const flavors[2] = { "arm64", "arm64-stripped-pie" };

	variants_each_binary("growonce", flavors, check_arm64_plan);
}
