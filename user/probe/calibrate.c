// SPDX-License-Identifier: GPL-2.0
#include "calibrate.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "clock.h"
#include "error.h"

/*
 * The probed function: an instruction the kernel emulates, as the target's
 * probes sit on (amd64: the push rbp Go functions without a stack check
 * start with; arm64: a branch, as the stack check's B.LS), and a RET (amd64:
 * single-stepped; arm64: simulated). Assembly, so that no compiler or
 * sanitizer changes the instructions.
 */
#if defined(__aarch64__)
__asm__(".pushsection .text\n"
	".globl gml_calibration_point\n"
	".type gml_calibration_point, %function\n"
	"gml_calibration_point:\n"
	"	b gml_calibration_ret\n"
	".globl gml_calibration_ret\n"
	"gml_calibration_ret:\n"
	"	ret\n"
	".size gml_calibration_point, .-gml_calibration_point\n"
	".popsection\n");
#else
__asm__(".pushsection .text\n"
	".globl gml_calibration_point\n"
	".type gml_calibration_point, @function\n"
	"gml_calibration_point:\n"
	"	push %rbp\n"
	"	mov %rsp, %rbp\n"
	"	pop %rbp\n"
	".globl gml_calibration_ret\n"
	"gml_calibration_ret:\n"
	"	ret\n"
	".size gml_calibration_point, .-gml_calibration_point\n"
	".popsection\n");
#endif

void gml_calibration_point(void);
extern const char gml_calibration_ret[];

#define CALIBRATION_ROUNDS 3
#define CALIBRATION_CALLS  2000
/*
 * What a program does between two map operations, as far as a trap is
 * concerned: it uses memory on many pages. A trap may cost the target more
 * after it returns than in the kernel: with page-table isolation and no
 * PCID every kernel entry flushes the TLB, and the target walks its page
 * tables again for each page it touches next. A loop touching nothing pays
 * none of that: measured that way, a hit's estimate was ~0.6x what Go
 * 1.19's mix benchmark lost. Touching a line on each of 1024 pages (4 MiB)
 * between calls makes the calibration pay what such a program pays; where
 * the TLB survives a trap it adds next to nothing.
 */
#define CALIBRATION_PAGE_SIZE	      4096
#define CALIBRATION_WORKING_SET_PAGES 1024

static double thread_cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds one call takes, over calls calls, each after a walk over the working set. */
static double time_calls(int calls, volatile const char *pages, size_t npages)
{
	double start = thread_cpu_seconds();
	unsigned int sum = 0;
	size_t p;
	int i;

	for (i = 0; i < calls; i++) {
		/* A different line on each page, so the lines do not all share one cache set. */
		for (p = 0; p < npages; p++)
			sum += pages[p * CALIBRATION_PAGE_SIZE + (p % 64) * 64];
		gml_calibration_point();
	}
	(void)sum;
	return (thread_cpu_seconds() - start) / calls;
}

/* Where addr is in gomapleak's own file: its path and file offset, from /proc/self/maps. */
static int self_file_offset(uintptr_t addr, char *path, size_t path_len, uint64_t *offset)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4096], file[4096];
	unsigned long long start, end, off;
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		file[0] = 0;
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095s", &start, &end, &off, file) < 3)
			continue;
		if (addr < start || addr >= end || file[0] != '/')
			continue;
		snprintf(path, path_len, "%s", file);
		*offset = addr - start + off;
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

/* Memory the calibration loop touches between calls, a line on each page. */
struct working_set {
	char *pages;
	size_t npages;
};

/*
 * Pages of their own, written to (a page never written maps the shared zero
 * page) and not merged into huge pages (one TLB entry would cover them all).
 */
