/* SPDX-License-Identifier: GPL-2.0 */
/* What gomapleak learned from a binary, and its probe plan, as text. */
#ifndef GOMAPLEAK_REPORT_PLAN_H
#define GOMAPLEAK_REPORT_PLAN_H

#include <stdio.h>

#include "gobinary.h"

void report_plan(FILE *out, const char *path, const struct gobinary *bin, int verbose);
void report_plan_json(FILE *out, const char *path, const struct gobinary *bin);

#endif /* GOMAPLEAK_REPORT_PLAN_H */
