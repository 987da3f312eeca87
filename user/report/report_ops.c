// SPDX-License-Identifier: GPL-2.0
#include "report_ops.h"
#include "symbolize.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int report_op_table_add(struct report_op_table *t, const struct gml_op_key *key, uint64_t count)
{
	struct report_op_record *grown;

	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;

		grown = realloc(t->records, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		t->records = grown;
		t->cap = cap;
	}
	t->records[t->n].key = *key;
	t->records[t->n].count = count;
	t->n++;
	return 0;
}

void report_op_table_free(struct report_op_table *t)
{
	free(t->records);
	memset(t, 0, sizeof(*t));
}

static const char *op_name(unsigned int op)
{
	static const char *const names[] = {
		[GML_OP_INSERT] = "insert",
		[GML_OP_DELETE] = "delete",
		[GML_OP_CLEAR] = "clear",
		[GML_OP_OVERFLOW] = "overflow",
	};

	return op < sizeof(names) / sizeof(names[0]) && names[op] ? names[op] : "?";
}

static int by_count_desc(const void *a, const void *b)
{
	const struct report_op_record *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

void report_ops(FILE *out, struct report_op_table *t, const struct pclntab *pt, uint64_t load_bias,
		size_t max)
{
	struct go_pos site;
	size_t i;

	qsort(t->records, t->n, sizeof(*t->records), by_count_desc);
	fprintf(out,
		"gomapleak: map operations (--exact), by operation, map and call site; counted");
	for (i = 0; i < GML_OP_KINDS; i++)
		if (t->seconds[i] > 0)
			fprintf(out, " %s %.2fs", op_name(i), t->seconds[i]);
	fprintf(out, ":\n");
	for (i = 0; i < t->n && i < max; i++) {
		const struct report_op_record *r = &t->records[i];

		fprintf(out, "gomapleak:   %-8s %10" PRIu64 " map=0x%" PRIx64 " site=",
			op_name(r->key.op), r->count, (uint64_t)r->key.map);
		if (pclntab_pos_for_pc(pt, r->key.caller_pc - 1 - load_bias, &site)) {
			fprintf(out, "0x%" PRIx64 "\n", (uint64_t)r->key.caller_pc);
			continue;
		}
		symbolize_print_short(out, &site);
		fputc('\n', out);
	}
	if (t->n > max)
		fprintf(out, "gomapleak:   ... and %zu more\n", t->n - max);
}

void report_op_estimates(FILE *out, const struct op_estimates *e, const struct registry *r,
			 double seconds, size_t max)
{
	const struct registry_site *site;
	struct op_site_rate *rows;
	uint32_t op;
	size_t i, n;

	rows = op_estimates_by_site(e, r->nsites, &n);
	if (!rows)
		return;
	fprintf(out, "gomapleak: map operations a second, estimated from bursts (probes attached");
	for (op = GML_OP_INSERT; op < REGISTRY_OP_KINDS; op++)
		fprintf(out, "%s %s %.2fs", op == GML_OP_INSERT ? "" : ",", op_name(op),
			e->exposure[op]);
	fprintf(out, " of %.1fs):\n", seconds);
	for (i = 0; i < n && i < max; i++) {
		if (rows[i].error >= 0)
			fprintf(out,
				"gomapleak:   %-8s %10.0f/s +-%-8.0f site=", op_name(rows[i].op),
				rows[i].rate, rows[i].error);
		else
			fprintf(out,
				"gomapleak:   %-8s ~%.0f/s (%" PRIu64
				" burst%s: too few for a bound) "
				"site=",
				op_name(rows[i].op), rows[i].rate, rows[i].bursts,
				rows[i].bursts == 1 ? "" : "s");
		site = registry_site(r, rows[i].site);
		if (site)
			symbolize_print_short(out, &site->pos);
		fputc('\n', out);
	}
	if (n > max)
		fprintf(out, "gomapleak:   ... and %zu more\n", n - max);
	free(rows);
}
