/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Node mode's view of new programs: a BPF object of its own, not filtered by
 * process, reporting every execve's pid on a ring buffer (bpf/exec_watch.bpf.c).
 * A process that starts, restarts (a new pid) or execs another binary shows
 * up here; no /proc polling that would miss short-lived ones.
 */
#ifndef GOMAPLEAK_EXEC_WATCH_H
#define GOMAPLEAK_EXEC_WATCH_H

#include <stddef.h>
#include <sys/types.h>

typedef void (*exec_watch_fn)(void *ctx, pid_t pid);

struct exec_watch {
	struct exec_watch_bpf *skel;
	struct ring_buffer *execs;
	exec_watch_fn fn;
	void *ctx;
};

/* Loads and attaches; fn is called with each exec's pid from exec_watch_consume. */
int exec_watch_open(struct exec_watch *w, exec_watch_fn fn, void *ctx, char *why, size_t why_len);
/* The descriptor to poll: readable when execs are queued. */
int exec_watch_fd(const struct exec_watch *w);
void exec_watch_consume(struct exec_watch *w);
void exec_watch_close(struct exec_watch *w);

#endif /* GOMAPLEAK_EXEC_WATCH_H */
