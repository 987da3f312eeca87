/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bursts' io (bursts.h) over a real process: its tracer, its plan and
 * binary, its CPU from /proc, a timerfd on the session's epoll and
 * CLOCK_MONOTONIC.
 */
#ifndef GOMAPLEAK_BURST_PROBES_H
#define GOMAPLEAK_BURST_PROBES_H

#include <stdbool.h>
#include <stddef.h>

#include "bursts.h"
#include "goelf.h"
#include "probes.h"
#include "target.h"
#include "tracer.h"

struct burst_probes {
	struct tracer *tr;
	const struct probe_plan *plan;
	const struct goelf *elf;
	const char *binary;
	const struct target *target;
	int timer_fd; /* the bursts' timer; -1 until started */
	struct bursts_io io;
};

void burst_probes_init(struct burst_probes *p, struct tracer *tr, const struct probe_plan *plan,
		       const struct goelf *elf, const char *binary, const struct target *target);
/* The timer, on epoll_fd; 0 or a negative errno, why saying what failed. */
int burst_probes_start_timer(struct burst_probes *p, int epoll_fd, char *why, size_t why_len);
/* Whether fd is the timer; if so its expirations are read (call bursts_on_timer()). */
bool burst_probes_timer_fired(struct burst_probes *p, int fd);
void burst_probes_close(struct burst_probes *p);

#endif /* GOMAPLEAK_BURST_PROBES_H */
