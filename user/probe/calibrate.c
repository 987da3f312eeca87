// SPDX-License-Identifier: GPL-2.0
#include "calibrate.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"

/*
 * The probed function: the prologue Go functions without a stack check
 * have (push rbp, emulated by the kernel), and a RET (single-stepped), as
 * the target's probes sit on. Assembly, so that no compiler or sanitizer
 * changes the instructions.
 */
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

void gml_calibration_point(void);
extern const char gml_calibration_ret[];

#define CALIBRATION_ROUNDS 3
#define CALIBRATION_CALLS  2000

static double thread_cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds one call takes, over calls calls. */
static double time_calls(int calls)
{
	double start = thread_cpu_seconds();
	int i;

	for (i = 0; i < calls; i++)
		gml_calibration_point();
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

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* What handler's program adds to a call when probed at addr: the median of a few rounds. */
static int measure(struct tracer *tr, enum probe_handler handler, bool at_return, uintptr_t addr,
		   int calls, double *seconds)
{
	double added[CALIBRATION_ROUNDS];
	struct tracer_self_probe probe;
	char path[4096];
	uint64_t offset = 0;
	int err, round;

	err = self_file_offset(addr, path, sizeof(path), &offset);
	if (err)
		return err;
	for (round = 0; round < CALIBRATION_ROUNDS; round++) {
		double bare = time_calls(calls);

		err = tracer_attach_self(tr, handler, at_return, path, offset, &probe);
		if (err)
			return err;
		added[round] = time_calls(calls) - bare;
		tracer_detach_self(tr, &probe);
		/* A probe at the same address must not be attached while the last one goes. */
		tracer_wait_detached(tr);
	}
	qsort(added, CALIBRATION_ROUNDS, sizeof(added[0]), compare_doubles);
	*seconds = added[CALIBRATION_ROUNDS / 2] > 0 ? added[CALIBRATION_ROUNDS / 2] : 0;
	return 0;
}

static void forget_op(void *ctx, const struct gml_op_key *key, const struct gml_op_value *value)
{
	(void)ctx;
	(void)key;
	(void)value;
}

int calibrate_probes(struct tracer *tr, struct calibration *c, char *why, size_t why_len)
{
	uintptr_t entry = (uintptr_t)gml_calibration_point;
	uintptr_t ret = (uintptr_t)gml_calibration_ret;
	int err;

	memset(c, 0, sizeof(*c));
	tracer_set_calibrating(tr, true);
	/* The RET first: once makemap's entry has run here, its RET would emit an event. */
	err = measure(tr, PROBE_MAKEMAP, true, ret, CALIBRATION_CALLS / 8, &c->create_ret);
	if (!err)
		err = measure(tr, PROBE_INSERT, false, entry, CALIBRATION_CALLS, &c->op_hit);
	if (!err)
		err = measure(tr, PROBE_OVERFLOW, false, entry, CALIBRATION_CALLS,
			      &c->overflow_hit);
	if (!err)
		err = measure(tr, PROBE_MAKEMAP, false, entry, CALIBRATION_CALLS, &c->create_entry);
	tracer_set_calibrating(tr, false);
	tracer_drain_ops(tr, ~0u, forget_op, NULL);
	if (err) {
		memset(c, 0, sizeof(*c));
		return error_set(why, why_len, err, "cannot measure what a probe hit costs: %s",
				 strerror(-err));
	}
	return 0;
}
