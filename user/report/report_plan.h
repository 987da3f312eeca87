/* SPDX-License-Identifier: GPL-2.0 */
/* What gomapleak learned from a binary, and its probe plan, as text. */
#ifndef GOMAPLEAK_REPORT_PLAN_H
#define GOMAPLEAK_REPORT_PLAN_H

#include <stdio.h>

#include "gobinary.h"
#include "kernel_features.h"

/* The running kernel, and the path probes are attached by (-1: none, why says why). */
struct kernel_report {
	const struct kernel_features *kf;
	int path;
	const char *why;
};

void report_plan(FILE *out, const char *path, const struct gobinary *bin, int verbose);
/* "kernel:      6.1.0-50-cloud-amd64, probes attached by perf (...)" */
void report_kernel(FILE *out, const struct kernel_report *k);
/* inspect --json: the plan, and the kernel's fields where k is given. */
void report_plan_json(FILE *out, const char *path, const struct gobinary *bin,
		      const struct kernel_report *k);

#endif /* GOMAPLEAK_REPORT_PLAN_H */
