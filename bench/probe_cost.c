// SPDX-License-Identifier: GPL-2.0
/*
 * probe_cost: measures what one uprobe costs at each of a Go function's first
 * instructions, on this kernel. Usage:
 *   probe_cost [--all] BINARY FUNCTION [WORKLOAD ARGS...]
 * runs "BINARY ARGS" (which must print "per_sec R") untraced, then once with
 * a counting uprobe on each of FUNCTION's first instructions and on each of
 * its RETs (where gomapleak reads results), and prints the
 * throughput of each run and its ratio to the untraced one, untraced runs
 * interleaved to expose the machine's noise. With --all, every instruction
 * of the function is measured: which of them the kernel emulates (a cheap
 * place to read a result) and which it single-steps.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <capstone/capstone.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "goelf.h"
#include "pclntab.h"
#include "probe_cost.skel.h"

#define MAX_INSNS 4

/* Runs the workload, returns the per_sec figure it printed (0 on failure). */
static double run_workload(char **argv)
{
	char line[256];
	double rate = 0;
	FILE *out;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds))
		return 0;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	while (out && fgets(line, sizeof(line), out)) {
		char *p = strstr(line, "per_sec ");

		if (p)
			rate = atof(p + 8);
	}
	if (out)
		fclose(out);
	waitpid(pid, &status, 0);
	return rate;
}

static uint64_t read_hits(struct probe_cost_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	uint64_t *values = calloc(ncpu, sizeof(*values)), sum = 0;
	uint32_t key = 0;

	if (!values)
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.hits), &key, values))
		for (i = 0; i < ncpu; i++)
			sum += values[i];
	/* Zero the counter for the next run. */
	memset(values, 0, ncpu * sizeof(*values));
	bpf_map_update_elem(bpf_map__fd(skel->maps.hits), &key, values, 0);
	free(values);
	return sum;
}

static void measure_at(struct probe_cost_bpf *skel, const struct goelf *ge, const cs_insn *insn,
		       uint64_t entry, char **argv, double base)
{
	uint64_t off;
	struct bpf_link *link;
	double rate;

	if (goelf_vaddr_to_offset(ge, insn->address, &off))
		return;
	link = bpf_program__attach_uprobe(skel->progs.count_hit, false, -1, argv[0], off);
	if (!link) {
		fprintf(stderr, "attach at +0x%lx failed\n",
			(unsigned long)(insn->address - entry));
		return;
	}
	rate = run_workload(argv);
	bpf_link__destroy(link);
	printf("+0x%-3lx %-28s %12.0f ops/s  %6.1fx slower  %lu hits\n",
	       (unsigned long)(insn->address - entry), insn->mnemonic, rate,
	       rate > 0 ? base / rate : 0, (unsigned long)read_hits(skel));
}

/*
 * Measures a probe on each RET of the function (the hot path's shows the
 * cost), or on every instruction past the first ones with all_insns.
 */
static void measure_rest(struct probe_cost_bpf *skel, csh cs, const struct goelf *ge,
			 const struct go_func *fn, size_t first, bool all_insns, char **argv,
			 double base)
{
	const uint8_t *code = goelf_bytes_at(ge, fn->entry, fn->end - fn->entry);
	size_t len = fn->end - fn->entry;
	uint64_t addr = fn->entry;
	cs_insn *insn = cs_malloc(cs);
	size_t seen = 0;

	while (insn && code && cs_disasm_iter(cs, &code, &len, &addr, insn)) {
		if (insn->id == X86_INS_INT3)
			break; /* padding past the function's last instruction */
		if (seen++ < first || !(all_insns || insn->id == X86_INS_RET))
			continue;
		measure_at(skel, ge, insn, fn->entry, argv, base);
		if (all_insns)
			printf("untraced %35.0f ops/s\n", run_workload(argv));
	}
	if (insn)
		cs_free(insn, 1);
}

int main(int argc, char **argv)
{
	struct probe_cost_bpf *skel = NULL;
	struct goelf ge;
	struct pclntab pt;
	struct go_func fn;
	cs_insn *insn = NULL;
	csh cs;
	size_t n = 0, i;
	bool all_insns = argc > 1 && !strcmp(argv[1], "--all");
	double base;

	argc -= all_insns;
	argv += all_insns;
	if (argc < 3) {
		fprintf(stderr, "usage: probe_cost [--all] BINARY FUNCTION [WORKLOAD ARGS...]\n");
		return 2;
	}
	if (goelf_open(&ge, argv[1]) || pclntab_open(&pt, &ge) ||
	    pclntab_find_func(&pt, argv[2], &fn)) {
		fprintf(stderr, "probe_cost: cannot find %s in %s\n", argv[2], argv[1]);
		return 1;
	}
	cs_open(CS_ARCH_X86, CS_MODE_64, &cs);
	n = cs_disasm(cs, goelf_bytes_at(&ge, fn.entry, 32), 32, fn.entry, MAX_INSNS, &insn);
	skel = probe_cost_bpf__open_and_load();
	if (!skel)
		return 1;
	argv[2] = argv[1]; /* the workload: BINARY ARGS... */
	base = run_workload(argv + 2);
	printf("untraced %35.0f ops/s\n", base);
	for (i = 0; i < n; i++) {
		measure_at(skel, &ge, &insn[i], fn.entry, argv + 2, base);
		printf("untraced %35.0f ops/s\n", run_workload(argv + 2));
	}
	cs_free(insn, n);
	measure_rest(skel, cs, &ge, &fn, n, all_insns, argv + 2, base);
	cs_close(&cs);
	probe_cost_bpf__destroy(skel);
	pclntab_close(&pt);
	goelf_close(&ge);
	return 0;
}
