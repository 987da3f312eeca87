/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Closes perf-event uprobe links on one thread, the busiest probe first.
 *
 * The kernel takes a perf-event uprobe out under its event_mutex and waits
 * for an RCU grace period before it lets go (tens of ms), so closes from
 * any number of threads run one after another, in no order, and a probe
 * waiting its turn still traps. With a thread a burst, a hot probe of one
 * group waited behind the cold probes of every group ended before it (0.5 s
 * of traps on Go 1.19's mix benchmark, docs/governor.md). One queue for the
 * whole object, taken by rate, keeps a hot probe's wait to the close in
 * progress.
 */
#ifndef GOMAPLEAK_LINK_CLOSER_H
#define GOMAPLEAK_LINK_CLOSER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct bpf_link;

struct closing_link {
	struct bpf_link *link;
	double rate;	     /* hits a second while attached: the highest is closed first */
	atomic_int *pending; /* the owner's count of links still closing */
};

/* Closes one link: bpf_link__destroy(), or a test's stand-in. */
typedef void (*link_close_fn)(struct bpf_link *link);

struct link_closer {
	link_close_fn close;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool ready;    /* initialized */
	bool started;  /* the thread runs */
	bool stopping; /* it ends once the queue is empty */
	bool closing;  /* a close is in progress */
	struct closing_link *queue;
	int len, cap;
};

/* close: NULL for bpf_link__destroy(). */
void link_closer_init(struct link_closer *c, link_close_fn close);
/*
 * Queues link to be closed, counted in *pending until it is. If the
 * thread cannot start or the queue grow, the link is closed here.
 */
void link_closer_add(struct link_closer *c, struct bpf_link *link, double rate,
		     atomic_int *pending);
/* Whether a link is being closed or waits to be. */
bool link_closer_busy(struct link_closer *c);
/* Closes what is queued, then ends the thread and frees the queue. */
void link_closer_stop(struct link_closer *c);

#endif /* GOMAPLEAK_LINK_CLOSER_H */
