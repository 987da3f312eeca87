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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "census.h"
#include "cli.h"
#include "exporters.h"
#include "gobinary.h"
#include "launch.h"
#include "registry.h"
#include "report_alerts.h"
#include "report_events.h"
#include "report_ops.h"
#include "report_plan.h"
#include "target.h"
#include "tracer.h"

struct gml_context {
	struct cli_options opt;
	struct target target;
	struct gobinary bin;
	struct tracer tracer;
	struct event_printer printer;
	struct detector_config detector;
	struct registry registry;
	struct census census;
	struct alert_printer alerts;
	struct exporters exporters;
	uint64_t load_bias;
	uint64_t events;
	double creation_tokens;	 /* governor: creations allowed before detaching */
	uint64_t creations_last; /* the last creation event's time (event clock, ns) */
	pid_t launched;		 /* run: the program gomapleak started */
	bool launched_exited;
	int epoll_fd;
	int signal_fd;
	int timer_fd;
	int interval_fd;
	struct timespec started;
	const char *stop_reason;
	char why[512];
};

static int fail(struct gml_context *ctx, int code)
{
	fprintf(stderr, "gomapleak: %s\n", ctx->why);
	return code;
}

static int exit_code_for_open(int err)
{
	if (err == -ESRCH || err == -ENOENT)
		return GML_EXIT_NO_TARGET;
	if (err == -EACCES || err == -EPERM)
		return GML_EXIT_PERMISSION;
	return GML_EXIT_UNSUPPORTED;
}

/* Opens the process -p names; on failure ctx->why says why and which privileges. */
static int open_target(struct gml_context *ctx)
{
	int err = target_open(&ctx->target, ctx->opt.pid);

	if (err == -EACCES || err == -EPERM) {
		snprintf(ctx->why, sizeof(ctx->why),
			 "cannot read process %d's executable: %s (needs root, or CAP_SYS_PTRACE "
			 "to read another user's process, CAP_BPF and CAP_PERFMON to trace it)",
			 ctx->opt.pid, strerror(-err));
		return GML_EXIT_PERMISSION;
	}
	if (err) {
		snprintf(ctx->why, sizeof(ctx->why), "cannot open process %d: %s", ctx->opt.pid,
			 err == -ESRCH ? "no such process" : strerror(-err));
		return exit_code_for_open(err);
	}
	return GML_EXIT_OK;
}

static int run_inspect(struct gml_context *ctx)
{
	const char *path = ctx->opt.binary;
	int err;

	if (ctx->opt.pid) {
		err = open_target(ctx);
		if (err)
			return fail(ctx, err);
		path = ctx->target.exe_path;
	}
	err = gobinary_open(&ctx->bin, path, ctx->why, sizeof(ctx->why));
	if (err)
		return fail(ctx, exit_code_for_open(err));
	if (ctx->opt.json)
		report_plan_json(stdout, path, &ctx->bin);
	else
		report_plan(stdout, path, &ctx->bin, ctx->opt.verbose);
	return GML_EXIT_OK;
}

/*
 * Creation probes name where maps are made, but each creation costs a
 * single-stepped RET (~10 us): watch keeps them while the target makes
 * fewer than GML_CREATION_BUDGET maps a second (about 1% of a core), and
 * detaches them past it. --exact keeps them whatever the cost.
 */
#define GML_CREATION_BUDGET 1000 /* maps a second, sustained */
#define GML_CREATION_BURST  2000 /* maps at once (a program's start-up makes many) */

/*
 * A token bucket over creation events: refilled at the budget, capped at
 * the burst; when it runs dry the creation probes are detached. Returns
 * whether this creation is to be used (always with --exact).
 */
static bool govern_creation(struct gml_context *ctx, uint64_t ts_ns)
{
	double elapsed;

	if (ctx->opt.exact || ctx->opt.command == GML_CMD_TRACE)
		return true;
	if (ctx->tracer.governed_first < 0)
		return false;
	if (!ctx->creations_last)
		ctx->creation_tokens = GML_CREATION_BURST;
	elapsed = ctx->creations_last ? (double)(ts_ns - ctx->creations_last) / 1e9 : 0;
	ctx->creations_last = ts_ns;
	ctx->creation_tokens += elapsed * GML_CREATION_BUDGET;
	if (ctx->creation_tokens > GML_CREATION_BURST)
		ctx->creation_tokens = GML_CREATION_BURST;
	ctx->creation_tokens -= 1;
	if (ctx->creation_tokens >= 0)
		return true;
	tracer_detach_governed(&ctx->tracer);
	fprintf(stderr,
		"gomapleak: creation probes detached: more than %d maps made a second "
		"(~%.0f%% of a core at ~10 us a map; --exact keeps them)\n",
		GML_CREATION_BUDGET, GML_CREATION_BUDGET * 10e-6 * 100);
	return false;
}

