// SPDX-License-Identifier: GPL-2.0
#include "detector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Bloat: a map holding under 1/BLOAT_RATIO of its peak while its storage stays. */
#define BLOAT_RATIO 8
/* Churn: overflow buckets are only counted exactly below 2^16 buckets. */
#define CHURN_MAX_B 16

void detector_config_default(struct detector_config *cfg)
{
	cfg->window = DETECTOR_DEFAULT_WINDOW_SECONDS;
	cfg->min_growth = DETECTOR_DEFAULT_MIN_GROWTH;
	cfg->confirm = DETECTOR_DEFAULT_CONFIRM;
	cfg->rise_percent = DETECTOR_DEFAULT_RISE_PERCENT;
}

int detector_series_init(struct detector_series *s, const struct detector_config *cfg)
{
	memset(s, 0, sizeof(*s));
	if (cfg->window < 2)
		return -EINVAL;
	s->counts = calloc(cfg->window + 1, sizeof(*s->counts));
	return s->counts ? 0 : -ENOMEM;
}

void detector_series_free(struct detector_series *s)
{
	free(s->counts);
	memset(s, 0, sizeof(*s));
}

void detector_series_restart(struct detector_series *s)
{
	s->len = 0;
	memset(&s->last, 0, sizeof(s->last));
}

/*
 * growth: a window grows when its net growth reaches min_growth, the count
 * rose in at least rise_percent of its intervals, and no fall within it
 * undid half the net gain: a map cleared every few intervals rises in most
 * of them and can end a window higher than it began, but it falls back each
 * time.
 */
bool detector_window_grows(const struct detector_config *cfg, const uint64_t *counts,
			   unsigned int n, struct detector_window *out)
{
	uint64_t peak = counts[0], net;
	unsigned int i;

	memset(out, 0, sizeof(*out));
	out->first = counts[0];
	out->last = counts[n - 1];
	for (i = 1; i < n; i++) {
		out->rises += counts[i] > counts[i - 1];
		if (counts[i] > peak)
			peak = counts[i];
		if (peak - counts[i] > out->largest_fall)
			out->largest_fall = peak - counts[i];
	}
	out->peak = peak;
	net = out->last > out->first ? out->last - out->first : 0;
	out->growing = net >= cfg->min_growth &&
		       100ull * out->rises >= (uint64_t)cfg->rise_percent * (n - 1) &&
		       2 * out->largest_fall < net;
	return out->growing;
}

bool detector_series_add(struct detector_series *s, const struct detector_config *cfg,
			 uint64_t count, double now)
{
	if (!s->len)
		s->start = now;
	s->counts[s->len++] = count;
	if (s->len <= cfg->window)
		return false;
	detector_window_grows(cfg, s->counts, s->len, &s->last);
	s->last.seconds = now - s->start;
	/* The next window starts where this one ended. */
	s->counts[0] = count;
	s->len = 1;
	s->start = now;
	return true;
}

double detector_window_rate(const struct detector_window *w)
{
	/* Subtracted as integers: a double cannot tell 2^62 + 15000 from 2^62 + 15360. */
	int64_t gained = (int64_t)(w->last - w->first);

	return w->seconds > 0 ? (double)gained / w->seconds : 0;
}

/*
 * bloat: the window's largest count is under 1/8 of the map's peak, the peak
 * was at least min_growth, and the storage sized for it is still there; or,
 * read from the header alone when the peak was never seen (attached after
 * the deletes), storage grown for at least min_growth entries and 8 times
 * what the map held all window. Go maps never shrink, and only grow when
 * full: storage 8 times too big means entries were deleted.
 */
static bool bloat_holds(const struct detector_config *cfg, const struct detector_evidence *ev)
{
	if (ev->nested)
		return false;
	if (ev->peak >= cfg->min_growth && BLOAT_RATIO * ev->window_peak < ev->peak &&
	    ev->capacity >= ev->peak)
		return true;
	return ev->sized_for >= cfg->min_growth && BLOAT_RATIO * ev->window_peak <= ev->sized_for;
}

