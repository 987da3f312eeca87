/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Node mode (watch --all, --comm, --exe, --cgroup, -p given twice): one
 * session a Go process. Processes are found at start by a /proc scan and
 * afterwards by the exec watch; one that exits is dropped with a line, one
 * that execs another Go binary is watched anew, a restart is a new pid.
 * The sessions share one BPF object (tracer_object.h), a slot each, and
 * each has its own overhead budget: its probes, links of its own, are
 * attached and detached in its own bursts.
 */
#ifndef GOMAPLEAK_NODE_H
#define GOMAPLEAK_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "exec_watch.h"
#include "metrics_server.h"
#include "processes.h"
#include "session.h"

#define NODE_PENDING_EXECS 256 /* execs seen in one wakeup, looked at after it */

struct node {
	const struct cli_options *opt;
	struct report_notes notes; /* its own messages */
	struct process_filter filter;
	bool follow; /* --all or a selector: processes started later are watched too */
	struct session **sessions;
	unsigned int nsessions;
	struct tracer_object object; /* --max-processes slots */
	bool object_open;
	struct exec_watch exec;
	pid_t pending[NODE_PENDING_EXECS];
	unsigned int npending;
	bool pending_overflow; /* more execs than pending holds: rescan /proc */
	int epoll_fd;
	bool serving; /* --prometheus: one page, every process's series labelled */
	struct metrics_server server;
	uint64_t watched, leaks; /* over the whole run, ended sessions included */
	/*
	 * What a hit costs, measured by the first session: measuring takes ~1 s
	 * (attach, time, detach, a dozen times), during which every other
	 * session's bursts would stay attached.
	 */
	struct calibration calibration;
	bool calibrated;
	char why[512];
};

/*
 * Starts watching what the options select: the exec watch (when following),
 * then every matching process running now. On failure why says why.
 */
int node_start(struct node *n, const struct cli_options *opt, int epoll_fd);
/* Whether fd is the exec watch's, the events' or a session's; if so, handles it. */
bool node_on_wakeup(struct node *n, int fd);
/* After a batch of wakeups: ended sessions summed up and freed, new processes watched. */
void node_settle(struct node *n);
void node_consume(struct node *n);
/* Every session's interval; then /metrics gets their pages, merged. */
void node_tick(struct node *n);
/* Whether anything is left to do: a session, or processes to follow. */
bool node_active(const struct node *n);
/* Every session's summary (reason: why the run stops), and the totals. */
void node_finish(struct node *n, const char *reason);
bool node_leaked(const struct node *n);
void node_close(struct node *n);

#endif /* GOMAPLEAK_NODE_H */
