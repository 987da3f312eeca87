// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "governor.h"
#include "golayout.h"
#include "gobinary.h"
#include "probes.h"
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

	cr_assert_eq(probe_choose(go126_small_frame, sizeof(go126_small_frame), 0x40bc80, &c), 0);
	cr_assert_eq(c.vaddr, 0x40bc86);
	cr_assert_str_eq(c.insn, "push rbp");
	cr_assert_not(c.at_stack_check_jump);
}

Test(probe_choose, picks_the_jbe_and_flags_the_morestack_pass_on_go119)
{
	struct probe_choice c;

	cr_assert_eq(probe_choose(go119_hash_grow, sizeof(go119_hash_grow), 0x40e8a0, &c), 0);
	cr_assert_eq(c.vaddr, 0x40e8a4);
	cr_assert(strncmp(c.insn, "jbe", 3) == 0, "%s", c.insn);
	cr_assert(c.at_stack_check_jump);
}

Test(probe_choose, understands_medium_and_large_frame_checks)
{
	struct probe_choice c;

	cr_assert_eq(probe_choose(medium_frame, sizeof(medium_frame), 0x1000, &c), 0);
	cr_assert_eq(c.vaddr, 0x1012);
	cr_assert_eq(probe_choose(large_frame, sizeof(large_frame), 0x1000, &c), 0);
	cr_assert_eq(c.vaddr, 0x101a);
	cr_assert_str_eq(c.insn, "push rbp");
}

Test(probe_choose, leaf_starting_with_push_is_probed_at_entry)
{
	struct probe_choice c;

	cr_assert_eq(probe_choose(leaf_push, sizeof(leaf_push), 0x2000, &c), 0);
	cr_assert_eq(c.vaddr, 0x2000);
}

Test(probe_choose, refuses_instructions_the_kernel_would_single_step)
{
	struct probe_choice c;

	cr_assert_eq(probe_choose(leaf_mov, sizeof(leaf_mov), 0x2000, &c), -EINVAL);
	cr_assert(strstr(c.reason, "mov"), "%s", c.reason);
	cr_assert_eq(probe_choose(not_a_stack_check, sizeof(not_a_stack_check), 0, &c), -EINVAL);
	cr_assert_eq(probe_choose(leaf_mov, 0, 0x2000, &c), -EINVAL);
}

/* Growth functions per implementation, present and probeable in every toolchain here. */
Test(probe_plan, growth_probes_are_placed_in_every_test_binary)
{
	static const char *const flavors[] = { "default", "stripped-pie" };
	struct variant vs[MAX_VARIANTS];
	size_t n = variants_load(vs, MAX_VARIANTS), i, f;
	char path[4096], why[512];
	int s;

	for (i = 0; i < n; i++) {
		for (f = 0; f < 2; f++) {
			struct gobinary gb;
			int want = strcmp(vs[i].impl, "swiss") ? 1 : 4, growth = 0;

			variant_binary(path, sizeof(path), &vs[i], flavors[f], "growonce");
			cr_assert_eq(gobinary_open(&gb, path, why, sizeof(why)), 0, "%s: %s", path,
				     why);
			for (s = 0; s < gb.plan.nsites; s++) {
				const struct probe_site *site = &gb.plan.sites[s];

				if (site->spec->group != PROBE_GROUP_GROWTH)
					continue;
				growth++;
				cr_assert_eq(site->status, PROBE_OK, "%s: %s: %s", path,
					     site->spec->func, site->choice.reason);
				/* Never the first instruction: that one is single-stepped. */
				cr_assert_gt(site->choice.vaddr, site->func.entry, "%s: %s", path,
					     site->spec->func);
				/* Go 1.21+ frames start with push rbp; 1.19 only with sub. */
				cr_assert_eq(site->choice.at_stack_check_jump, vs[i].minor < 21,
					     "%s: %s: %s", path, site->spec->func,
					     site->choice.insn);
				cr_assert_gt(site->nrets, 0, "%s: %s", path, site->spec->func);
			}
			cr_assert_eq(growth, want, "%s", path);
			cr_assert_eq(governor_count_sites(&gb.plan, ATTACH_MODE_WATCH, false), want,
				     "%s", path);
			gobinary_close(&gb);
		}
	}
}
