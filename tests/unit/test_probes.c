// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "governor.h"
#include "golayout.h"
#include "gobinary.h"
#include "probes.h"
#include "result_point.h"
#include "variants.h"

/* Go 1.26 internal/runtime/maps.(*Map).growToSmall: cmp; jbe; push rbp; mov; sub. */
static const uint8_t go126_small_frame[] = { 0x49, 0x3b, 0x66, 0x10, 0x76, 0x57, 0x55,
					     0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x10 };
/* Go 1.19 runtime.hashGrow: cmp; jbe rel32; sub rsp; mov [rsp], rbp; lea rbp. */
static const uint8_t go119_hash_grow[] = { 0x49, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0xdc, 0x01,
					   0x00, 0x00, 0x48, 0x83, 0xec, 0x38, 0x48, 0x89,
					   0x6c, 0x24, 0x30, 0x48, 0x8d, 0x6c, 0x24, 0x30 };
/* A medium frame: lea r12, [rsp-0x108]; cmp r12, [r14+0x10]; jbe; push rbp. */
static const uint8_t medium_frame[] = { 0x4c, 0x8d, 0xa4, 0x24, 0xf8, 0xfe, 0xff, 0xff,
					0x4d, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0x10, 0x00,
					0x00, 0x00, 0x55, 0x48, 0x89, 0xe5 };
/* A large frame: mov r12, rsp; sub r12, 0x2000; jb; cmp r12, [r14+0x10]; jbe; push rbp. */
static const uint8_t large_frame[] = { 0x49, 0x89, 0xe4, 0x49, 0x81, 0xec, 0x00, 0x20, 0x00,
				       0x00, 0x0f, 0x82, 0x20, 0x00, 0x00, 0x00, 0x4d, 0x3b,
				       0x66, 0x10, 0x0f, 0x86, 0x10, 0x00, 0x00, 0x00, 0x55 };
/* A leaf without a stack check. */
static const uint8_t leaf_push[] = { 0x55, 0x48, 0x89, 0xe5, 0xc3 };
static const uint8_t leaf_mov[] = { 0x48, 0x8b, 0x08, 0xc3 };
/* A compare against something other than g.stackguard0 is no stack check. */
static const uint8_t not_a_stack_check[] = { 0x49, 0x3b, 0x66, 0x18, 0x76, 0x57, 0x55 };

Test(probe_choose, picks_the_push_after_the_stack_check_on_go126)
{
	struct probe_choice c;

	cr_assert_eq(
		probe_choose(EM_X86_64, go126_small_frame, sizeof(go126_small_frame), 0x40bc80, &c),
		0);
	cr_assert_eq(c.vaddr, 0x40bc86);
	cr_assert_str_eq(c.insn, "push rbp");
	cr_assert_not(c.at_stack_check_jump);
}

Test(probe_choose, picks_the_jbe_and_flags_the_morestack_pass_on_go119)
{
	struct probe_choice c;

	cr_assert_eq(
		probe_choose(EM_X86_64, go119_hash_grow, sizeof(go119_hash_grow), 0x40e8a0, &c), 0);
	cr_assert_eq(c.vaddr, 0x40e8a4);
	cr_assert(strncmp(c.insn, "jbe", 3) == 0, "%s", c.insn);
	cr_assert(c.at_stack_check_jump);
}

Test(probe_choose, understands_medium_and_large_frame_checks)
{
	struct probe_choice c;

	cr_assert_eq(probe_choose(EM_X86_64, medium_frame, sizeof(medium_frame), 0x1000, &c), 0);
	cr_assert_eq(c.vaddr, 0x1012);
	cr_assert_eq(probe_choose(EM_X86_64, large_frame, sizeof(large_frame), 0x1000, &c), 0);
	cr_assert_eq(c.vaddr, 0x101a);
	cr_assert_str_eq(c.insn, "push rbp");
}

Test(probe_choose, leaf_starting_with_push_is_probed_at_entry)
{
	struct probe_choice c;

	cr_assert_eq(probe_choose(EM_X86_64, leaf_push, sizeof(leaf_push), 0x2000, &c), 0);
	cr_assert_eq(c.vaddr, 0x2000);
}

Test(probe_choose, refuses_instructions_the_kernel_would_single_step)
{
	struct probe_choice c;

	cr_assert_eq(probe_choose(EM_X86_64, leaf_mov, sizeof(leaf_mov), 0x2000, &c), -EINVAL);
	cr_assert(strstr(c.reason, "mov"), "%s", c.reason);
	cr_assert_eq(probe_choose(EM_X86_64, not_a_stack_check, sizeof(not_a_stack_check), 0, &c),
		     -EINVAL);
	cr_assert_eq(probe_choose(EM_X86_64, leaf_mov, 0, 0x2000, &c), -EINVAL);
}

/* Runs check on the plan of growonce, plain and stripped PIE, of every toolchain here. */
static void check_every_test_binary(variant_binary_fn check)
{
	static const char *const flavors[2] = { "default", "stripped-pie" };

	variants_each_binary("growonce", flavors, check);
}

