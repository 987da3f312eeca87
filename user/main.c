// SPDX-License-Identifier: GPL-2.0
/*
 * gomapleak: find leaking Go maps in a running process.
 * Lifecycle: inspect the binary -> plan probes -> load BPF -> attach ->
 * drain events (and, for watch, sample the maps every interval and report
 * alerts) until Ctrl-C, SIGTERM, --duration or the target's exit ->
 * summary -> one cleanup path.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "exit_status.h"
#include "gobinary.h"
#include "launch.h"
#include "node.h"
#include "report_plan.h"
#include "session.h"
#include "target.h"
#include "tracer.h"

/* The run: options, the traced process's session (or node mode's), the event loop's descriptors. */
struct gml_context {
	struct cli_options opt;
	struct session session;
	bool node_mode;
	struct node node;
	pid_t launched; /* run: the program gomapleak started */
	int epoll_fd;
	int signal_fd;
	int timer_fd;
	int interval_fd;
	int drain_fd; /* events are submitted without wakeups: drained on this timer */
	/* Drains in a row that found no event; the timer stops at GML_IDLE_DRAINS. */
	unsigned int idle_drains;
	bool drain_stopped; /* the next event wakes the loop instead (reader_idle) */
	int consumed;	    /* events the loop read at its last wakeup */
	const char *stop_reason;
	char why[512]; /* what failed: filled by the function that failed */
};

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

static int run_inspect(struct gml_context *ctx)
{
	const char *path = ctx->opt.binary;
	struct target target = { .pidfd = -1 };
	struct kernel_features kf;
	struct kernel_report kernel;
	char why[256];
	struct gobinary bin;
	int err = 0, code = GML_EXIT_OK;

	memset(&bin, 0, sizeof(bin));
	if (ctx->opt.pid) {
		err = target_open(&target, ctx->opt.pid, ctx->why, sizeof(ctx->why));
		if (err)
			return fail(&ctx->opt, ctx->why, GML_STAGE_TARGET, err);
		path = target.exe_path;
	}
	err = gobinary_open(&bin, path, ctx->why, sizeof(ctx->why));
	if (err) {
		code = fail(&ctx->opt, ctx->why, GML_STAGE_BINARY, err);
	} else if (ctx->opt.json) {
		report_plan_json(stdout, path, &bin,
				 inspect_kernel(&kernel, &kf, &bin, why, sizeof(why)));
	} else {
		report_plan(stdout, path, &bin, ctx->opt.verbose);
		report_kernel(stdout, inspect_kernel(&kernel, &kf, &bin, why, sizeof(why)));
	}
	gobinary_close(&bin);
	target_close(&target);
	return code;
}

static int epoll_add(int epoll_fd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* Arms fd to fire after seconds, and every seconds after if periodic; 0 seconds: disarmed. */
static int set_timer(int fd, double seconds, bool periodic)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = (time_t)seconds;
	its.it_value.tv_nsec = (long)((seconds - (double)its.it_value.tv_sec) * 1e9);
	if (periodic)
		its.it_interval = its.it_value;
	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
}

/* A timerfd on epoll_fd firing after seconds, and every seconds after if periodic. */
static int start_timer(int epoll_fd, int *fd, double seconds, bool periodic)
{
	int err;

	*fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (*fd < 0)
		return -errno;
	err = set_timer(*fd, seconds, periodic);
	return err ? err : epoll_add(epoll_fd, *fd);
}

/*
 * Signals, the duration, interval and drain timers on one epoll; the session
 * adds its own (the target's exit, the ring buffer, the bursts' timer).
 */
static int watch_setup_wakeups(struct gml_context *ctx, const sigset_t *stop_signals)
{
	int err;

	ctx->signal_fd = signalfd(-1, stop_signals, SFD_CLOEXEC);
	ctx->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (ctx->signal_fd < 0 || ctx->epoll_fd < 0)
		return -errno;
	err = epoll_add(ctx->epoll_fd, ctx->signal_fd);
	if (!err)
		err = start_timer(ctx->epoll_fd, &ctx->drain_fd, GML_DRAIN_MS / 1000.0, true);
	if (!err && ctx->opt.command != GML_CMD_TRACE)
		err = start_timer(ctx->epoll_fd, &ctx->interval_fd, ctx->opt.interval, true);
	if (err || !ctx->opt.duration)
		return err;
	return start_timer(ctx->epoll_fd, &ctx->timer_fd, ctx->opt.duration, false);
}

