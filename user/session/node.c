// SPDX-License-Identifier: GPL-2.0
#include "node.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "error.h"
#include "metrics_merge.h"

#define NODE_PROC "/proc"

static struct session *find_session(const struct node *n, pid_t pid)
{
	unsigned int i;

	for (i = 0; i < n->nsessions; i++)
		if (n->sessions[i]->pid == pid)
			return n->sessions[i];
	return NULL;
}

/* A session for the process; a line when it cannot be watched. */
static void watch_process(struct node *n, const struct process_info *info)
{
	struct session *s;
	int err;

	if (find_session(n, info->pid))
		return;
	if (n->nsessions == n->opt->max_processes) {
		report_note(&n->notes,
			    "pid %d (%s) not watched: %u processes watched already "
			    "(--max-processes)",
			    info->pid, info->comm, n->nsessions);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		report_note(&n->notes, "pid %d (%s) not watched: out of memory", info->pid,
			    info->comm);
		return;
	}
	session_init(s, n->opt, info->pid);
	s->object = &n->object;
	s->labelled = true;
	s->info = *info;
	s->calibration = n->calibrated ? &n->calibration : NULL;
	err = session_open(s);
	if (!err)
		err = session_start(s, n->epoll_fd);
	if (err) {
		/* One that exited meanwhile (short-lived) is not worth a line. */
		if (err != -ESRCH && err != -ENOENT)
			report_note(&n->notes, "pid %d (%s) not watched: %s", info->pid, info->comm,
				    s->why);
		session_close(s);
		free(s);
		return;
	}
	session_announce(s);
	if (!n->calibrated && s->bursts.calibrated) {
		n->calibration = s->bursts.calibration;
		n->calibrated = true;
	}
	n->sessions[n->nsessions++] = s;
	n->watched++;
}

static void on_scanned(void *ctx, const struct process_info *info)
{
	watch_process(ctx, info);
}

static void on_exec(void *ctx, pid_t pid)
{
	struct node *n = ctx;

	if (n->npending == NODE_PENDING_EXECS) {
		n->pending_overflow = true;
		return;
	}
	n->pending[n->npending++] = pid;
}

/* A process that exec'd and is not watched (any more): watched if it runs Go now. */
static void consider_exec(struct node *n, pid_t pid)
{
	struct process_info info;

	if (find_session(n, pid) || process_info_read(NODE_PROC, pid, &info) ||
	    !process_filter_matches(&n->filter, &info))
		return;
	if (process_runs_go(info.exe))
		watch_process(n, &info);
}

/* -p PID, each: watched whatever it runs (a non-Go program gets its error line). */
static void watch_given_pids(struct node *n)
{
	struct process_info info;
	int i;

	for (i = 0; i < n->opt->npids; i++) {
		if (process_info_read(NODE_PROC, n->opt->pids[i], &info)) {
			report_note(&n->notes, "pid %d not watched: no such process",
				    n->opt->pids[i]);
			continue;
		}
		watch_process(n, &info);
	}
}

/*
 * One page from the sessions' pages, each series labelled with its process.
 * A process gone since the last interval has no page: its series go.
 */
static void publish_metrics(struct node *n)
{
	struct metrics_page *pages = calloc(n->nsessions + 1, sizeof(*pages));
	char(*labels)[3 * 300] = calloc(n->nsessions + 1, sizeof(*labels));
	char pid[16], comm[64], container[160], *text = NULL;
	unsigned int i, npages = 0;
	size_t len = 0;
	FILE *out;

	for (i = 0; pages && labels && i < n->nsessions; i++) {
		const struct session *s = n->sessions[i];

		if (!s->exporters.page)
			continue;
		snprintf(pid, sizeof(pid), "%d", s->pid);
		metrics_format_label(comm, sizeof(comm), "comm", s->info.comm);
		metrics_format_label(container, sizeof(container), "container", s->info.container);
		snprintf(labels[npages], sizeof(labels[npages]), "pid=\"%s\",%s%s%s", pid, comm,
			 s->info.container[0] ? "," : "", s->info.container[0] ? container : "");
		pages[npages] = (struct metrics_page){ .text = s->exporters.page,
						       .len = s->exporters.page_len,
						       .labels = labels[npages] };
		npages++;
	}
	out = pages && labels ? open_memstream(&text, &len) : NULL;
	if (out && !metrics_merge(out, pages, npages)) {
		fclose(out);
		metrics_server_publish(&n->server, text, len);
	} else if (out) {
		fclose(out);
		free(text);
	}
	free(pages);
	free(labels);
}

static int start_server(struct node *n)
{
	const struct cli_options *opt = n->opt;
	bool v6 = strchr(opt->prometheus_host, ':') != NULL;
	int err = metrics_server_start(&n->server, opt->prometheus_host, opt->prometheus_port,
				       n->why, sizeof(n->why));

	if (err)
		return err;
	n->serving = true;
	report_note(&n->notes, "metrics of every process at http://%s%s%s:%u/metrics",
		    v6 ? "[" : "", opt->prometheus_host, v6 ? "]" : "", n->server.port);
	return 0;
}

static int epoll_add(int epoll_fd, int fd, char *why, size_t why_len)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev))
		return error_set(why, why_len, -errno, "cannot set up the event loop: %s",
				 strerror(errno));
	return 0;
}

