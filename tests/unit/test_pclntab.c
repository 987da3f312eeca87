// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "goelf.h"
#include "pclntab.h"
#include "gotool.h"
#include "variants.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

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

static const char *const flavors[] = { "default",      "stripped", "pie",
				       "stripped-pie", "cgo-ext",  "cgo-ext-stripped" };

/* The unstripped build a flavor's symbols come from. */
static const char *twin_of(const char *flavor)
{
	if (!strcmp(flavor, "stripped"))
		return "default";
	if (!strcmp(flavor, "stripped-pie"))
		return "pie";
	if (!strcmp(flavor, "cgo-ext-stripped"))
		return "cgo-ext";
	return flavor;
}

/* Go 1.18-1.19 pclntab writes "type..eq.[2]T" as "type..eq.[...]T"; the symtab does not. */
static void elide_array_length(char *name)
{
	char *open = strchr(name, '['), *close = open ? strchr(open, ']') : NULL;

	if (strncmp(name, "type..", 6) || !open || !close || close == open + 1)
		return;
	memmove(open + 4, close, strlen(close) + 1);
	memcpy(open + 1, "...", 3);
}

/* Go 1.20-1.23 pclntab names may hold U+00B7 (middle dot) where `go tool nm` prints '.'. */
static void normalize_dots(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 1 < len; in++) {
		if ((unsigned char)in[0] == 0xc2 && (unsigned char)in[1] == 0xb7)
			in++;
		out[o++] = (unsigned char)*in == 0xb7 ? '.' : *in;
	}
	out[o] = '\0';
}

/*
 * Every Go function `go tool nm` lists in the unstripped twin is found at its
 * address by PC, with its name (ABI0 wrappers are named X.abi0 there, X in
 * pclntab), and by name unless two functions share it.
 */
static void check_against_go_nm(const struct variant *v, const char *flavor)
{
	char path[4096], twin[4096], line[1024], name[900], pcname[900];
	struct goelf ge;
	struct pclntab pt;
	struct go_func fn;
	unsigned long addr;
	char kind, *abi0;
	size_t checked = 0;
	int err;
	FILE *nm;

	variant_binary(path, sizeof(path), v, flavor, "growonce");
	variant_binary(twin, sizeof(twin), v, twin_of(flavor), "growonce");
	cr_assert_eq(goelf_open(&ge, path), 0, "%s", path);
	cr_assert_eq(pclntab_open(&pt, &ge), 0, "%s", path);
	nm = gotool_open(v->minor, "nm", twin, NULL);
	while (fgets(line, sizeof(line), nm)) {
		if (sscanf(line, "%lx %c %899[^\n]", &addr, &kind, name) != 3 ||
		    (kind != 'T' && kind != 't'))
			continue;
		if (pclntab_func_for_pc(&pt, addr, &fn) || fn.entry != addr)
			continue; /* C code and linker-made symbols: not in pclntab */
		abi0 = strstr(name, ".abi0");
		if (abi0 && !abi0[5])
			*abi0 = '\0';
		if (strcmp(fn.name, name))
			elide_array_length(name);
		normalize_dots(fn.name, pcname, sizeof(pcname));
		if (kind == 't' && strcmp(pcname, name))
			continue; /* a linker label (runtime.text) at a function's address */
		cr_assert_str_eq(pcname, name, "%s: at 0x%lx", path, addr);
		err = pclntab_find_func(&pt, fn.name, &fn);
		cr_assert(err == -EEXIST || (!err && fn.entry == addr), "%s: %s: %d 0x%lx", path,
			  name, err, (unsigned long)fn.entry);
		checked++;
	}
	pclose(nm);
	cr_assert_geq(checked, pt.nfunc - 8, "%s: %zu of %lu functions in nm", path, checked,
		      (unsigned long)pt.nfunc);
	pclntab_close(&pt);
	goelf_close(&ge);
}

/* Writes n random PCs inside Go functions of pt (not linker markers) to a file. */
static void sample_pcs(const struct pclntab *pt, unsigned int seed, uint64_t *pcs, size_t n,
		       char *file, uint64_t tool_shift)
{
	struct go_func fn;
	size_t i;
	FILE *f = fdopen(mkstemp(file), "w");

	cr_assert(f);
	srand(seed);
	for (i = 0; i < n; i++) {
		do
			cr_assert_eq(pclntab_func_at(pt, (uint64_t)rand() % pt->nfunc, &fn), 0);
		while (!strncmp(fn.name, "go:", 3)); /* linker markers, not code */
		pcs[i] = fn.entry + (uint64_t)rand() % (fn.end - fn.entry);
		fprintf(f, "0x%lx\n", (unsigned long)(pcs[i] - tool_shift));
	}
	fclose(f);
}

/*
 * PC -> function and file:line agree with `go tool addr2line` on 1000 PCs of
 * path, and each function is found by name (unless the name is shared). twin
 * is what addr2line reads: the unstripped twin, or path itself. The newest
 * toolchain's addr2line reads every pclntab format and, unlike Go 1.19-1.21's,
 * resolves PIE binaries, so it is the reference for all.
 */
