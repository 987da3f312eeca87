// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>

#include "addr_sample.h"

static struct addr_sample s;

static void teardown(void)
{
	addr_sample_free(&s);
}

TestSuite(addr_sample, .fini = teardown);

Test(addr_sample, a_stream_that_fits_is_kept_whole)
{
	uint64_t i;

	cr_assert_eq(addr_sample_init(&s, 8), 0);
	for (i = 0; i < 8; i++)
		addr_sample_push(&s, 0x1000 + i);
	cr_assert_eq(s.n, 8);
	cr_assert_eq(s.seen, 8);
	for (i = 0; i < 8; i++)
		cr_assert_eq(s.v[i], 0x1000 + i);
}

Test(addr_sample, a_long_stream_keeps_every_stride_th_within_the_cap)
{
	uint64_t i;
	size_t k;

	cr_assert_eq(addr_sample_init(&s, 1000), 0);
	for (i = 0; i < 1000000; i++)
		addr_sample_push(&s, i);
	cr_assert_eq(s.seen, 1000000);
	/* 1000 * 1024 >= 1,000,000 > 1000 * 512: stride 1024, 977 kept, evenly spread. */
	cr_assert_eq(s.stride, 1024);
	cr_assert_eq(s.n, 977);
	for (k = 0; k < s.n; k++)
		cr_assert_eq(s.v[k], k * 1024);
}

Test(addr_sample, a_reset_starts_a_new_stream_in_the_same_memory)
{
	uint64_t *v, i;

	cr_assert_eq(addr_sample_init(&s, 3), 0);
	cr_assert_eq(s.cap, 4);
	for (i = 0; i < 100; i++)
		addr_sample_push(&s, i);
	v = s.v;
	addr_sample_reset(&s);
	addr_sample_push(&s, 42);
	cr_assert_eq(s.v, v);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.v[0], 42);
	cr_assert_eq(s.stride, 1);
}