/*
 * churn (classic maps): the window saw a same-size grow, or as many overflow
 * buckets as buckets (what triggers one).
 */
static bool churn_holds(const struct detector_evidence *ev)
{
	return ev->classic && !ev->nested &&
	       (ev->same_size_grows > 0 || (ev->b < CHURN_MAX_B && ev->noverflow >= (1u << ev->b)));
}

static enum detector_state next_state(const struct detector_rule *r,
				      const struct detector_config *cfg, bool holds)
{
	if (holds)
		return r->windows >= cfg->confirm ? DETECTOR_LEAK : DETECTOR_SUSPECT;
	if (r->state == DETECTOR_SUSPECT || r->state == DETECTOR_LEAK)
		return DETECTOR_RESOLVED;
	return r->state == DETECTOR_RESOLVED ? DETECTOR_RESOLVED : DETECTOR_QUIET;
}

static void close_rule(const struct detector_config *cfg, struct detector_rule rules[ALERT_KINDS],
		       enum alert_kind kind, bool holds, struct detector_changes *out)
{
	struct detector_rule *r = &rules[kind];

	out->before[kind] = r->state;
	r->windows = holds ? r->windows + 1 : 0;
	r->state = next_state(r, cfg, holds);
	if (r->state != out->before[kind])
		out->changed |= 1u << kind;
}

void detector_close_window(const struct detector_config *cfg, const struct detector_window *w,
			   const struct detector_evidence *ev,
			   struct detector_rule rules[ALERT_KINDS], struct detector_changes *out)
{
	memset(out, 0, sizeof(*out));
	/* A map of maps is judged by its inner entries, under its own rule name. */
	if (!ev->grouped)
		close_rule(cfg, rules, ev->nested ? ALERT_NESTED : ALERT_GROWTH, w->growing, out);
	close_rule(cfg, rules, ALERT_BLOAT, bloat_holds(cfg, ev), out);
	close_rule(cfg, rules, ALERT_CHURN, churn_holds(ev), out);
}

enum alert_kind detector_worst_rule(const struct detector_rule rules[ALERT_KINDS])
{
	static const int rank[] = { [DETECTOR_QUIET] = 0,
				    [DETECTOR_RESOLVED] = 1,
				    [DETECTOR_SUSPECT] = 2,
				    [DETECTOR_LEAK] = 3 };
	enum alert_kind k, worst = ALERT_GROWTH;

	for (k = 0; k < ALERT_KINDS; k++)
		if (rank[rules[k].state] > rank[rules[worst].state])
			worst = k;
	return worst;
}

bool detector_alerting(const struct detector_rule rules[ALERT_KINDS])
{
	enum alert_kind k;

	for (k = 0; k < ALERT_KINDS; k++)
		if (rules[k].state == DETECTOR_SUSPECT || rules[k].state == DETECTOR_LEAK)
			return true;
	return false;
}

void detector_stats_count(struct detector_stats *stats, enum alert_kind kind,
			  enum detector_state state)
{
	if (state == DETECTOR_QUIET || kind >= ALERT_KINDS || state >= DETECTOR_STATES)
		return;
	stats->raised[kind][state]++;
	stats->leaks += state == DETECTOR_LEAK;
}

const char *detector_state_name(enum detector_state state)
{
	static const char *const names[] = {
		[DETECTOR_QUIET] = "QUIET",
		[DETECTOR_SUSPECT] = "SUSPECT",
		[DETECTOR_LEAK] = "LEAK",
		[DETECTOR_RESOLVED] = "RESOLVED",
	};

	return state < DETECTOR_STATES ? names[state] : "?";
}

const char *detector_kind_name(enum alert_kind kind)
{
	static const char *const names[] = {
		[ALERT_GROWTH] = "growth",
		[ALERT_NESTED] = "nested",
		[ALERT_BLOAT] = "bloat",
		[ALERT_CHURN] = "churn",
	};

	return kind < ALERT_KINDS ? names[kind] : "?";
}