static int working_set_map(struct working_set *ws)
{
	size_t len = (size_t)CALIBRATION_WORKING_SET_PAGES * CALIBRATION_PAGE_SIZE;

	ws->npages = CALIBRATION_WORKING_SET_PAGES;
	ws->pages = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ws->pages == MAP_FAILED)
		return -errno;
	madvise(ws->pages, len, MADV_NOHUGEPAGE);
	memset(ws->pages, 1, len);
	return 0;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of a few rounds' figures, none below 0. */
static double median(double *x)
{
	qsort(x, CALIBRATION_ROUNDS, sizeof(x[0]), compare_doubles);
	return x[CALIBRATION_ROUNDS / 2] > 0 ? x[CALIBRATION_ROUNDS / 2] : 0;
}

/* What one probe's attach and detach took, and what its hits added: medians of rounds. */
struct probe_measure {
	double hit, attach, detach;
};

/* What handler's program adds to a call when probed at addr, and its attach and detach. */
static int measure(struct tracer *tr, const struct working_set *ws, enum probe_handler handler,
		   bool at_return, uintptr_t addr, int calls, struct probe_measure *m)
{
	double added[CALIBRATION_ROUNDS], attach[CALIBRATION_ROUNDS], detach[CALIBRATION_ROUNDS];
	struct tracer_self_probe probe;
	char path[4096];
	uint64_t offset = 0;
	int err, round;

	err = self_file_offset(addr, path, sizeof(path), &offset);
	if (err)
		return err;
	for (round = 0; round < CALIBRATION_ROUNDS; round++) {
		double bare = time_calls(calls, ws->pages, ws->npages), start = monotonic_seconds();

		err = tracer_attach_self(tr, handler, at_return, path, offset, addr, &probe);
		if (err)
			return err;
		attach[round] = monotonic_seconds() - start;
		added[round] = time_calls(calls, ws->pages, ws->npages) - bare;
		start = monotonic_seconds();
		tracer_detach_self(tr, &probe);
		/* A probe at the same address must not be attached while the last one goes. */
		tracer_wait_detached(tr);
		detach[round] = monotonic_seconds() - start;
	}
	m->hit = median(added);
	m->attach = median(attach);
	m->detach = median(detach);
	return 0;
}

/* Every cost, the RET first: once makemap's entry has run here, its RET would emit an event. */
static int measure_all(struct tracer *tr, const struct working_set *ws, struct calibration *c)
{
	uintptr_t entry = (uintptr_t)gml_calibration_point;
	uintptr_t ret = (uintptr_t)gml_calibration_ret;
	struct probe_measure m;
	int err;

	err = measure(tr, ws, PROBE_MAKEMAP, true, ret, CALIBRATION_CALLS / 8, &m);
	c->create_ret = m.hit;
	if (!err)
		err = measure(tr, ws, PROBE_INSERT, false, entry, CALIBRATION_CALLS, &m);
	c->op_hit = m.hit;
	c->attach_probe = m.attach;
	c->detach_probe = m.detach;
	if (!err)
		err = measure(tr, ws, PROBE_OVERFLOW, false, entry, CALIBRATION_CALLS, &m);
	c->overflow_hit = m.hit;
	if (!err)
		err = measure(tr, ws, PROBE_MAKEMAP, false, entry, CALIBRATION_CALLS, &m);
	c->create_entry = m.hit;
	return err;
}

int calibrate_probes(struct tracer *tr, struct calibration *c, char *why, size_t why_len)
{
	struct working_set ws;
	int err;

	memset(c, 0, sizeof(*c));
	err = working_set_map(&ws);
	if (err)
		return error_set(why, why_len, err, "cannot measure what a probe hit costs: %s",
				 strerror(-err));
	err = tracer_set_calibrating(tr, true);
	if (!err)
		err = measure_all(tr, &ws, c);
	tracer_set_calibrating(tr, false);
	munmap(ws.pages, ws.npages * CALIBRATION_PAGE_SIZE);
	if (err) {
		memset(c, 0, sizeof(*c));
		return error_set(why, why_len, err, "cannot measure what a probe hit costs: %s",
				 strerror(-err));
	}
	return 0;
}