/* Growth functions per implementation, present and probeable in every toolchain here. */
static void check_growth_sites(const struct variant *v, const char *path, const struct gobinary *gb)
{
	const struct probe_plan *plan = &gb->plan;
	int want = strcmp(v->impl, "swiss") ? 1 : 4, growth = 0, s;

	for (s = 0; s < plan->nsites; s++) {
		const struct probe_site *site = &plan->sites[s];

		if (site->spec->group != PROBE_GROUP_GROWTH)
			continue;
		growth++;
		cr_assert_eq(site->status, PROBE_OK, "%s: %s: %s", path, site->spec->func,
			     site->choice.reason);
		/* Never the first instruction: that one is single-stepped. */
		cr_assert_gt(site->choice.vaddr, site->func.entry, "%s: %s", path,
			     site->spec->func);
		/* Go 1.21+ frames start with push rbp; 1.19 only with sub. */
		cr_assert_eq(site->choice.at_stack_check_jump, v->minor < 21, "%s: %s: %s", path,
			     site->spec->func, site->choice.insn);
		cr_assert_gt(site->nrets, 0, "%s: %s", path, site->spec->func);
	}
	cr_assert_eq(growth, want, "%s", path);
	cr_assert_eq(governor_count_sites(plan, ATTACH_MODE_WATCH, false), want, "%s", path);
}

Test(probe_plan, growth_probes_are_placed_in_every_test_binary)
{
	check_every_test_binary(check_growth_sites);
}

/* Go 1.22 runtime.makemap_small at 0x40e7e0; runtime.newobject at 0x40dd80. */
static const uint8_t go122_makemap_small[] = { 0x49, 0x3b, 0x66, 0x10, 0x76, 0x30, 0x55, 0x48, 0x89,
					       0xe5, 0x48, 0x83, 0xec, 0x18, 0x48, 0x8d, 0x05, 0x6b,
					       0xad, 0x09, 0x00, 0xe8, 0x86, 0xf5, 0xff, 0xff, 0x48,
					       0x89, 0x44, 0x24, 0x10, 0x90, 0xe8, 0xdb, 0x19, 0x05,
					       0x00, 0x48, 0x8b, 0x4c, 0x24, 0x10, 0x89, 0x41, 0x0c,
					       0x48, 0x89, 0xc8, 0x48, 0x83, 0xc4, 0x18, 0x5d, 0xc3,
					       0xe8, 0xc5, 0x36, 0x05, 0x00, 0xeb, 0xc3 };
/* Go 1.21's, at 0x40d2e0 (newobject at 0x40c880): fastrand inlined, RAX overwritten. */
static const uint8_t go121_makemap_small[] = {
	0x49, 0x3b, 0x66, 0x10, 0x76, 0x58, 0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x10, 0x48,
	0x8d, 0x05, 0xeb, 0x5b, 0x09, 0x00, 0xe8, 0x86, 0xf5, 0xff, 0xff, 0x49, 0x8b, 0x4e, 0x30,
	0x48, 0xba, 0x2f, 0x64, 0xbd, 0x78, 0x64, 0x1d, 0x76, 0xa0, 0x48, 0x03, 0x91, 0x20, 0x01,
	0x00, 0x00, 0x48, 0xbb, 0xdb, 0x28, 0xb4, 0xa0, 0xd1, 0x7e, 0x03, 0xe7, 0x48, 0x31, 0xd3,
	0x48, 0x89, 0xc6, 0x48, 0x89, 0xd0, 0x48, 0x89, 0xc7, 0x48, 0xf7, 0xe3, 0xc3
};
/* call 0x2000; mov [rsp+0x10], rax; nop; ret; jmp back to the nop (another path's RAX). */
static const uint8_t nop_is_a_jump_target[] = { 0xe8, 0xfb, 0x0f, 0x00, 0x00, 0x48, 0x89,
						0x44, 0x24, 0x10, 0x90, 0xc3, 0xeb, 0xfc };

Test(result_point, finds_the_nop_after_the_allocation_on_go122)
{
	struct result_point p;

	cr_assert(result_point_after_call(go122_makemap_small, sizeof(go122_makemap_small),
					  0x40e7e0, 0x40dd80, &p));
	cr_assert_eq(p.vaddr, 0x40e7ff);
	cr_assert_str_eq(p.insn, "nop");
}

Test(result_point, none_where_rax_is_overwritten_first_on_go121)
{
	struct result_point p;

	cr_assert_not(result_point_after_call(go121_makemap_small, sizeof(go121_makemap_small),
					      0x40d2e0, 0x40c880, &p));
	/* Nor after a call to anything but the allocator. */
	cr_assert_not(result_point_after_call(go122_makemap_small, sizeof(go122_makemap_small),
					      0x40e7e0, 0x40c880, &p));
}

Test(result_point, none_at_a_jump_target)
{
	struct result_point p;

	cr_assert_not(result_point_after_call(nop_is_a_jump_target, sizeof(nop_is_a_jump_target),
					      0x1000, 0x2000, &p));
}

static void check_makemap_small(const struct variant *v, const char *path,
				const struct gobinary *gb)
{
	const struct probe_plan *plan = &gb->plan;
	bool seen = false;
	int s;

	for (s = 0; s < plan->nsites; s++) {
		const struct probe_site *site = &plan->sites[s];

		if (strcmp(site->spec->func, "runtime.makemap_small"))
			continue;
		seen = true;
		cr_assert_eq(site->status, PROBE_OK, "%s: %s", path, site->choice.reason);
		cr_assert_eq(site->choice.result_in_body, v->minor >= 22, "%s: %s", path,
			     site->choice.insn);
		cr_assert_eq(probe_site_reads_at_rets(site), v->minor < 22, "%s", path);
	}
	cr_assert(seen, "%s", path);
}

Test(probe_plan, makemap_small_is_read_in_its_body_from_go122)
{
	check_every_test_binary(check_makemap_small);
}
