// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "goelf.h"
#include "pclntab.h"
#include "variants.h"

static const char *const probe_funcs[] = {
	"runtime.mapassign_fast64",
	"runtime.makemap_small",
	"runtime.makemap",
	"runtime.newobject",
	"main.main",
};

/* pclntab addresses equal the symbol table's, in the binary or its unstripped twin. */
static void check_against_symbols(const char *stripped, const char *twin)
{
	struct goelf ge, tw;
	struct pclntab pt;
	struct go_func fn, at;
	uint64_t addr, size;
	size_t i;

	cr_assert_eq(goelf_open(&ge, stripped), 0, "%s", stripped);
	cr_assert_eq(goelf_open(&tw, twin), 0, "%s", twin);
	cr_assert_eq(pclntab_open(&pt, &ge), 0, "%s", stripped);
	for (i = 0; i < sizeof(probe_funcs) / sizeof(probe_funcs[0]); i++) {
		cr_assert_eq(pclntab_find_func(&pt, probe_funcs[i], &fn), 0, "%s: %s", stripped,
			     probe_funcs[i]);
		cr_assert_eq(goelf_find_symbol(&tw, probe_funcs[i], &addr, &size), 0, "%s: %s",
			     twin, probe_funcs[i]);
		cr_assert_eq(fn.entry, addr, "%s: %s at 0x%lx, symbol 0x%lx", stripped,
			     probe_funcs[i], (unsigned long)fn.entry, (unsigned long)addr);
		cr_assert_str_eq(fn.name, probe_funcs[i]);
		/* Every PC inside the function maps back to it. */
		cr_assert_eq(pclntab_func_for_pc(&pt, fn.entry + (fn.end - fn.entry) / 2, &at), 0);
		cr_assert_str_eq(at.name, probe_funcs[i]);
	}
	cr_assert_eq(pclntab_find_func(&pt, "main.noSuchFunction", &fn), -ENOENT);
	pclntab_close(&pt);
	goelf_close(&tw);
	goelf_close(&ge);
}

Test(pclntab, finds_runtime_functions_in_every_binary_including_stripped_pie)
{
	struct variant vs[MAX_VARIANTS];
	size_t n = variants_load(vs, MAX_VARIANTS), i;
	char plain[4096], pie[4096], stripped[4096];

	for (i = 0; i < n; i++) {
		variant_binary(plain, sizeof(plain), &vs[i], "default", "growonce");
		variant_binary(pie, sizeof(pie), &vs[i], "pie", "growonce");
		variant_binary(stripped, sizeof(stripped), &vs[i], "stripped-pie", "growonce");
		check_against_symbols(plain, plain);
		check_against_symbols(stripped, pie);
	}
}

Test(pclntab, rejects_truncated_and_corrupt_headers)
{
	uint8_t hdr[72] = { 0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8 };
	struct pclntab pt;

	cr_assert_eq(pclntab_parse(&pt, hdr, 40, 0), -EINVAL);
	cr_assert_eq(pclntab_parse(&pt, hdr, sizeof(hdr), 0), -EINVAL); /* nfunc 0 */
	hdr[0] = 0xfa;
	cr_assert_eq(pclntab_parse(&pt, hdr, sizeof(hdr), 0), -EPROTONOSUPPORT);
	hdr[0] = 0xf1;
	hdr[7] = 4;
	cr_assert_eq(pclntab_parse(&pt, hdr, sizeof(hdr), 0), -EINVAL);
}