static void compare_with_addr2line(const char *path, const char *twin, int tool_minor,
				   unsigned int seed, uint64_t tool_shift)
{
	char pcs_path[] = "/tmp/gomapleak-pcs-XXXXXX", func_line[1024], pos_line[4096], want[4200];
	uint64_t pcs[1000];
	struct goelf ge;
	struct pclntab pt;
	struct go_pos pos;
	struct go_func fn;
	size_t i;
	FILE *out;
	int err;

	cr_assert_eq(goelf_open(&ge, path), 0, "%s", path);
	cr_assert_eq(pclntab_open(&pt, &ge), 0, "%s", path);
	sample_pcs(&pt, seed, pcs, 1000, pcs_path, tool_shift);
	out = gotool_open(tool_minor, "addr2line", twin, pcs_path);
	for (i = 0; i < 1000; i++) {
		cr_assert(fgets(func_line, sizeof(func_line), out) &&
			  fgets(pos_line, sizeof(pos_line), out));
		func_line[strcspn(func_line, "\n")] = '\0';
		pos_line[strcspn(pos_line, "\n")] = '\0';
		cr_assert_neq(strcmp(func_line, "?"), 0, "%s: addr2line knows no 0x%lx", path,
			      (unsigned long)pcs[i]);
		if (!strcmp(pos_line, ":-1")) {
			/* Padding after the function's last instruction: no position. */
			cr_assert_eq(pclntab_pos_for_pc(&pt, pcs[i], &pos), -ENOENT);
			cr_assert_eq(pclntab_func_for_pc(&pt, pcs[i], &fn), 0);
			cr_assert_str_eq(fn.name, func_line, "%s: pc 0x%lx", path,
					 (unsigned long)pcs[i]);
			continue;
		}
		cr_assert_eq(pclntab_pos_for_pc(&pt, pcs[i], &pos), 0, "%s: pc 0x%lx", path,
			     (unsigned long)pcs[i]);
		cr_assert_str_eq(pos.func.name, func_line, "%s: pc 0x%lx", path,
				 (unsigned long)pcs[i]);
		snprintf(want, sizeof(want), "%s:%d", pos.file, pos.line);
		cr_assert_str_eq(want, pos_line, "%s: pc 0x%lx (%s)", path, (unsigned long)pcs[i],
				 func_line);
		err = pclntab_find_func(&pt, pos.func.name, &fn);
		cr_assert(err == -EEXIST || (!err && fn.entry == pos.func.entry), "%s: %s", path,
			  pos.func.name);
	}
	pclose(out);
	unlink(pcs_path);
	pclntab_close(&pt);
	goelf_close(&ge);
}

Test(pclntab, every_function_matches_go_tool_nm_in_every_flavor)
{
	struct variant vs[MAX_VARIANTS];
	size_t n = variants_load(vs, MAX_VARIANTS), i, f;

	for (i = 0; i < n; i++)
		for (f = 0; f < sizeof(flavors) / sizeof(flavors[0]); f++)
			check_against_go_nm(&vs[i], flavors[f]);
}

Test(pclntab, file_and_line_match_go_tool_addr2line_in_every_flavor)
{
	struct variant vs[MAX_VARIANTS];
	size_t n = variants_load(vs, MAX_VARIANTS), i, f;

	for (i = 0; i < n; i++)
		for (f = 0; f < sizeof(flavors) / sizeof(flavors[0]); f++) {
			char path[4096], twin[4096];

			variant_binary(path, sizeof(path), &vs[i], flavors[f], "growonce");
			variant_binary(twin, sizeof(twin), &vs[i], twin_of(flavors[f]), "growonce");
			compare_with_addr2line(path, twin, vs[n - 1].minor, vs[i].minor * 100 + f,
					       0);
		}
}

/*
 * A large third-party program: Debian's prometheus (stripped, cgo, external
 * link, ~60k functions). With no symbol table, addr2line reads its pclntab,
 * but takes the .text section's address for the start of Go's text. The
 * external linker puts C code first, so Go's text (pcHeader.textStart, which
 * gomapleak uses) starts later: addr2line's answers for pc are gomapleak's
 * for pc + that gap. The test asks addr2line at pc - gap and must agree.
 */
Test(pclntab, reads_debian_prometheus_a_large_stripped_cgo_binary)
{
	struct variant vs[MAX_VARIANTS];
	size_t n = variants_load(vs, MAX_VARIANTS);
	struct goelf_section text;
	struct goelf ge;
	struct pclntab pt;
	uint64_t gap;

	cr_assert_eq(goelf_open(&ge, "/usr/bin/prometheus"), 0,
		     "Debian's prometheus must be installed (scripts/setup.sh)");
	cr_assert_eq(pclntab_open(&pt, &ge), 0);
	cr_assert_gt(pt.nfunc, 20000);
	cr_assert_eq(goelf_find_section(&ge, ".text", &text), 0);
	cr_assert_geq(pt.text_start, text.vaddr);
	gap = pt.text_start - text.vaddr;
	pclntab_close(&pt);
	goelf_close(&ge);
	compare_with_addr2line("/usr/bin/prometheus", "/usr/bin/prometheus", vs[n - 1].minor, 42,
			       gap);
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
