/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything gomapleak learns from a Go executable before touching the
 * process: build info, map implementation and layout, function table, probe
 * plan.
 */
#ifndef GOMAPLEAK_GOBINARY_H
#define GOMAPLEAK_GOBINARY_H

#include "gobuildinfo.h"
#include "goelf.h"
#include "golayout.h"
#include "gotypes.h"
#include "moduledata.h"
#include "pclntab.h"
#include "probes.h"

struct gobinary {
	struct goelf elf;
	struct gobuildinfo buildinfo;
	struct golayout layout;
	struct pclntab pclntab;
	struct moduledata moduledata;
	struct gotypes types;
	struct probe_plan plan;
};

int gobinary_open(struct gobinary *gb, const char *path, char *why, size_t why_len);
void gobinary_close(struct gobinary *gb);

#endif /* GOMAPLEAK_GOBINARY_H */
