/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event loop of watch, run and trace, for one session or node mode's:
 * stop signals, the duration, the sampling interval and the ring buffer's
 * drain timer on one epoll, to which what the loop drives adds its own
 * descriptors (the target's exit, the ring buffer, the bursts' timer, the
 * exec watch).
 */
#ifndef GOMAPLEAK_WATCH_LOOP_H
#define GOMAPLEAK_WATCH_LOOP_H

#include <signal.h>
#include <stdbool.h>

#include "cli.h"

/* What the loop drives: one session, or node mode's sessions. */
struct watch_driver {
	void *ctx;
	int (*consume)(void *ctx);	      /* reads queued events; how many */
	void (*tick)(void *ctx);	      /* the sampling interval passed */
	void (*on_wakeup)(void *ctx, int fd); /* one of its own descriptors is ready */
	/* After a batch of wakeups: why it has ended, or NULL while it goes on. */
	const char *(*settle)(void *ctx);
	/*
	 * The ring buffer was quiet: its next event wakes the loop, and the drain
	 * timer stops. NULL: never (the driver drains something else on the
	 * timer too).
	 */
	void (*idle_reader)(void *ctx);
	void (*write_profiles)(void *ctx); /* SIGUSR1; NULL: nothing to write */
};

struct watch_loop {
	int epoll_fd;
	int signal_fd;
	int duration_fd;
	int interval_fd;
	int drain_fd; /* events are submitted without wakeups: drained on this timer */
	/* Drains in a row that found no event; the timer stops at GML_IDLE_DRAINS. */
	unsigned int idle_drains;
	bool drain_stopped; /* the next event wakes the loop instead (idle_reader) */
	bool drains_always; /* trace: no interval tick bounds an event that slipped past */
	int consumed;	    /* events read at the last wakeup */
	const char *stop_reason;
};

/*
 * The signals (blocked by the caller), the duration and interval timers of
 * opt, the drain timer; 0 or a negative errno.
 */
int watch_loop_open(struct watch_loop *l, const struct cli_options *opt,
		    const sigset_t *stop_signals);
/* Runs until a stop signal, the duration, or the driver's end; l->stop_reason says which. */
void watch_loop_run(struct watch_loop *l, const struct watch_driver *d);
void watch_loop_close(struct watch_loop *l);

#endif /* GOMAPLEAK_WATCH_LOOP_H */
