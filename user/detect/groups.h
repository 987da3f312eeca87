/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Site groups: the maps of one type filled at one site, judged together by
 * the growth rule. A window's growth is the sum, over the maps that were
 * members when it started and still are when it ends, of what each gained,
 * counting only maps that were already members a window before: maps made
 * and dropped within a window add nothing, nor do requests in flight that
 * fill their own map across a window's start and then die with a frozen
 * count, while a slow leak spread over many long-lived maps adds up to one
 * alert. A map whose fill site is unknown is a group of its own.
 * Maps of maps (judged by their inner maps) and inner maps of a tracked map
 * of maps (counted there) are not members.
 */
#ifndef GOMAPLEAK_GROUPS_H
#define GOMAPLEAK_GROUPS_H

#include <stdbool.h>
#include <stdint.h>

#include "detector.h"
#include "registry.h"

#define GROUPS_MAX     4096
#define GROUPS_BIGGEST 3 /* members an alert names, most entries first */
/* Growth samples are stored as GROUPS_BIAS + growth: a window may shrink. */
#define GROUPS_BIAS (1ull << 62)

struct group_key {
	uint64_t type; /* the map type descriptor's address */
	int site;      /* the fill site; REGISTRY_NO_SITE for a group of one */
	uint64_t solo; /* with no site: the one member's address */
};

struct site_group {
	struct group_key key;
	bool used;
	/* this round, over its members */
	uint32_t members;
	uint64_t entries, bytes;
	int64_t growth; /* of the members since the window started, as they were then */
	uint64_t biggest[GROUPS_BIGGEST];
	uint64_t biggest_entries[GROUPS_BIGGEST];
	int create_site; /* where a member was made, when one is known */
	/* the growth rule over windows */
	uint64_t *counts; /* growth samples this window, biased by GROUPS_BIAS */
	unsigned int len;
	double start;		     /* when this window started, in seconds */
	struct detector_window last; /* the last window closed */
	struct detector_rule rules[ALERT_KINDS];
	unsigned int windows;
	double rate; /* entries a second over the last window */
	bool rebase; /* a window starts this round: members take their counts as base */
	unsigned int empty_rounds;
	/* The biggest member's keys, read at each alert; nkeys -1 until the first. */
	char keys[REGISTRY_MAX_KEYS][REGISTRY_KEY_LEN];
	int nkeys;
};

struct site_groups {
	struct site_group *groups; /* slot i is group id i + 1 */
	uint32_t high;		   /* slots ever used */
	uint32_t count;		   /* groups in use */
	int32_t *index;		   /* open addressing by key, -1 empty */
	const struct detector_config *cfg;
};

typedef void (*groups_alert_fn)(void *ctx, struct site_group *g, enum alert_kind kind,
				enum detector_state before);

int groups_init(struct site_groups *gs, const struct detector_config *cfg);
void groups_free(struct site_groups *gs);
/* The group with id, or NULL (strchr-like). */
struct site_group *groups_get(const struct site_groups *gs, uint32_t id);
/* Starts a round: every group's sums start from zero. */
void groups_begin_round(struct site_groups *gs);
/* Counts m (sampled this round) into its group, joining it if new. */
void groups_add_member(struct site_groups *gs, struct tracked_map *m);
/*
 * Ends the round taken at now (seconds): one sample a group; closed windows
 * are judged, changes go to fn.
 */
void groups_end_round(struct site_groups *gs, double now, groups_alert_fn fn, void *ctx);
/* After the round: a member of a group whose window starts takes its count as base. */
void groups_rebase_member(struct site_groups *gs, struct tracked_map *m);

#endif /* GOMAPLEAK_GROUPS_H */