static int on_event(void *data, const struct gml_event *e)
{
	struct gml_context *ctx = data;
	struct gml_stack stack;
	bool have_stack;

	if (e->kind == GML_EV_EXEC) {
		ctx->stop_reason = "target exec'd";
		return 0;
	}
	ctx->events++;
	/* Past the budget, creations still queued are dropped unread: the backlog drains fast. */
	if (e->kind == GML_EV_CREATE && !govern_creation(ctx, e->ts_ns))
		return 0;
	have_stack = !tracer_lookup_stack(&ctx->tracer, e->stack, &stack);
	if (ctx->opt.command != GML_CMD_TRACE) {
		int site = registry_add_event(&ctx->registry, e, have_stack ? &stack : NULL);

		exporters_on_event(&ctx->exporters, e, have_stack ? &stack : NULL, site);
		/* A map of maps may never grow itself: follow it from its creation. */
		if (e->kind == GML_EV_CREATE && census_type_is_nested(&ctx->census, e->type))
			registry_track(&ctx->registry, e->map, e->type);
	} else if (ctx->opt.json)
		event_print_json(&ctx->printer, e, have_stack ? &stack : NULL);
	else
		event_print(&ctx->printer, e, have_stack ? &stack : NULL);
	return 0;
}

static int watch_open_target(struct gml_context *ctx)
{
	int err = open_target(ctx);

	if (err)
		return err;
	err = gobinary_open(&ctx->bin, ctx->target.exe_path, ctx->why, sizeof(ctx->why));
	if (err)
		return exit_code_for_open(err);
	if (!probe_plan_attachable(&ctx->bin.plan, ctx->opt.exact)) {
		snprintf(ctx->why, sizeof(ctx->why),
			 "%s: no map function can be probed (see 'gomapleak inspect -p %d')",
			 ctx->target.exe_name, ctx->opt.pid);
		return GML_EXIT_UNSUPPORTED;
	}
	err = target_load_bias(&ctx->target, &ctx->bin.elf, &ctx->load_bias);
	if (err) {
		snprintf(ctx->why, sizeof(ctx->why),
			 "cannot find where %s is loaded in process %d: %s", ctx->target.exe_name,
			 ctx->opt.pid, strerror(-err));
		return GML_EXIT_NO_TARGET;
	}
	return GML_EXIT_OK;
}

static void watch_attach_creation(struct gml_context *ctx)
{
	char why[256];

	if (tracer_attach_governed(&ctx->tracer, &ctx->bin.plan, PROBE_GROUP_CREATE, &ctx->bin.elf,
				   ctx->target.exe_path, ctx->opt.pid, why, sizeof(why)))
		fprintf(stderr, "gomapleak: creation sites unavailable: %s\n", why);
}

static int watch_attach(struct gml_context *ctx)
{
	struct gml_config cfg = { .target_tgid = ctx->opt.pid, .go = ctx->bin.layout.bpf };
	int err;

	/* Alerts need no event per small map made: a counter will do. */
	if (ctx->opt.command != GML_CMD_TRACE)
		cfg.flags |= GML_CFG_COUNT_SMALL_MAPS;
	tracer_set_verbose(ctx->opt.verbose);
	err = tracer_open(&ctx->tracer, &cfg);
	if (err) {
		snprintf(ctx->why, sizeof(ctx->why), "failed to load the BPF program: %s%s",
			 strerror(-err),
			 err == -EPERM ? " (needs CAP_BPF and CAP_PERFMON, or root)" : "");
		return err == -EPERM ? GML_EXIT_PERMISSION : GML_EXIT_ATTACH;
	}
	err = tracer_attach(&ctx->tracer, &ctx->bin.plan, ctx->opt.exact, &ctx->bin.elf,
			    ctx->target.exe_path, ctx->opt.pid, ctx->why, sizeof(ctx->why));
	if (err)
		return err == -EPERM || err == -EACCES ? GML_EXIT_PERMISSION : GML_EXIT_ATTACH;
	if (ctx->opt.command != GML_CMD_TRACE && !ctx->opt.exact && !getenv("GML_NO_CREATE"))
		watch_attach_creation(ctx);
	err = tracer_start_events(&ctx->tracer, on_event, ctx);
	if (err) {
		snprintf(ctx->why, sizeof(ctx->why), "failed to open the ring buffer: %s",
			 strerror(-err));
		return GML_EXIT_ATTACH;
	}
	return GML_EXIT_OK;
}

