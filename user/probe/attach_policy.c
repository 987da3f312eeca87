// SPDX-License-Identifier: GPL-2.0
#include "attach_policy.h"

#include <string.h>

void attach_policy_init(struct attach_policy *p, enum attach_mode mode)
{
	memset(p, 0, sizeof(*p));
	p->mode = mode;
}

/*
 * Growth probes are always attached: they fire a number of times logarithmic
 * in a map's size (free in scripts/bench.sh). Inserts, deletes, clears and
 * overflow buckets run at tens of millions a second: only --exact attaches
 * them. Creation sites cost a single-stepped RET each (~10 us), so watch keeps
 * them only within a budget; trace shows growth events alone.
 */
enum attach_when attach_policy_when(enum probe_group group, enum attach_mode mode)
{
	if (group == PROBE_GROUP_GROWTH || mode == ATTACH_MODE_EXACT)
		return ATTACH_ALWAYS;
	if (group == PROBE_GROUP_CREATE && mode == ATTACH_MODE_WATCH)
		return ATTACH_GOVERNED;
	return ATTACH_NEVER;
}

bool attach_policy_probed(const struct attach_policy *p, enum probe_group group)
{
	return attach_policy_when(group, p->mode) != ATTACH_NEVER;
}

bool attach_policy_attached(const struct attach_policy *p, enum probe_group group)
{
	return attach_policy_probed(p, group) && !p->detached[group];
}

bool attach_policy_admit_creation(struct attach_policy *p, uint64_t ts_ns)
{
	double elapsed;

	if (attach_policy_when(PROBE_GROUP_CREATE, p->mode) != ATTACH_GOVERNED)
		return true;
	if (p->detached[PROBE_GROUP_CREATE])
		return false;
	if (!p->creation_last_ns)
		p->creation_tokens = ATTACH_CREATION_BURST;
	elapsed = p->creation_last_ns ? (double)(ts_ns - p->creation_last_ns) / 1e9 : 0;
	p->creation_last_ns = ts_ns;
	p->creation_tokens += elapsed * ATTACH_CREATION_BUDGET;
	if (p->creation_tokens > ATTACH_CREATION_BURST)
		p->creation_tokens = ATTACH_CREATION_BURST;
	p->creation_tokens -= 1;
	if (p->creation_tokens >= 0)
		return true;
	p->detached[PROBE_GROUP_CREATE] = true;
	return false;
}

void attach_policy_detach(struct attach_policy *p, enum probe_group group)
{
	p->detached[group] = true;
}

int attach_policy_count_sites(const struct probe_plan *plan, enum attach_mode mode,
			      bool with_governed)
{
	enum attach_when when;
	int i, n = 0;

	for (i = 0; i < plan->nsites; i++) {
		if (plan->sites[i].status != PROBE_OK)
			continue;
		when = attach_policy_when(plan->sites[i].spec->group, mode);
		n += when == ATTACH_ALWAYS || (with_governed && when == ATTACH_GOVERNED);
	}
	return n;
}
