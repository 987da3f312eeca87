// SPDX-License-Identifier: GPL-2.0
#include "exec_watch.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include "error.h"
#include "exec_watch.skel.h"

static int on_exec(void *data, void *record, size_t size)
{
	struct exec_watch *w = data;
	__u32 pid;

	if (size < sizeof(pid))
		return 0;
	memcpy(&pid, record, sizeof(pid));
	w->fn(w->ctx, (pid_t)pid);
	return 0;
}

int exec_watch_open(struct exec_watch *w, exec_watch_fn fn, void *ctx, char *why, size_t why_len)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->fn = fn;
	w->ctx = ctx;
	w->skel = exec_watch_bpf__open_and_load();
	if (!w->skel)
		return error_set(why, why_len, -errno, "cannot load the exec watch: %s",
				 strerror(errno));
	err = exec_watch_bpf__attach(w->skel);
	if (err) {
		error_set(why, why_len, err,
			  "failed to attach to raw tracepoint sched_process_exec: %s",
			  strerror(-err));
		exec_watch_close(w);
		return err;
	}
	w->execs = ring_buffer__new(bpf_map__fd(w->skel->maps.execs), on_exec, w, NULL);
	if (!w->execs) {
		err = -errno;
		error_set(why, why_len, err, "cannot read the exec watch: %s", strerror(-err));
		exec_watch_close(w);
		return err;
	}
	return 0;
}

int exec_watch_fd(const struct exec_watch *w)
{
	return ring_buffer__epoll_fd(w->execs);
}

void exec_watch_consume(struct exec_watch *w)
{
	if (w->execs)
		ring_buffer__consume(w->execs);
}

void exec_watch_close(struct exec_watch *w)
{
	ring_buffer__free(w->execs);
	exec_watch_bpf__destroy(w->skel);
	memset(w, 0, sizeof(*w));
}
