// SPDX-License-Identifier: GPL-2.0
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "exit_status.h"
#include "gobinary.h"
#include "launch.h"
#include "node.h"
#include "report_plan.h"
#include "session.h"
#include "target.h"
#include "tracer_object.h"
#include "watch_loop.h"

/* A failure at stage with err: why says what failed; prints it, returns the exit status. */
static int fail(const struct cli_options *opt, const char *why, enum gml_stage stage, int err)
{
	int code = exit_status_for(stage, err);

	exit_status_print_error(stderr, opt->json, code, why);
	return code;
}

/*
 * The running kernel and the path watch would attach by there; none for a
 * binary of another architecture, which this gomapleak reads but cannot trace.
 */
static const struct kernel_report *inspect_kernel(struct kernel_report *k,
						  struct kernel_features *kf,
						  const struct gobinary *bin, char *why,
						  size_t why_len)
{
	enum attach_path path;

	kernel_features_probe(kf);
	*k = (struct kernel_report){ .kf = kf, .path = -1, .why = why };
	if (!goelf_is_native(&bin->elf))
		snprintf(why, why_len, "an %s binary, and this gomapleak traces %s programs",
			 goelf_arch_name(&bin->elf), GOMAPLEAK_ARCH);
	else if (!attach_path_choose(kf, ATTACH_PATH_AUTO, &path, why, why_len))
		k->path = (int)path;
	return k;
}

static int inspect_binary(const struct cli_options *opt, const char *path, char *why,
			  size_t why_len)
{
	struct kernel_features kf;
	struct kernel_report kernel;
	char kernel_why[256];
	struct gobinary bin;
	int err;

	memset(&bin, 0, sizeof(bin));
	err = gobinary_open(&bin, path, why, why_len);
	if (err) {
		gobinary_close(&bin);
		return fail(opt, why, GML_STAGE_BINARY, err);
	}
	inspect_kernel(&kernel, &kf, &bin, kernel_why, sizeof(kernel_why));
	if (opt->json) {
		report_plan_json(stdout, path, &bin, &kernel);
	} else {
		report_plan(stdout, path, &bin, opt->verbose);
		report_kernel(stdout, &kernel);
	}
	gobinary_close(&bin);
	return GML_EXIT_OK;
}

int command_inspect(const struct cli_options *opt)
{
	struct target target = { .pidfd = -1 };
	char why[512];
	int err, code;

	if (!opt->pid)
		return inspect_binary(opt, opt->binary, why, sizeof(why));
	err = target_open(&target, opt->pid, why, sizeof(why));
	code = err ? fail(opt, why, GML_STAGE_TARGET, err)
		   : inspect_binary(opt, target.exe_path, why, sizeof(why));
	target_close(&target);
	return code;
}

static int session_consume_events(void *ctx)
{
	return session_consume(ctx);
}

static void session_on_tick(void *ctx)
{
	session_tick(ctx);
}

static void session_on_fd(void *ctx, int fd)
{
	session_on_wakeup(ctx, fd);
}

static const char *session_settle(void *ctx)
{
	const struct session *s = ctx;

	return s->stop_reason;
}

static void session_on_idle_reader(void *ctx)
{
	session_idle_reader(ctx);
}

static void session_write_profiles(void *ctx)
{
	struct session *s = ctx;

	exporters_write_profiles(&s->exporters);
}