static int epoll_add(int epoll_fd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* A timerfd on epoll_fd firing after seconds, and every seconds after if periodic. */
static int start_timer(int epoll_fd, int *fd, double seconds, bool periodic)
{
	struct itimerspec its = { 0 };

	*fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (*fd < 0)
		return -errno;
	its.it_value.tv_sec = (time_t)seconds;
	its.it_value.tv_nsec = (long)((seconds - (double)its.it_value.tv_sec) * 1e9);
	if (periodic)
		its.it_interval = its.it_value;
	if (timerfd_settime(*fd, 0, &its, NULL))
		return -errno;
	return epoll_add(epoll_fd, *fd);
}

/*
 * Signals, the duration and interval timers, the target's exit and the ring
 * buffer, on one epoll.
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
		err = epoll_add(ctx->epoll_fd, ctx->target.pidfd);
	if (!err)
		err = epoll_add(ctx->epoll_fd, tracer_events_fd(&ctx->tracer));
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
		exporters_write_profiles(&ctx->exporters);
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
	if (fd == ctx->target.pidfd)
		return "target exited";
	return NULL;
}

/* Swiss maps given their first group: the growToSmall probe's hits. */
static void count_small_maps(struct gml_context *ctx, const struct tracer_counters *c)
{
	uint64_t small = 0;
	int i;

	for (i = 0; i < ctx->bin.plan.nsites; i++)
		if (ctx->bin.plan.sites[i].spec->handler == PROBE_SWISS_GROW_TO_SMALL)
			small += c->hits[i];
	ctx->registry.small_maps = small;
}

/* One interval: sample the maps, report what changed. */
static void watch_tick(struct gml_context *ctx)
{
	struct tracer_counters c;
	uint64_t expirations;
	int err;

	if (read(ctx->interval_fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	/* Read once a tick: the registry's small maps and the metrics both use them. */
	if (tracer_read_counters(&ctx->tracer, &c))
		memset(&c, 0, sizeof(c));
	else
		count_small_maps(ctx, &c);
	err = census_round(&ctx->census);
	if (err == -ESRCH) {
		ctx->stop_reason = "target exited";
		return;
	}
	if (err)
		fprintf(stderr, "gomapleak: sampling failed: %s\n", strerror(-err));
	if (ctx->opt.json)
		alert_print_samples(&ctx->alerts);
	else if (ctx->opt.top)
		alert_print_top(&ctx->alerts, 20, isatty(STDOUT_FILENO));
	exporters_tick(&ctx->exporters, ctx->events, &c);
}

static void watch_loop(struct gml_context *ctx)
{
	struct epoll_event ev[5];
	int i, n;

	while (!ctx->stop_reason) {
		n = epoll_wait(ctx->epoll_fd, ev, 5, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ctx->stop_reason = "epoll failed";
			break;
		}
		tracer_consume(&ctx->tracer);
		for (i = 0; i < n; i++) {
			const char *reason = wakeup_stop_reason(ctx, ev[i].data.fd);

			if (reason)
				ctx->stop_reason = reason;
			else if (ev[i].data.fd == ctx->interval_fd)
				watch_tick(ctx);
		}
		fflush(stdout);
	}
	tracer_consume(&ctx->tracer);
	fflush(stdout);
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

static void watch_summary(struct gml_context *ctx)
{
	struct tracer_counters c;
	int i;

	if (tracer_read_counters(&ctx->tracer, &c)) {
		fprintf(stderr, "gomapleak: cannot read BPF counters\n");
		return;
	}
	if (ctx->opt.command == GML_CMD_TRACE) {
		fprintf(stderr,
			"gomapleak: detached after %.1fs (%s); %" PRIu64 " events; %" PRIu64
			" events lost\n",
			seconds_since(&ctx->started), ctx->stop_reason, ctx->events, c.lost);
	} else {
		struct watch_totals t;

		count_small_maps(ctx, &c);
		t = (struct watch_totals){ .seconds = seconds_since(&ctx->started),
					   .stop_reason = ctx->stop_reason,
					   .events = ctx->events,
					   .events_lost = c.lost };

		alert_print_summary(&ctx->alerts, ctx->opt.json ? stdout : stderr, &t);
	}
	if (c.ops_lost)
		fprintf(stderr,
			"gomapleak: %" PRIu64 " map operations not counted: more than %d "
			"(map, site, operation) counters\n",
			c.ops_lost, GML_MAX_OP_COUNTERS);
	if (!ctx->opt.verbose)
		return;
	for (i = 0; i < ctx->bin.plan.nsites; i++) {
		const struct probe_site *site = &ctx->bin.plan.sites[i];

		if (probe_site_attached(site, ctx->opt.exact))
			fprintf(stderr, "gomapleak:   %-45s %" PRIu64 " hits\n", site->spec->func,
				c.hits[i]);
	}
}

static void collect_op(void *data, const struct gml_op_key *key, uint64_t count)
{
	struct op_table *t = data;

	op_table_add(t, key, count);
}

/* With --exact: the operation counters, largest first. */
static void watch_report_ops(struct gml_context *ctx)
{
	struct op_table table = { 0 };

	if (!ctx->opt.exact)
		return;
	if (tracer_for_each_op(&ctx->tracer, collect_op, &table))
		fprintf(stderr, "gomapleak: cannot read operation counters\n");
	else
		report_ops(stderr, &table, &ctx->bin.pclntab, ctx->load_bias, 50);
	op_table_free(&table);
}

/* Functions probed: the plan's for the mode, and the governed creation functions. */
static int functions_probed(const struct gml_context *ctx)
{
	const struct probe_plan *plan = &ctx->bin.plan;
	int i, n = probe_plan_attachable(plan, ctx->opt.exact);

	for (i = 0; ctx->tracer.governed_first >= 0 && i < plan->nsites; i++)
		n += plan->sites[i].status == PROBE_OK &&
		     probe_group_governed(plan->sites[i].spec->group);
	return n;
}

static void watch_announce(struct gml_context *ctx)
{
	const struct gobinary *b = &ctx->bin;

	fprintf(stderr, "gomapleak: attached to %d (%s, %s, %s maps, %d functions, %d uprobes)\n",
		ctx->opt.pid, ctx->target.exe_name, b->buildinfo.version,
		go_map_impl_name(b->layout.impl), functions_probed(ctx), ctx->tracer.nlinks);
	if (ctx->opt.verbose)
		report_plan(stderr, ctx->target.exe_name, b, ctx->opt.verbose > 1);
}

static void on_alert(void *data, const struct tracked_map *m, enum alert_kind kind,
		     enum detector_state before)
{
	struct gml_context *ctx = data;

	alert_print(&ctx->alerts, m, kind, before);
}

/* Colour on a terminal, unless NO_COLOR is set (https://no-color.org). */
static bool use_colour(void)
{
	const char *no_colour = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(no_colour && *no_colour);
}

/* The registry, sampler and detector behind watch's alerts. */
static int watch_setup_detector(struct gml_context *ctx)
{
	struct detector_config *d = &ctx->detector;
	int err;

	detector_config_default(d);
	d->window = (unsigned int)(ctx->opt.window / ctx->opt.interval + 0.5);
	d->min_growth = ctx->opt.min_growth;
	d->confirm = ctx->opt.confirm;
	err = registry_init(&ctx->registry, d, &ctx->bin.pclntab, ctx->load_bias);
	if (err) {
		snprintf(ctx->why, sizeof(ctx->why), "cannot allocate the map registry: %s",
			 strerror(-err));
		return GML_EXIT_ATTACH;
	}
	census_init(&ctx->census, ctx->opt.pid, &ctx->bin.layout, &ctx->bin.types, ctx->load_bias,
		    &ctx->registry);
	ctx->census.interval = ctx->opt.interval;
	ctx->census.sample_keys = !ctx->opt.no_keys;
	ctx->census.on_alert = on_alert;
	ctx->census.ctx = ctx;
	alert_printer_init(&ctx->alerts, stdout, &ctx->census, ctx->opt.json, use_colour());
	return GML_EXIT_OK;
}

static int watch_start_exporters(struct gml_context *ctx)
{
	const struct exporters_sources src = {
		.opt = &ctx->opt,
		.bin = &ctx->bin,
		.target = &ctx->target,
		.tracer = &ctx->tracer,
		.reg = &ctx->registry,
		.census = &ctx->census,
		.alerts = &ctx->alerts,
		.load_bias = ctx->load_bias,
	};
	int err = exporters_start(&ctx->exporters, &src, ctx->why, sizeof(ctx->why));

	if (err == -EADDRINUSE || err == -EACCES || err == -EADDRNOTAVAIL || err == -ENOENT ||
	    err == -EISDIR || err == -EROFS || err == -ENOTDIR)
		return GML_EXIT_USAGE;
	return err ? GML_EXIT_ATTACH : GML_EXIT_OK;
}

/* run: the program starts stopped after its exec; watch attaches, then it goes. */
static int launch_target(struct gml_context *ctx)
{
	int err = launch_stopped(ctx->opt.run_argv, &ctx->launched);

	if (err) {
		snprintf(ctx->why, sizeof(ctx->why), "cannot run %s: %s", ctx->opt.run_argv[0],
			 strerror(-err));
		return err == -ENOENT || err == -EACCES ? GML_EXIT_NO_TARGET : GML_EXIT_ATTACH;
	}
	ctx->opt.pid = ctx->launched;
	return GML_EXIT_OK;
}

static int run_watch(struct gml_context *ctx, const sigset_t *stop_signals)
{
	int code = GML_EXIT_OK;

	if (ctx->opt.command == GML_CMD_RUN)
		code = launch_target(ctx);
	if (!code)
		code = watch_open_target(ctx);
	if (!code && ctx->opt.command != GML_CMD_TRACE)
		code = watch_setup_detector(ctx);
	/* A file or port that cannot be used fails before anything is attached. */
	if (!code && ctx->opt.command != GML_CMD_TRACE)
		code = watch_start_exporters(ctx);
	if (!code)
		code = watch_attach(ctx);
	if (code)
		return fail(ctx, code);
	if (ctx->launched && launch_resume(ctx->launched)) {
		snprintf(ctx->why, sizeof(ctx->why), "cannot resume %s: %s", ctx->opt.run_argv[0],
			 strerror(errno));
		return fail(ctx, GML_EXIT_ATTACH);
	}
	code = watch_setup_wakeups(ctx, stop_signals);
	if (code) {
		snprintf(ctx->why, sizeof(ctx->why), "cannot set up event loop: %s",
			 strerror(-code));
		return fail(ctx, GML_EXIT_ATTACH);
	}
	event_printer_init(&ctx->printer, stdout, &ctx->bin.pclntab, &ctx->bin.types,
			   ctx->load_bias);
	clock_gettime(CLOCK_MONOTONIC, &ctx->started);
	watch_announce(ctx);
	exporters_announce(&ctx->exporters);
	watch_loop(ctx);
	exporters_write_profiles(&ctx->exporters);
	watch_summary(ctx);
	watch_report_ops(ctx);
	if (ctx->opt.fail_on_leak && ctx->alerts.leaks)
		return GML_EXIT_LEAK;
	return GML_EXIT_OK;
}

static void context_cleanup(struct gml_context *ctx)
{
	/* A program run started and that outlived the watch is ended, by PID. */
	if (ctx->launched)
		launch_end(ctx->launched, 2000);
	exporters_stop(&ctx->exporters);
	tracer_close(&ctx->tracer);
	census_free(&ctx->census);
	registry_free(&ctx->registry);
	gobinary_close(&ctx->bin);
	target_close(&ctx->target);
	if (ctx->timer_fd > 0)
		close(ctx->timer_fd);
	if (ctx->interval_fd > 0)
		close(ctx->interval_fd);
	if (ctx->signal_fd > 0)
		close(ctx->signal_fd);
	if (ctx->epoll_fd > 0)
		close(ctx->epoll_fd);
}

int main(int argc, char **argv)
{
	struct gml_context ctx = {
		.epoll_fd = -1, .signal_fd = -1, .timer_fd = -1, .interval_fd = -1
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

	code = cli_parse(argc, argv, &ctx.opt);
	if (code >= 0)
		return code;
	if (ctx.opt.command == GML_CMD_INSPECT)
		code = run_inspect(&ctx);
	else
		code = run_watch(&ctx, &stop_signals);
	context_cleanup(&ctx);
	return code;
}
