// SPDX-License-Identifier: GPL-2.0
#include "detector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void detector_config_default(struct detector_config *cfg)
{
	cfg->window = 60;
	cfg->min_growth = 1000;
	cfg->confirm = 3;
	cfg->rise_percent = 80;
}

int series_init(struct series *s, const struct detector_config *cfg)
{
	memset(s, 0, sizeof(*s));
	if (cfg->window < 2)
		return -EINVAL;
	s->counts = calloc(cfg->window + 1, sizeof(*s->counts));
	return s->counts ? 0 : -ENOMEM;
}

void series_free(struct series *s)
{
	free(s->counts);
	memset(s, 0, sizeof(*s));
}

/*
 * A window grows when its net growth reaches min_growth, the count rose in
 * at least rise_percent of its intervals, and no fall within it undid half
 * the net gain: a map cleared every few intervals rises in most of them and
 * can end a window higher than it began, but it falls back each time.
 */
bool window_is_growing(const struct detector_config *cfg, const uint64_t *counts, unsigned int n,
		       struct window_stats *out)
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

static enum detector_state next_state(const struct rule *r, const struct detector_config *cfg,
				      bool holds)
{
	if (holds)
		return r->windows >= cfg->confirm ? DETECTOR_LEAK : DETECTOR_SUSPECT;
	if (r->state == DETECTOR_SUSPECT || r->state == DETECTOR_LEAK)
		return DETECTOR_RESOLVED;
	return r->state == DETECTOR_RESOLVED ? DETECTOR_RESOLVED : DETECTOR_QUIET;
}

bool rule_close_window(struct rule *r, const struct detector_config *cfg, bool holds)
{
	enum detector_state before = r->state;

	r->windows = holds ? r->windows + 1 : 0;
	r->state = next_state(r, cfg, holds);
	return r->state != before;
}

void series_restart(struct series *s)
{
	s->len = 0;
	memset(&s->growth, 0, sizeof(s->growth));
	memset(&s->last, 0, sizeof(s->last));
}

bool series_add(struct series *s, const struct detector_config *cfg, uint64_t count)
{
	s->counts[s->len++] = count;
	if (s->len <= cfg->window)
		return false;
	window_is_growing(cfg, s->counts, s->len, &s->last);
	rule_close_window(&s->growth, cfg, s->last.growing);
	/* The next window starts where this one ended. */
	s->counts[0] = count;
	s->len = 1;
	return true;
}

const char *detector_state_name(enum detector_state state)
{
	static const char *const names[] = {
		[DETECTOR_QUIET] = "QUIET",
		[DETECTOR_SUSPECT] = "SUSPECT",
		[DETECTOR_LEAK] = "LEAK",
		[DETECTOR_RESOLVED] = "RESOLVED",
	};

	return names[state];
}