/* One traced process, attached with the loop's descriptors; run's started if launched. */
static int watch_session(struct session *s, struct watch_loop *loop, const sigset_t *stop_signals,
			 pid_t launched)
{
	const struct watch_driver driver = {
		.ctx = s,
		.consume = session_consume_events,
		.tick = session_on_tick,
		.on_wakeup = session_on_fd,
		.settle = session_settle,
		.idle_reader = session_on_idle_reader,
		.write_profiles = session_write_profiles,
	};
	int err = session_open(s);

	if (err)
		return fail(s->opt, s->why, s->failed_stage, err);
	if (launched &&
	    (err = launch_resume(launched, s->opt->run_argv[0], s->why, sizeof(s->why))))
		return fail(s->opt, s->why, GML_STAGE_LAUNCH, err);
	err = watch_loop_open(loop, s->opt, stop_signals);
	if (err) {
		error_set(s->why, sizeof(s->why), err, "cannot set up event loop: %s",
			  strerror(-err));
		return fail(s->opt, s->why, GML_STAGE_ATTACH, err);
	}
	err = session_start(s, loop->epoll_fd);
	if (err)
		return fail(s->opt, s->why, s->failed_stage, err);
	session_announce(s);
	watch_loop_run(loop, &driver);
	if (!s->stop_reason)
		s->stop_reason = loop->stop_reason;
	session_finish(s);
	return s->opt->fail_on_leak && session_leaked(s) ? GML_EXIT_LEAK : GML_EXIT_OK;
}

int command_watch(struct cli_options *opt, const sigset_t *stop_signals)
{
	struct watch_loop loop = { .epoll_fd = -1,
				   .signal_fd = -1,
				   .duration_fd = -1,
				   .interval_fd = -1,
				   .drain_fd = -1 };
	struct session session;
	pid_t launched = 0;
	char why[512];
	int code, err;

	if (opt->command == GML_CMD_RUN) {
		/* The program starts stopped after its exec; watch attaches, then it goes. */
		err = launch_stopped(opt->run_argv, &launched, why, sizeof(why));
		if (err)
			return fail(opt, why, GML_STAGE_LAUNCH, err);
		opt->pid = launched;
	}
	session_init(&session, opt, opt->pid);
	code = watch_session(&session, &loop, stop_signals, launched);
	/* A program run started and that outlived the watch is ended, by PID. */
	if (launched)
		launch_end(launched, 2000);
	session_close(&session);
	watch_loop_close(&loop);
	return code;
}

static int node_consume_events(void *ctx)
{
	node_consume(ctx);
	return 0; /* node mode keeps its drain timer: nothing to restart */
}

static void node_on_tick(void *ctx)
{
	node_tick(ctx);
}

static void node_on_fd(void *ctx, int fd)
{
	node_on_wakeup(ctx, fd);
}

/* Sessions ended and started after a batch of wakeups; none left ends the watch. */
static const char *node_settle_sessions(void *ctx)
{
	struct node *n = ctx;

	node_settle(n);
	return node_active(n) ? NULL : "no process left to watch";
}

static int watch_node(struct node *n, struct watch_loop *loop, const struct cli_options *opt,
		      const sigset_t *stop_signals)
{
	/* No idle reader: its exec watch drains on the timer too. */
	const struct watch_driver driver = {
		.ctx = n,
		.consume = node_consume_events,
		.tick = node_on_tick,
		.on_wakeup = node_on_fd,
		.settle = node_settle_sessions,
	};
	int err = watch_loop_open(loop, opt, stop_signals);

	if (err) {
		error_set(n->why, sizeof(n->why), err, "cannot set up event loop: %s",
			  strerror(-err));
		return fail(opt, n->why, GML_STAGE_ATTACH, err);
	}
	err = node_start(n, opt, loop->epoll_fd);
	if (err)
		return fail(opt, n->why, GML_STAGE_ATTACH, err);
	if (!node_active(n))
		return fail(opt, "none of the processes given can be watched", GML_STAGE_TARGET,
			    -ESRCH);
	watch_loop_run(loop, &driver);
	node_finish(n, loop->stop_reason);
	return opt->fail_on_leak && node_leaked(n) ? GML_EXIT_LEAK : GML_EXIT_OK;
}

int command_watch_node(const struct cli_options *opt, const sigset_t *stop_signals)
{
	struct watch_loop loop = { .epoll_fd = -1,
				   .signal_fd = -1,
				   .duration_fd = -1,
				   .interval_fd = -1,
				   .drain_fd = -1 };
	struct node node;
	int code;

	memset(&node, 0, sizeof(node));
	code = watch_node(&node, &loop, opt, stop_signals);
	node_close(&node);
	watch_loop_close(&loop);
	return code;
}