/* The BPF object every session takes a slot in, its events on the loop. */
static int open_object(struct node *n)
{
	struct tracer_object_options opts = {
		.processes = n->opt->max_processes,
		.path = (enum attach_path)n->opt->attach_path,
		.verbose = n->opt->verbose,
	};
	int err = tracer_object_open(&n->object, &opts, n->why, sizeof(n->why));

	if (err)
		return err;
	n->object_open = true;
	return epoll_add(n->epoll_fd, tracer_object_events_fd(&n->object), n->why, sizeof(n->why));
}

int node_start(struct node *n, const struct cli_options *opt, int epoll_fd)
{
	int err;

	memset(n, 0, sizeof(*n));
	n->opt = opt;
	n->notes = (struct report_notes){ .out = stderr, .json = opt->json };
	n->epoll_fd = epoll_fd;
	n->filter = (struct process_filter){ .comm = opt->comm,
					     .exe_glob = opt->exe_glob,
					     .cgroup = opt->cgroup };
	n->follow = opt->all || opt->comm || opt->exe_glob || opt->cgroup;
	n->sessions = calloc(opt->max_processes, sizeof(*n->sessions));
	if (!n->sessions)
		return error_set(n->why, sizeof(n->why), -ENOMEM, "out of memory");
	/* A port that cannot be used fails before anything is attached. */
	if (opt->prometheus && (err = start_server(n)))
		return err;
	err = open_object(n);
	if (err)
		return err;
	watch_given_pids(n);
	if (!n->follow)
		return 0;
	/* The exec watch first: a process started during the scan is not missed. */
	err = exec_watch_open(&n->exec, on_exec, n, n->why, sizeof(n->why));
	if (!err)
		err = exec_watch_fd(&n->exec) < 0 ? -EBADF : 0;
	if (!err)
		err = epoll_add(epoll_fd, exec_watch_fd(&n->exec), n->why, sizeof(n->why));
	if (err)
		return err;
	err = processes_scan(NODE_PROC, &n->filter, getpid(), on_scanned, n);
	if (err)
		return error_set(n->why, sizeof(n->why), err, "cannot read %s: %s", NODE_PROC,
				 strerror(-err));
	report_note(&n->notes, "watching %u Go processes; new ones%s are watched as they start",
		    n->nsessions, opt->all ? "" : " the selectors match");
	return 0;
}

bool node_on_wakeup(struct node *n, int fd)
{
	unsigned int i;

	if (n->exec.skel && fd == exec_watch_fd(&n->exec)) {
		exec_watch_consume(&n->exec);
		return true;
	}
	if (n->object_open && fd == tracer_object_events_fd(&n->object))
		return true; /* consumed after every wakeup */
	for (i = 0; i < n->nsessions; i++)
		if (session_on_wakeup(n->sessions[i], fd))
			return true;
	return false;
}

/* The sessions that ended: their summary, then freed. */
static void reap_sessions(struct node *n)
{
	unsigned int i, kept = 0;

	for (i = 0; i < n->nsessions; i++) {
		struct session *s = n->sessions[i];

		if (!s->stop_reason) {
			n->sessions[kept++] = s;
			continue;
		}
		session_finish(s);
		n->leaks += s->census.stats.leaks;
		session_close(s);
		free(s);
	}
	n->nsessions = kept;
}

void node_settle(struct node *n)
{
	struct session *s;
	unsigned int i;

	exec_watch_consume(&n->exec);
	/* A watched process that exec'd: its old program, and every map of it, is gone. */
	for (i = 0; i < n->npending; i++) {
		s = find_session(n, n->pending[i]);
		if (s && !s->stop_reason)
			s->stop_reason = "target exec'd";
	}
	reap_sessions(n);
	for (i = 0; i < n->npending; i++)
		consider_exec(n, n->pending[i]);
	n->npending = 0;
	if (n->pending_overflow) {
		n->pending_overflow = false;
		processes_scan(NODE_PROC, &n->filter, getpid(), on_scanned, n);
	}
}

void node_consume(struct node *n)
{
	if (n->object_open)
		tracer_object_consume(&n->object);
}

void node_tick(struct node *n)
{
	unsigned int i;

	for (i = 0; i < n->nsessions; i++)
		if (!n->sessions[i]->stop_reason)
			session_tick(n->sessions[i]);
	if (n->serving)
		publish_metrics(n);
}

bool node_active(const struct node *n)
{
	return n->follow || n->nsessions > 0;
}

void node_finish(struct node *n, const char *reason)
{
	unsigned int i;

	for (i = 0; i < n->nsessions; i++)
		if (!n->sessions[i]->stop_reason)
			n->sessions[i]->stop_reason = reason;
	reap_sessions(n);
	report_note(&n->notes, "%" PRIu64 " processes watched; %" PRIu64 " LEAK alerts", n->watched,
		    n->leaks);
}

bool node_leaked(const struct node *n)
{
	return n->leaks > 0;
}

void node_close(struct node *n)
{
	unsigned int i;

	for (i = 0; i < n->nsessions; i++) {
		session_close(n->sessions[i]);
		free(n->sessions[i]);
	}
	free(n->sessions);
	if (n->object_open)
		tracer_object_close(&n->object);
	exec_watch_close(&n->exec);
	if (n->serving)
		metrics_server_stop(&n->server);
	memset(n, 0, sizeof(*n));
}
