// SPDX-License-Identifier: GPL-2.0
#include "governor.h"

#include <string.h>

void governor_init(struct governor *g, enum attach_mode mode, double budget, double interval,
		   double window)
{
	enum probe_group group;

	memset(g, 0, sizeof(*g));
	g->mode = mode;
	g->budget = budget;
	g->interval = interval > 0 ? interval : 1;
	g->credit_intervals = window > g->interval ? window / g->interval : 1;
	g->random = 0x9e3779b97f4a7c15ull;
	for (group = 0; group < PROBE_GROUPS; group++) {
		g->groups[group].when = governor_plan(group, mode);
		g->groups[group].hit_seconds = probe_group_default_hit_seconds(group);
		g->groups[group].attached = g->groups[group].when != ATTACH_NEVER &&
					    g->groups[group].when != ATTACH_BURSTS;
	}
}

/*
 * Growth probes fire a number of times logarithmic in a map's size: watch
 * keeps them attached unless maps made and grown per request make them cost
 * more than half the budget. run and trace attach them always: a program
 * started under gomapleak is one under test, whose every map is to be seen
 * from its first growth, and trace prints every growth. Inserts, deletes, clears and
 * overflow buckets run at millions a second: bursts within the budget, or
 * all the time with --exact. Creation sites cost a single-stepped RET each:
 * bursts, except that run attaches them while the program starting makes
 * maps slowly (its start-up's maps, maps of maps among them, are seen made),
 * bursts past that.
 */
enum attach_when governor_plan(enum probe_group group, enum attach_mode mode)
{
	if (group == PROBE_GROUP_GROWTH)
		return mode == ATTACH_MODE_WATCH ? ATTACH_UNLESS_HOT : ATTACH_ALWAYS;
	if (mode == ATTACH_MODE_EXACT)
		return ATTACH_ALWAYS;
	if (mode == ATTACH_MODE_TRACE)
		return ATTACH_NEVER;
	if (group == PROBE_GROUP_CREATE && mode == ATTACH_MODE_RUN)
		return ATTACH_GOVERNED;
	return ATTACH_BURSTS;
}

bool governor_bursts(const struct governor *g)
{
	return g->mode == ATTACH_MODE_WATCH || g->mode == ATTACH_MODE_RUN;
}

bool governor_probed(const struct governor *g, enum probe_group group)
{
	return g->groups[group].when != ATTACH_NEVER;
}

bool governor_attached(const struct governor *g, enum probe_group group)
{
	return g->groups[group].attached;
}

void governor_set_hit_cost(struct governor *g, enum probe_group group, double seconds)
{
	if (seconds > 0)
		g->groups[group].hit_seconds = seconds;
}

bool governor_admit_creation(struct governor *g, uint64_t ts_ns)
{
	struct governor_group *c = &g->groups[PROBE_GROUP_CREATE];
	double elapsed;

	if (c->when != ATTACH_GOVERNED)
		return c->attached || c->when == ATTACH_ALWAYS;
	if (!g->creation_last_ns)
		g->creation_tokens = ATTACH_CREATION_BURST;
	elapsed = g->creation_last_ns ? (double)(ts_ns - g->creation_last_ns) / 1e9 : 0;
	g->creation_last_ns = ts_ns;
	g->creation_tokens += elapsed * ATTACH_CREATION_BUDGET;
	if (g->creation_tokens > ATTACH_CREATION_BURST)
		g->creation_tokens = ATTACH_CREATION_BURST;
	g->creation_tokens -= 1;
	if (g->creation_tokens >= 0)
		return true;
	c->when = ATTACH_BURSTS;
	return false;
}

void governor_detach(struct governor *g, enum probe_group group)
{
	g->groups[group].attached = false;
	g->groups[group].off = true;
}

void governor_attached_at(struct governor *g, enum probe_group group, double began, double now,
			  uint64_t hits)
{
	struct governor_group *b = &g->groups[group];

	b->attached = true;
	b->attach_began = began < now ? began : now;
	b->planned = false;
	b->burst_start = now;
	b->burst_end = now + b->burst_length;
	b->hits_at_start = hits;
	governor_charge_linger(g, group, hits);
	b->ended = false;
}

