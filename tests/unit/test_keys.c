// SPDX-License-Identifier: GPL-2.0
/* How keys are shown: integers of each size and sign, strings quoted, escaped, truncated. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"

static const char *format(uint8_t kind, uint64_t size, const void *key)
{
	static char out[64];

	if (!keys_format(getpid(), kind, size, key, out, sizeof(out)))
		return NULL;
	return out;
}

/* A Go string header pointing at s, in this process (read back with process_vm_readv). */
static void go_string(uint8_t key[16], const char *s, uint64_t len)
{
	uint64_t ptr = (uint64_t)(uintptr_t)s;

	memcpy(key, &ptr, 8);
	memcpy(key + 8, &len, 8);
}

Test(keys, integers_by_kind_and_size)
{
	int64_t i64 = -42;
	int32_t i32 = -7;
	uint16_t u16 = 65535;
	uint64_t u64 = 18446744073709551615ull;
	int8_t i8 = -128;

	cr_assert_str_eq(format(6, 8, &i64), "-42");   /* int64 */
	cr_assert_str_eq(format(5, 4, &i32), "-7");    /* int32 */
	cr_assert_str_eq(format(9, 2, &u16), "65535"); /* uint16 */
	cr_assert_str_eq(format(11, 8, &u64), "18446744073709551615");
	cr_assert_str_eq(format(3, 1, &i8), "-128");
}

Test(keys, strings_are_quoted_escaped_and_truncated)
{
	static const char plain[] = "user:1234";
	static const char odd[] = "a\"b\\c\n";
	static const char longer[] = "session-0123456789abcdef-0123456789abcdef";
	uint8_t key[16];

	go_string(key, plain, strlen(plain));
	cr_assert_str_eq(format(GO_KIND_STRING, 16, key), "\"user:1234\"");
	go_string(key, odd, strlen(odd));
	cr_assert_str_eq(format(GO_KIND_STRING, 16, key), "\"a\\x22b\\x5cc\\x0a\"");
	go_string(key, longer, strlen(longer));
	cr_assert_str_eq(format(GO_KIND_STRING, 16, key), "\"session-0123456789abcdef...\"");
	go_string(key, plain, 0);
	cr_assert_str_eq(format(GO_KIND_STRING, 16, key), "\"\"");
}

Test(keys, other_kinds_and_unreadable_strings_are_not_shown)
{
	uint8_t key[16] = { 0 };
	double f = 1.5;

	cr_assert_null(format(14, 8, &f));   /* float64 */
	cr_assert_null(format(25, 16, key)); /* struct */
	go_string(key, (const char *)8, 5);  /* the zero page */
	cr_assert_null(format(GO_KIND_STRING, 16, key));
}
