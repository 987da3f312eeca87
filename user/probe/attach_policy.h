/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What is attached, and when: the one place that decides, per probe group
 * and mode, whether a group's probes are attached now. watch, run and trace
 * attach by it, the exporters' probe table and inspect's plan report it.
 * Creation probes are governed: attached while the target makes maps slowly
 * enough for their cost, detached past that (a token bucket).
 */
#ifndef GOMAPLEAK_ATTACH_POLICY_H
#define GOMAPLEAK_ATTACH_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "probes.h"

enum attach_mode {
	ATTACH_MODE_WATCH, /* watch, run: alerts */
	ATTACH_MODE_TRACE, /* trace: the raw growth events */
	ATTACH_MODE_EXACT, /* --exact, with any command: every group, whatever it costs */
};

enum attach_when {
	ATTACH_NEVER,
	ATTACH_ALWAYS,	 /* from attach to detach */
	ATTACH_GOVERNED, /* attached at start, detached when it costs more than its budget */
};

/*
 * Creations allowed a second, sustained, and at once (a program's start-up
 * makes many): each costs a single-stepped RET, ~10 us, so 1000 a second is
 * about 1% of a core.
 */
#define ATTACH_CREATION_BUDGET 1000
#define ATTACH_CREATION_BURST  2000

struct attach_policy {
	enum attach_mode mode;
	bool detached[PROBE_GROUPS]; /* governed groups the budget has detached */
	double creation_tokens;
	uint64_t creation_last_ns; /* the last creation event's time (event clock); 0 none yet */
};

void attach_policy_init(struct attach_policy *p, enum attach_mode mode);
/* The plan for a group in a mode, before anything runs (inspect reports it). */
enum attach_when attach_policy_when(enum probe_group group, enum attach_mode mode);
/* Whether the group's probes are attached now. */
bool attach_policy_attached(const struct attach_policy *p, enum probe_group group);
/* Whether the group is probed at all in p's mode (attached now or earlier). */
bool attach_policy_probed(const struct attach_policy *p, enum probe_group group);
/*
 * A creation event at ts_ns (event clock): whether it is within the budget.
 * The first creation over it marks the creation group detached and returns
 * false; the caller then detaches its links (tracer_detach_group).
 */
bool attach_policy_admit_creation(struct attach_policy *p, uint64_t ts_ns);
/* The group could not be attached, or no longer is: it stays off. */
void attach_policy_detach(struct attach_policy *p, enum probe_group group);
/* Sites of the plan that the mode attaches: always, and governed too if asked. */
int attach_policy_count_sites(const struct probe_plan *plan, enum attach_mode mode,
			      bool with_governed);

#endif /* GOMAPLEAK_ATTACH_POLICY_H */
