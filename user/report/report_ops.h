/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The --exact operation counters, by operation, map and site, and the
 * estimates from the governor's bursts, by site, as text.
 */
#ifndef GOMAPLEAK_REPORT_OPS_H
#define GOMAPLEAK_REPORT_OPS_H

#include <stdio.h>

#include "gomapleak.h"
#include "op_estimates.h"
#include "pclntab.h"

struct report_op_record {
	struct gml_op_key key;
	uint64_t count;
};

struct report_op_table {
	struct report_op_record *records;
	size_t n, cap;
	double seconds[GML_OP_KINDS]; /* how long each operation was counted; 0: not counted */
};

int report_op_table_add(struct report_op_table *t, const struct gml_op_key *key, uint64_t count);
void report_op_table_free(struct report_op_table *t);
/* Prints the largest max counters, most first; symbolized through pt. */
void report_ops(FILE *out, struct report_op_table *t, const struct pclntab *pt, uint64_t load_bias,
		size_t max);

/*
 * The estimated rates a second by (site, operation), busiest first, at most
 * max; seconds: how long gomapleak watched. Nothing when no burst saw any.
 */
void report_op_estimates(FILE *out, const struct op_estimates *e, const struct registry *r,
			 double seconds, size_t max);

#endif /* GOMAPLEAK_REPORT_OPS_H */