/* SIGUSR1 writes the profiles and tracing goes on; the others stop it. */
static const char *on_signal(struct gml_context *ctx)
{
	struct signalfd_siginfo si;

	if (read(ctx->signal_fd, &si, sizeof(si)) != sizeof(si))
		return "signal";
	if (si.ssi_signo == SIGUSR1) {
		exporters_write_profiles(&ctx->session.exporters);
		return NULL;
	}
	return si.ssi_signo == SIGINT ? "interrupted" : "terminated";
}

static const char *wakeup_stop_reason(struct gml_context *ctx, int fd)
{
	if (fd == ctx->signal_fd)
		return on_signal(ctx);
	if (fd == ctx->timer_fd)
		return "duration reached";
	return NULL;
}

/* Clears a periodic timer's expirations, so that epoll stops reporting it; false if none. */
static bool timer_ack(int fd)
{
	uint64_t expirations;

	return read(fd, &expirations, sizeof(expirations)) == sizeof(expirations);
}

/*
 * The drain timer fired. A quiet ring (nothing for GML_IDLE_DRAINS drains)
 * stops it: each of its wakeups can take the target's CPU, 20 times a
 * second. Node mode keeps it (its exec watch drains on it too), and trace,
 * which has no interval tick to bound an event that slipped past the flag.
 */
static void on_drain_timer(struct gml_context *ctx)
{
	timer_ack(ctx->drain_fd); /* the drain itself is in the loop */
	if (ctx->node_mode || ctx->opt.command == GML_CMD_TRACE || ctx->consumed)
		return;
	if (++ctx->idle_drains < GML_IDLE_DRAINS)
		return;
	session_idle_reader(&ctx->session);
	set_timer(ctx->drain_fd, 0, false);
	ctx->drain_stopped = true;
}

/* Events came: the loop drains on its timer again. */
static void on_events(struct gml_context *ctx)
{
	ctx->idle_drains = 0;
	if (!ctx->drain_stopped)
		return;
	set_timer(ctx->drain_fd, GML_DRAIN_MS / 1000.0, true);
	ctx->drain_stopped = false;
}

#define WATCH_WAKEUPS 8 /* more than the fds on the epoll */

static void on_wakeup(struct gml_context *ctx, int fd)
{
	struct session *s = &ctx->session;
	const char *reason = wakeup_stop_reason(ctx, fd);

	if (reason)
		ctx->stop_reason = reason;
	else if (fd == ctx->interval_fd) {
		if (!timer_ack(ctx->interval_fd))
			return;
		if (ctx->node_mode)
			node_tick(&ctx->node);
		else
			session_tick(s);
	} else if (fd == ctx->drain_fd)
		on_drain_timer(ctx);
	else if (ctx->node_mode)
		node_on_wakeup(&ctx->node, fd);
	else
		session_on_wakeup(s, fd);
	if (!ctx->node_mode && !ctx->stop_reason && s->stop_reason)
		ctx->stop_reason = s->stop_reason;
}

/* Node mode, after a batch of wakeups: sessions ended and started; stop when none is left. */
static void settle(struct gml_context *ctx)
{
	if (!ctx->node_mode)
		return;
	node_settle(&ctx->node);
	if (!ctx->stop_reason && !node_active(&ctx->node))
		ctx->stop_reason = "no process left to watch";
}

static void watch_loop(struct gml_context *ctx)
{
	struct epoll_event ev[WATCH_WAKEUPS];
	int i, n;

	while (!ctx->stop_reason) {
		n = epoll_wait(ctx->epoll_fd, ev, WATCH_WAKEUPS, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ctx->stop_reason = "epoll failed";
			break;
		}
		if (ctx->node_mode)
			node_consume(&ctx->node);
		else
			ctx->consumed = session_consume(&ctx->session);
		if (ctx->consumed)
			on_events(ctx);
		for (i = 0; i < n; i++)
			on_wakeup(ctx, ev[i].data.fd);
		settle(ctx);
		fflush(stdout);
	}
}

/* run: the program starts stopped after its exec; watch attaches, then it goes. */
static int launch_target(struct gml_context *ctx)
{
	int err = launch_stopped(ctx->opt.run_argv, &ctx->launched, ctx->why, sizeof(ctx->why));

	if (err)
		return fail(&ctx->opt, ctx->why, GML_STAGE_LAUNCH, err);
	ctx->opt.pid = ctx->launched;
	return GML_EXIT_OK;
}

