// SPDX-License-Identifier: GPL-2.0
/* The verifier's reason and last lines, from a real log: Linux 6.1 refusing hash_grow. */
#include <criterion/criterion.h>
#include <string.h>

#include "verifier_log.h"

/* The end of what Debian 12's 6.1.176 printed for this tree's hash_grow before d0db096. */
static const char log_6_1[] =
	"61: (bf) r1 = r8                      ; R1_w=map_value(off=0,ks=4,vs=136,imm=0)\n"
	"62: (0f) r1 += r2                     ; R1_w=map_value(off=0,ks=4,vs=136,umax=34359738360)\n"
	"; if (*left <= 0)\n"
	"63: (79) r2 = *(u64 *)(r1 +72)\n"
	"R1 unbounded memory access, make sure to bounds check any such access\n"
	"processed 62 insns (limit 1000000) max_states_per_insn 0 total_states 5 peak_states 5 "
	"mark_read 4\n";

/* And 5.10's for the same program: a helper it does not have. */
static const char log_5_10[] =
	"5: (7b) *(u64 *)(r10 -176) = r1\n"
	"; __u64 cookie = bpf_get_attach_cookie(regs);\n"
	"6: (85) call unknown#174\n"
	"invalid func unknown#174\n"
	"processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 "
	"peak_states 0 mark_read 0\n";

static char *reason_of(const char *log)
{
	const char *reason;
	int len = verifier_log_reason(log, &reason);

	return strndup(reason, (size_t)len);
}

Test(verifier_log, the_reason_is_the_line_before_the_summary)
{
	char *a = reason_of(log_6_1), *b = reason_of(log_5_10);

	cr_assert_str_eq(a,
			 "R1 unbounded memory access, make sure to bounds check any such access");
	cr_assert_str_eq(b, "invalid func unknown#174");
	free(a);
	free(b);
}

Test(verifier_log, a_log_without_a_summary_gives_its_last_line)
{
	char *a = reason_of("0: (85) call unknown#174\ninvalid func unknown#174\n\n");

	cr_assert_str_eq(a, "invalid func unknown#174");
	free(a);
}

Test(verifier_log, an_empty_log_gives_no_reason)
{
	const char *reason;

	cr_assert_eq(verifier_log_reason("", &reason), 0);
}

Test(verifier_log, the_tail_is_the_last_lines_up_to_the_summary)
{
	const char *tail;
	int len = verifier_log_tail(log_6_1, 2, &tail);

	cr_assert_eq(
		strncmp(tail,
			"63: (79) r2 = *(u64 *)(r1 +72)\nR1 unbounded memory access, make sure "
			"to bounds check any such access\n",
			(size_t)len),
		0, "%.*s", len, tail);
	cr_assert_eq(len, (int)strlen("63: (79) r2 = *(u64 *)(r1 +72)\nR1 unbounded memory "
				      "access, make sure to bounds check any such access\n"));
	len = verifier_log_tail(log_6_1, 100, &tail);
	cr_assert_eq(tail, log_6_1, "fewer lines than asked: all of them");
}