void governor_charge_linger(struct governor *g, enum probe_group group, uint64_t hits)
{
	struct governor_group *b = &g->groups[group];
	double linger;

	if (!b->ended || hits <= b->hits_at_end)
		return;
	linger = (double)(hits - b->hits_at_end) * b->hit_seconds;
	b->spent += linger;
	b->credit -= linger;
	b->hits_at_end = hits;
}

void governor_burst_skipped(struct governor *g, enum probe_group group)
{
	g->groups[group].planned = false;
}

/* A uniform number in [0, 1): xorshift64*, seeded at init. */
static double next_random(struct governor *g)
{
	g->random ^= g->random >> 12;
	g->random ^= g->random << 25;
	g->random ^= g->random >> 27;
	return (double)((g->random * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static bool bursted(const struct governor_group *b)
{
	return (b->when == ATTACH_BURSTS || (b->when == ATTACH_UNLESS_HOT && b->hot)) && !b->off;
}

bool governor_in_bursts(const struct governor *g, enum probe_group group)
{
	return bursted(&g->groups[group]);
}

unsigned int governor_bursting(const struct governor *g)
{
	unsigned int bursting = 0;
	enum probe_group group;

	for (group = 0; group < PROBE_GROUPS; group++)
		if (g->groups[group].attached && bursted(&g->groups[group]))
			bursting |= 1u << group;
	return bursting;
}

void governor_postpone(struct governor *g, enum probe_group group, double until)
{
	if (g->groups[group].planned)
		g->groups[group].burst_due = until;
}

/*
 * How long a burst the group's credit buys at its last rate: 0 when less
 * than the shortest burst. A group never seen yet gets the shortest burst,
 * to learn its rate.
 */
static double full_cost(const struct governor_group *b);

static double burst_length(const struct governor *g, const struct governor_group *b)
{
	double length, longest = g->interval * GOVERNOR_MAX_BURST_SHARE;

	if (b->credit <= 0)
		return 0;
	if (!b->bursts)
		return GOVERNOR_MIN_BURST_SECONDS;
	length = b->credit / full_cost(b);
	if (length > longest)
		length = longest;
	/*
	 * A group too hot for a burst in a window has its credit capped at the
	 * shortest burst's cost (share_budget()): that buys the shortest burst,
	 * though the division may round a hair below it (2% of rates do), which
	 * would starve the group for good: its rate, learned from bursts, would
	 * never change again.
	 */
	if (length < GOVERNOR_MIN_BURST_SECONDS * (1 - 1e-9))
		return 0;
	return length > GOVERNOR_MIN_BURST_SECONDS ? length : GOVERNOR_MIN_BURST_SECONDS;
}

/* What the group would cost a second attached all the time, at its last rate. */
static double full_cost(const struct governor_group *b)
{
	return (b->rate > GOVERNOR_QUIET_RATE ? b->rate : GOVERNOR_QUIET_RATE) * b->hit_seconds;
}

/*
 * The budget of one interval, shared by the bursted groups in proportion to
 * what each would cost attached all the time: every group then gets the
 * same share of the time, so that each operation's counts are scaled by
 * the same factor and a busy group does not starve a quiet one. Credit
 * holds a window's worth.
 */
static void share_budget(struct governor *g, double allowance)
{
	enum probe_group group;
	double need = 0;

	for (group = 0; group < PROBE_GROUPS; group++)
		if (bursted(&g->groups[group]))
			need += full_cost(&g->groups[group]);
	for (group = 0; group < PROBE_GROUPS && need > 0; group++) {
		struct governor_group *b = &g->groups[group];
		double share, cap;

		if (!bursted(b))
			continue;
		share = allowance * full_cost(b) / need;
		/*
		 * A window's worth, or the shortest burst's cost if more: a group
		 * too hot for one in a window gets one every few windows.
		 */
		cap = share * g->credit_intervals;
		if (cap < full_cost(b) * GOVERNOR_MIN_BURST_SECONDS)
			cap = full_cost(b) * GOVERNOR_MIN_BURST_SECONDS;
		b->credit += share;
		if (b->credit > cap)
			b->credit = cap;
	}
}

void governor_note_hits(struct governor *g, enum probe_group group, uint64_t hits)
{
	g->groups[group].hits_now = hits;
}

/*
 * What a group attached all the time may overspend before it goes hot:
 * two shares of an interval's allowance at the target's CPU rate, even
 * when judged sooner: judged 25 ms after the attach by that short time's
 * share alone, the few growths of the maps a program fills as it starts
 * would send its growth probes to bursts (docs/governor.md).
 */
static double hot_slack(const struct governor *g, double share, double elapsed)
{
	if (elapsed < g->interval)
		share *= g->interval / elapsed;
	return share * GOVERNOR_HOT_SLACK_SHARES;
}

/*
 * An ATTACH_UNLESS_HOT group attached all the interval: what it cost,
 * taken from the interval's allowance, and whether that makes it hot.
 */
static double judge_attached(struct governor *g, struct governor_group *b, double elapsed,
			     double allowance)
{
	uint64_t seen = b->hits_now > b->hits_at_tick ? b->hits_now - b->hits_at_tick : 0;
	double cost = (double)seen * b->hit_seconds, share = allowance * GOVERNOR_HOT_SHARE;

	b->exposure += elapsed;
	b->spent += cost;
	b->rate = (double)seen / elapsed;
	/*
	 * No verdict without the target's CPU measured (/proc counts 10 ms
	 * ticks): what it cost waits for the next judgment that has one, or a
	 * group judged often (by its hits) on a target using little CPU would
	 * shed its costs at every judgment that read none.
	 */
	if (allowance <= 0) {
		b->overspent += cost;
		return cost;
	}
	b->overspent += cost - share;
	if (b->overspent < 0)
		b->overspent = 0;
	if (g->budget <= 0 || b->overspent <= hot_slack(g, share, elapsed))
		return cost;
	b->hot = true;
	b->overspent = 0;
	b->attached = false;
	b->went_hot++;
	/* Its rate attached all the time counts as its first burst's: bursts are sized by it. */
	b->bursts = 1;
	b->credit = 0;
	return cost;
}

/*
 * Whether a hot group's bursts say it would now cost under the lower share
 * attached all the time (its rate unfloored: a quiet group must cool).
 */
static bool cooled(const struct governor *g, const struct governor_group *b, double elapsed,
		   double allowance)
{
	(void)g;
	if (b->attached || b->planned || b->bursts < 3)
		return false;
	return b->rate * b->hit_seconds * elapsed < allowance * GOVERNOR_COOL_SHARE;
}

/* Returns what the groups attached all the interval cost; sets g->switched. */
static double judge_unless_hot(struct governor *g, double elapsed, double allowance)
{
	enum probe_group group;
	double cost = 0;

	g->switched = 0;
	for (group = 0; group < PROBE_GROUPS; group++) {
		struct governor_group *b = &g->groups[group];

		if (b->when != ATTACH_UNLESS_HOT || b->off)
			continue;
		if (!b->hot && b->have_hits && elapsed > 0) {
			cost += judge_attached(g, b, elapsed, allowance);
			if (b->hot)
				g->switched |= 1u << group;
		} else if (b->hot && cooled(g, b, elapsed, allowance)) {
			b->hot = false;
			b->attached = true;
			b->credit = 0;
			g->switched |= 1u << group;
		}
		b->have_hits = true;
		b->hits_at_tick = b->hits_now;
	}
	return cost;
}

uint64_t governor_judge_hits(const struct governor *g, enum probe_group group)
{
	const struct governor_group *b = &g->groups[group];
	double cpus = g->cpu_rate > 0 ? g->cpu_rate : GOVERNOR_ASSUMED_CPUS;
	double share = cpus * g->interval * g->budget * GOVERNOR_HOT_SHARE, cost, hits;

	if (b->when != ATTACH_UNLESS_HOT || b->hot || b->off || !b->attached || g->budget <= 0 ||
	    b->hit_seconds <= 0)
		return 0;
	/*
	 * A judgment e seconds after the tick finds it hot once its overspending
	 * passes the slack: once its hits cost more than the slack and e's share,
	 * less what it overspent already. An interval's share bounds e's.
	 */
	cost = hot_slack(g, share, g->interval) + share - b->overspent;
	hits = cost / b->hit_seconds;
	if (hits < GOVERNOR_MIN_BURST_HITS)
		hits = GOVERNOR_MIN_BURST_HITS;
	return (uint64_t)(hits + 0.5);
}

unsigned int governor_switched(const struct governor *g)
{
	return g->switched;
}

void governor_stay_hot(struct governor *g, enum probe_group group)
{
	g->groups[group].hot = true;
	g->groups[group].attached = false;
}

unsigned int governor_tick(struct governor *g, double now, double target_cpu)
{
	enum probe_group group;
	unsigned int planned = 0;
	double used, length, allowance, elapsed = now - g->last_tick;

	g->last_tick = now;
	if (!g->have_cpu) {
		g->have_cpu = true;
		g->last_cpu = target_cpu;
		g->rate_since = now;
		judge_unless_hot(g, 0, 0);
		return 0;
	}
	used = target_cpu > g->last_cpu ? target_cpu - g->last_cpu : 0;
	g->last_cpu = target_cpu;
	g->target_cpu += used;
	/* Short ticks read the CPU in 10 ms ticks: a rate over half an interval or more. */
	if (now - g->rate_since >= g->interval * GOVERNOR_EARLY_TICK_SHARE) {
		g->cpu_rate = (g->target_cpu - g->rate_cpu) / (now - g->rate_since);
		g->rate_since = now;
		g->rate_cpu = g->target_cpu;
	}
	allowance = used * g->budget;
	/*
	 * The bursts share what the groups attached all the time leave, less
	 * what those spent over past intervals' budgets (growth attached until
	 * a judgment found it hot): the budget holds over the session.
	 */
	allowance -= judge_unless_hot(g, elapsed, allowance) + g->debt;
	g->debt = allowance < 0 ? -allowance : 0;
	share_budget(g, allowance > 0 ? allowance : 0);
	for (group = 0; group < PROBE_GROUPS; group++) {
		struct governor_group *b = &g->groups[group];

		if (!bursted(b) || b->attached || b->planned)
			continue;
		/* Rests count intervals, not the early judgments' shorter ticks. */
		if (b->rest_intervals) {
			if (elapsed >= g->interval * GOVERNOR_EARLY_TICK_SHARE)
				b->rest_intervals--;
			continue;
		}
		length = burst_length(g, b);
		if (!length)
			continue;
		/*
		 * At a random moment of the interval: bursts in step with the
		 * ticks would sample a periodic workload at one phase only.
		 */
		b->planned = true;
		b->burst_length = length;
		b->burst_due = now + next_random(g) * (g->interval - length);
		planned |= 1u << group;
	}
	return planned;
}

uint64_t governor_burst_hits(const struct governor *g, enum probe_group group)
{
	const struct governor_group *b = &g->groups[group];
	double hits = 0;

	if (b->credit > 0 && b->hit_seconds > 0)
		hits = GOVERNOR_BURST_HIT_SLACK * b->credit / b->hit_seconds;
	if (hits < GOVERNOR_MIN_BURST_HITS)
		hits = GOVERNOR_MIN_BURST_HITS;
	return (uint64_t)(hits + 0.5);
}

unsigned int governor_due(const struct governor *g, double now)
{
	unsigned int due = 0;
	enum probe_group group;

	for (group = 0; group < PROBE_GROUPS; group++) {
		const struct governor_group *b = &g->groups[group];

		if (b->planned && !b->attached && b->burst_due <= now)
			due |= 1u << group;
	}
	return due;
}

unsigned int governor_over(const struct governor *g, double now)
{
	unsigned int over = 0;
	enum probe_group group;

	for (group = 0; group < PROBE_GROUPS; group++) {
		const struct governor_group *b = &g->groups[group];

		if (b->attached && bursted(b) && b->burst_end <= now)
			over |= 1u << group;
	}
	return over;
}

double governor_next_wakeup(const struct governor *g)
{
	double soonest = 0, at;
	enum probe_group group;

	for (group = 0; group < PROBE_GROUPS; group++) {
		const struct governor_group *b = &g->groups[group];

		if (b->attached && bursted(b))
			at = b->burst_end;
		else if (b->planned)
			at = b->burst_due;
		else
			continue;
		if (!soonest || at < soonest)
			soonest = at;
	}
	return soonest;
}

double governor_burst_length(const struct governor *g, enum probe_group group)
{
	return g->groups[group].burst_length;
}

/* A burst that took no hit makes the group rest longer before its next (GOVERNOR_QUIET_REST_*). */
static void note_quiet(const struct governor *g, struct governor_group *b, uint64_t seen)
{
	unsigned int doublings, most = (unsigned int)g->credit_intervals;

	if (seen) {
		b->quiet_bursts = 0;
		b->rest_intervals = 0;
		return;
	}
	b->quiet_bursts++;
	doublings = b->quiet_bursts < GOVERNOR_QUIET_REST_DOUBLINGS ? b->quiet_bursts
								    : GOVERNOR_QUIET_REST_DOUBLINGS;
	b->rest_intervals = (1u << doublings) - 1;
	if (most > 0 && b->rest_intervals > most - 1)
		b->rest_intervals = most - 1;
}

/*
 * A burst's end: exposure, the seconds its operations were counted;
 * attached, the seconds its probes were in, over which its hits count.
 */
static void burst_ended(struct governor *g, struct governor_group *b, double exposure,
			double attached, uint64_t hits)
{
	uint64_t seen = hits > b->hits_at_start ? hits - b->hits_at_start : 0;
	double rate = attached > 0 ? (double)seen / attached : 0;
	double cost = (double)seen * b->hit_seconds;

	b->attached = false;
	b->hits_at_end = hits;
	b->ended = g->probes_linger;
	b->exposure += exposure;
	b->spent += cost;
	b->credit -= cost;
	/* Smoothed: one burst can fall on a lull or a spike. */
	b->rate = b->bursts ? (b->rate + rate) / 2 : rate;
	b->bursts++;
	note_quiet(g, b, seen);
}

double governor_burst_ended(struct governor *g, enum probe_group group, double now,
			    double counted_until, uint64_t hits)
{
	struct governor_group *b = &g->groups[group];
	/*
	 * Its hits are counted from before the attach began: so is its time.
	 * From the attach's end, a slow attach (a loaded machine, the target's
	 * memory map locked) whose hits took the burst's allowance ended the
	 * burst at once and read a rate of millions a second, whose shortest
	 * burst the group then saved for minutes.
	 */
	double attached = now > b->attach_began ? now - b->attach_began : 0;
	double exposure = counted_until > b->burst_start ? counted_until - b->burst_start : 0;

	/* Hits, unlike operations, count while attached: a late detach costs the target too. */
	burst_ended(g, b, exposure, attached, hits);
	return exposure;
}

void governor_burst_continues(struct governor *g, enum probe_group group, double until)
{
	g->groups[group].burst_end = until;
}

void governor_walk_ended(struct governor *g, enum probe_group group, double exposure,
			 double attached, uint64_t hits)
{
	burst_ended(g, &g->groups[group], exposure, attached, hits);
}

double governor_spent(const struct governor *g)
{
	double spent = 0;
	enum probe_group group;

	for (group = 0; group < PROBE_GROUPS; group++)
		spent += g->groups[group].spent;
	return spent;
}

void governor_off_without_sites(struct governor *g, const struct probe_plan *plan)
{
	bool has_sites[PROBE_GROUPS] = { false };
	int i;

	for (i = 0; i < plan->nsites; i++)
		if (plan->sites[i].status == PROBE_OK)
			has_sites[plan->sites[i].spec->group] = true;
	for (i = 0; i < PROBE_GROUPS; i++)
		if (!has_sites[i])
			governor_detach(g, (enum probe_group)i);
}

int governor_count_sites(const struct probe_plan *plan, enum attach_mode mode, bool with_governed)
{
	enum attach_when when;
	int i, n = 0;

	for (i = 0; i < plan->nsites; i++) {
		if (plan->sites[i].status != PROBE_OK)
			continue;
		when = governor_plan(plan->sites[i].spec->group, mode);
		n += when == ATTACH_ALWAYS || when == ATTACH_UNLESS_HOT ||
		     (with_governed && when != ATTACH_NEVER);
	}
	return n;
}