static int run_watch(struct gml_context *ctx, const sigset_t *stop_signals)
{
	struct session *s = &ctx->session;
	int code = GML_EXIT_OK, err;

	if (ctx->opt.command == GML_CMD_RUN)
		code = launch_target(ctx);
	if (code)
		return code;
	s->pid = ctx->opt.pid;
	err = session_open(s);
	if (err)
		return fail(&ctx->opt, s->why, s->failed_stage, err);
	if (ctx->launched &&
	    (err = launch_resume(ctx->launched, ctx->opt.run_argv[0], ctx->why, sizeof(ctx->why))))
		return fail(&ctx->opt, ctx->why, GML_STAGE_LAUNCH, err);
	err = watch_setup_wakeups(ctx, stop_signals);
	if (err) {
		error_set(ctx->why, sizeof(ctx->why), err, "cannot set up event loop: %s",
			  strerror(-err));
		return fail(&ctx->opt, ctx->why, GML_STAGE_ATTACH, err);
	}
	err = session_start(s, ctx->epoll_fd);
	if (err)
		return fail(&ctx->opt, s->why, s->failed_stage, err);
	session_announce(s);
	watch_loop(ctx);
	if (!s->stop_reason)
		s->stop_reason = ctx->stop_reason;
	session_finish(s);
	if (ctx->opt.fail_on_leak && session_leaked(s))
		return GML_EXIT_LEAK;
	return GML_EXIT_OK;
}

/* watch --all, --comm, --exe, --cgroup or several -p: a session a process. */
static int run_node(struct gml_context *ctx, const sigset_t *stop_signals)
{
	int err = watch_setup_wakeups(ctx, stop_signals);

	if (err) {
		error_set(ctx->why, sizeof(ctx->why), err, "cannot set up event loop: %s",
			  strerror(-err));
		return fail(&ctx->opt, ctx->why, GML_STAGE_ATTACH, err);
	}
	ctx->node_mode = true;
	err = node_start(&ctx->node, &ctx->opt, ctx->epoll_fd);
	if (err)
		return fail(&ctx->opt, ctx->node.why, GML_STAGE_ATTACH, err);
	if (!node_active(&ctx->node)) {
		snprintf(ctx->why, sizeof(ctx->why), "none of the processes given can be watched");
		return fail(&ctx->opt, ctx->why, GML_STAGE_TARGET, -ESRCH);
	}
	watch_loop(ctx);
	node_finish(&ctx->node, ctx->stop_reason);
	if (ctx->opt.fail_on_leak && node_leaked(&ctx->node))
		return GML_EXIT_LEAK;
	return GML_EXIT_OK;
}

static void context_cleanup(struct gml_context *ctx)
{
	/* A program run started and that outlived the watch is ended, by PID. */
	if (ctx->launched)
		launch_end(ctx->launched, 2000);
	session_close(&ctx->session);
	if (ctx->node_mode)
		node_close(&ctx->node);
	if (ctx->timer_fd > 0)
		close(ctx->timer_fd);
	if (ctx->interval_fd > 0)
		close(ctx->interval_fd);
	if (ctx->drain_fd > 0)
		close(ctx->drain_fd);
	if (ctx->signal_fd > 0)
		close(ctx->signal_fd);
	if (ctx->epoll_fd > 0)
		close(ctx->epoll_fd);
}

int main(int argc, char **argv)
{
	struct gml_context ctx = {
		.epoll_fd = -1,
		.signal_fd = -1,
		.timer_fd = -1,
		.interval_fd = -1,
		.drain_fd = -1,
	};
	sigset_t stop_signals;
	int code;

	/*
	 * Blocked before anything else (the metrics server's thread inherits the
	 * mask) so that Ctrl-C always reaches the signalfd.
	 */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGUSR1);
	sigprocmask(SIG_BLOCK, &stop_signals, NULL);

	session_init(&ctx.session, &ctx.opt, 0);
	code = cli_parse(argc, argv, &ctx.opt);
	if (code >= 0)
		return code;
	if (ctx.opt.command == GML_CMD_INSPECT)
		code = run_inspect(&ctx);
	else if (cli_node_mode(&ctx.opt))
		code = run_node(&ctx, &stop_signals);
	else
		code = run_watch(&ctx, &stop_signals);
	context_cleanup(&ctx);
	return code;
}
