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

#include "governor.h"
#include "bursts.h"
#include "census.h"
#include "clock.h"
#include "cli.h"
#include "exit_status.h"
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
#include "error.h"

struct gml_context {
	struct cli_options opt;
	struct governor governor;
	struct bursts bursts;
	struct op_estimates estimates;
	struct target target;
	struct gobinary bin;
	struct tracer tracer;
	struct report_event_printer printer;
	struct detector_config detector;
	struct registry registry;
	struct census census;
	struct report_alert_printer alerts;
	struct exporters exporters;
	uint64_t load_bias;
	uint64_t events;
	pid_t launched; /* run: the program gomapleak started */
	bool launched_exited;
	int epoll_fd;
	int signal_fd;
	int timer_fd;
	int interval_fd;
	int drain_fd; /* events are submitted without wakeups: drained on this timer */
	struct timespec started;
	const char *stop_reason;
	char why[512]; /* what failed: filled by the function that failed */
};

/* A failure at stage with err: ctx->why says what failed; prints it, returns the exit status. */
static int fail(struct gml_context *ctx, enum gml_stage stage, int err)
{
	int code = exit_status_for(stage, err);

	exit_status_print_error(stderr, ctx->opt.json, code, ctx->why);
	return code;
}

static int open_binary(struct gml_context *ctx, const char *path)
{
	int err = gobinary_open(&ctx->bin, path, ctx->why, sizeof(ctx->why));

	return err ? fail(ctx, GML_STAGE_BINARY, err) : GML_EXIT_OK;
}

static int run_inspect(struct gml_context *ctx)
{
	const char *path = ctx->opt.binary;
	int err;

	if (ctx->opt.pid) {
		err = target_open(&ctx->target, ctx->opt.pid, ctx->why, sizeof(ctx->why));
		if (err)
			return fail(ctx, GML_STAGE_TARGET, err);
		path = ctx->target.exe_path;
	}
	err = open_binary(ctx, path);
	if (err)
		return err;
	if (ctx->opt.json)
		report_plan_json(stdout, path, &ctx->bin);
	else
		report_plan(stdout, path, &ctx->bin, ctx->opt.verbose);
	return GML_EXIT_OK;
}

/*
 * Whether to use a creation event: the governor's creation budget. The first
 * creation over it hands the creation probes over to bursts; those still
 * queued are dropped unread, so the backlog drains fast.
 */
static bool admit_creation(struct gml_context *ctx, uint64_t ts_ns)
{
	bool governed = ctx->governor.groups[PROBE_GROUP_CREATE].when == ATTACH_GOVERNED;

	if (governor_admit_creation(&ctx->governor, ts_ns))
		return true;
	if (!governed)
		return false;
	bursts_take_over(&ctx->bursts, PROBE_GROUP_CREATE);
	fprintf(stderr,
		"gomapleak: creation probes in bursts from now: more than %d maps made a "
		"second\n",
		ATTACH_CREATION_BUDGET);
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
	if (e->kind == GML_EV_CREATE && !admit_creation(ctx, e->ts_ns))
		return 0;
	have_stack = !tracer_lookup_stack(&ctx->tracer, e->stack, &stack);
	if (ctx->opt.command != GML_CMD_TRACE) {
		int site = registry_add_event(&ctx->registry, e, have_stack ? &stack : NULL);

		exporters_on_event(&ctx->exporters, e, have_stack ? &stack : NULL, site);
		/* A map of maps may never grow itself: follow it from its creation. */
		if (e->kind == GML_EV_CREATE && census_type_is_nested(&ctx->census, e->type))
			registry_track(&ctx->registry, e->map, e->type);
	} else if (ctx->opt.json)
		report_event_json(&ctx->printer, e, have_stack ? &stack : NULL);
	else
		report_event(&ctx->printer, e, have_stack ? &stack : NULL);
	return 0;
}

static int watch_open_target(struct gml_context *ctx)
{
	int err = target_open(&ctx->target, ctx->opt.pid, ctx->why, sizeof(ctx->why));

	if (err)
		return fail(ctx, GML_STAGE_TARGET, err);
	err = open_binary(ctx, ctx->target.exe_path);
	if (err)
		return err;
	if (!governor_count_sites(&ctx->bin.plan, ctx->governor.mode, true)) {
		snprintf(ctx->why, sizeof(ctx->why),
			 "%s: no map function can be probed (see 'gomapleak inspect -p %d')",
			 ctx->target.exe_name, ctx->opt.pid);
		return fail(ctx, GML_STAGE_BINARY, -ENOTSUP);
	}
	err = target_load_bias(&ctx->target, &ctx->bin.elf, &ctx->load_bias, ctx->why,
			       sizeof(ctx->why));
	return err ? fail(ctx, GML_STAGE_MEMORY, err) : GML_EXIT_OK;
}

/*
 * Every group the governor has attached. A governed group that cannot be
 * attached costs only what it tells (creation sites): one line, and on.
 */
static int watch_attach_groups(struct gml_context *ctx)
{
	enum probe_group g;
	char why[256];
	int err;

	for (g = 0; g < PROBE_GROUPS; g++) {
		if (!governor_attached(&ctx->governor, g))
			continue;
		if (governor_plan(g, ctx->governor.mode) != ATTACH_GOVERNED) {
			err = tracer_attach_group(&ctx->tracer, &ctx->bin.plan, g, &ctx->bin.elf,
						  ctx->target.exe_path, ctx->opt.pid, ctx->why,
						  sizeof(ctx->why));
			if (err)
				return fail(ctx, GML_STAGE_ATTACH, err);
			continue;
		}
		if (tracer_attach_group(&ctx->tracer, &ctx->bin.plan, g, &ctx->bin.elf,
					ctx->target.exe_path, ctx->opt.pid, why, sizeof(why))) {
			governor_detach(&ctx->governor, g);
			fprintf(stderr, "gomapleak: %s probes unavailable: %s\n",
				probe_group_name(g), why);
		} else
			governor_attached_at(&ctx->governor, g, monotonic_seconds(), 0);
	}
	return GML_EXIT_OK;
}

/* The bursts' parts: what they need from main's context, and what a hit costs. */
static void watch_setup_bursts(struct gml_context *ctx)
{
	ctx->bursts = (struct bursts){
		.gov = &ctx->governor,
		.tr = &ctx->tracer,
		.plan = &ctx->bin.plan,
		.elf = &ctx->bin.elf,
		.binary = ctx->target.exe_path,
		.target = &ctx->target,
		.reg = &ctx->registry,
		.est = &ctx->estimates,
		.timer_fd = -1,
	};
	if (governor_bursts(&ctx->governor))
		bursts_calibrate(&ctx->bursts);
}

static int watch_attach(struct gml_context *ctx)
{
	struct gml_config cfg = { .target_tgid = ctx->opt.pid, .go = ctx->bin.layout.bpf };
	int err;

	/* Alerts need no event per small map made: a counter will do. */
	if (ctx->opt.command != GML_CMD_TRACE)
		cfg.flags |= GML_CFG_COUNT_SMALL_MAPS;
	tracer_set_verbose(ctx->opt.verbose);
	err = tracer_open(&ctx->tracer, &cfg, ctx->why, sizeof(ctx->why));
	if (err)
		return fail(ctx, GML_STAGE_LOAD, err);
	err = tracer_watch_exec(&ctx->tracer, ctx->why, sizeof(ctx->why));
	if (err)
		return fail(ctx, GML_STAGE_ATTACH, err);
	watch_setup_bursts(ctx);
	err = watch_attach_groups(ctx);
	if (err)
		return err;
	err = tracer_start_events(&ctx->tracer, on_event, ctx, ctx->why, sizeof(ctx->why));
	return err ? fail(ctx, GML_STAGE_ATTACH, err) : GML_EXIT_OK;
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
	if (!err)
		err = start_timer(ctx->epoll_fd, &ctx->drain_fd, GML_DRAIN_MS / 1000.0, true);
	if (!err && ctx->opt.command != GML_CMD_TRACE)
		err = start_timer(ctx->epoll_fd, &ctx->interval_fd, ctx->opt.interval, true);
	if (!err && governor_bursts(&ctx->governor))
		err = bursts_start_timer(&ctx->bursts, ctx->epoll_fd, ctx->why, sizeof(ctx->why));
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

/* Clears a periodic timer's expirations, so that epoll stops reporting it; false if none. */
static bool timer_ack(int fd)
{
	uint64_t expirations;

	return read(fd, &expirations, sizeof(expirations)) == sizeof(expirations);
}

/* One interval: sample the maps, report what changed. */
static void watch_tick(struct gml_context *ctx)
{
	struct tracer_counters c;
	int err;

	if (!timer_ack(ctx->interval_fd))
		return;
	/* Read once a tick: the registry's small maps and the metrics both use them. */
	if (tracer_read_counters(&ctx->tracer, &c))
		memset(&c, 0, sizeof(c));
	else
		count_small_maps(ctx, &c);
	if (governor_bursts(&ctx->governor))
		bursts_tick(&ctx->bursts);
	err = census_round(&ctx->census, monotonic_seconds());
	if (err == -ESRCH) {
		ctx->stop_reason = "target exited";
		return;
	}
	if (err)
		fprintf(stderr, "gomapleak: sampling failed: %s\n", strerror(-err));
	if (ctx->opt.json)
		report_alert_samples(&ctx->alerts);
	else if (ctx->opt.top)
		report_alert_top(&ctx->alerts, 20, isatty(STDOUT_FILENO));
	exporters_tick(&ctx->exporters, ctx->events, &c);
}

#define WATCH_WAKEUPS 8 /* more than the fds on the epoll */

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
		tracer_consume(&ctx->tracer);
		for (i = 0; i < n; i++) {
			const char *reason = wakeup_stop_reason(ctx, ev[i].data.fd);

			if (reason)
				ctx->stop_reason = reason;
			else if (ev[i].data.fd == ctx->interval_fd)
				watch_tick(ctx);
			else if (ev[i].data.fd == ctx->drain_fd)
				timer_ack(ctx->drain_fd); /* the drain itself is above */
			else if (ev[i].data.fd == ctx->bursts.timer_fd)
				bursts_on_timer(&ctx->bursts);
		}
		fflush(stdout);
	}
	tracer_consume(&ctx->tracer);
	if (governor_bursts(&ctx->governor))
		bursts_end_all(&ctx->bursts);
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
		struct report_totals t;

		count_small_maps(ctx, &c);
		t = (struct report_totals){ .seconds = seconds_since(&ctx->started),
					    .stop_reason = ctx->stop_reason,
					    .events = ctx->events,
					    .events_lost = c.lost };

		report_alert_summary(&ctx->alerts, ctx->opt.json ? stdout : stderr, &t);
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

		if (site->status == PROBE_OK && governor_probed(&ctx->governor, site->spec->group))
			fprintf(stderr, "gomapleak:   %-45s %" PRIu64 " hits\n", site->spec->func,
				c.hits[i]);
	}
}

static void collect_op(void *data, const struct gml_op_key *key, const struct gml_op_value *value)
{
	struct report_op_table *t = data;

	report_op_table_add(t, key, value->count);
}

/* What the bursts cost against the budget, and the operations they saw. */
static void watch_report_bursts(struct gml_context *ctx)
{
	const struct governor *g = &ctx->governor;
	double spent = governor_spent(g);
	uint64_t bursts = 0;
	enum probe_group group;

	for (group = 0; group < PROBE_GROUPS; group++)
		bursts += g->groups[group].bursts;
	fprintf(stderr,
		"gomapleak: overhead budget %g%% of the target's %.2fs CPU: bursts and creations "
		"cost ~%.3fs (%.2f%%) in %" PRIu64 " bursts%s\n",
		ctx->opt.budget_percent, g->target_cpu, spent,
		g->target_cpu > 0 ? 100 * spent / g->target_cpu : 0, bursts,
		ctx->bursts.calibrated ? "" : " (hit costs not measured: defaults)");
	report_op_estimates(stderr, &ctx->estimates, &ctx->registry, seconds_since(&ctx->started),
			    50);
}

#define OPS_TABLE_ROWS 50 /* the exit summary's rows of operation counts, unless -v */

/* With --exact: the operation counters, largest first (every row with -v); else the bursts'
 * estimates. */
static void watch_report_ops(struct gml_context *ctx)
{
	struct report_op_table table = { 0 };

	if (governor_bursts(&ctx->governor))
		watch_report_bursts(ctx);
	if (!ctx->opt.exact)
		return;
	if (tracer_for_each_op(&ctx->tracer, collect_op, &table))
		fprintf(stderr, "gomapleak: cannot read operation counters\n");
	else
		report_ops(stderr, &table, &ctx->bin.pclntab, ctx->load_bias,
			   ctx->opt.verbose ? SIZE_MAX : OPS_TABLE_ROWS);
	report_op_table_free(&table);
}

/* Functions probed now, by the governor. */
static int functions_probed(const struct gml_context *ctx)
{
	const struct probe_plan *plan = &ctx->bin.plan;
	int i, n = 0;

	for (i = 0; i < plan->nsites; i++)
		n += plan->sites[i].status == PROBE_OK &&
		     governor_attached(&ctx->governor, plan->sites[i].spec->group);
	return n;
}

static void watch_announce(struct gml_context *ctx)
{
	const struct gobinary *b = &ctx->bin;

	fprintf(stderr, "gomapleak: attached to %d (%s, %s, %s maps, %d functions, %d uprobes",
		ctx->opt.pid, ctx->target.exe_name, b->buildinfo.version,
		go_map_impl_name(b->layout.impl), functions_probed(ctx),
		tracer_uprobes(&ctx->tracer));
	if (governor_bursts(&ctx->governor))
		fprintf(stderr, ", overhead budget %g%%", ctx->opt.budget_percent);
	fputs(")\n", stderr);
	if (ctx->opt.verbose && ctx->bursts.calibrated)
		fprintf(stderr,
			"gomapleak: a probe hit costs, measured here: %.2f us an operation, "
			"%.2f us an overflow bucket, %.2f us a creation read in its body, %.2f us "
			"one read at a RET\n",
			ctx->bursts.calibration.op_hit * 1e6,
			ctx->bursts.calibration.overflow_hit * 1e6,
			ctx->bursts.calibration.create_entry * 1e6,
			(ctx->bursts.calibration.create_entry +
			 ctx->bursts.calibration.create_ret) *
				1e6);
	if (ctx->opt.verbose)
		report_plan(stderr, ctx->target.exe_name, b, ctx->opt.verbose > 1);
}

static void on_alert(void *data, const struct tracked_map *m, enum alert_kind kind,
		     enum detector_state before)
{
	struct gml_context *ctx = data;

	report_alert(&ctx->alerts, m, kind, before);
}

static void on_group_alert(void *data, const struct site_group *g, enum alert_kind kind,
			   enum detector_state before)
{
	struct gml_context *ctx = data;

	report_group_alert(&ctx->alerts, g, kind, before);
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
		error_set(ctx->why, sizeof(ctx->why), err, "cannot allocate the map registry: %s",
			  strerror(-err));
		return fail(ctx, GML_STAGE_RUNNING, err);
	}
	err = op_estimates_init(&ctx->estimates);
	if (err) {
		error_set(ctx->why, sizeof(ctx->why), err, "cannot allocate the estimates: %s",
			  strerror(-err));
		return fail(ctx, GML_STAGE_RUNNING, err);
	}
	err = census_init(&ctx->census, ctx->opt.pid, &ctx->bin.layout, &ctx->bin.types,
			  ctx->load_bias, &ctx->registry);
	if (err) {
		error_set(ctx->why, sizeof(ctx->why), err, "cannot allocate the site groups: %s",
			  strerror(-err));
		return fail(ctx, GML_STAGE_RUNNING, err);
	}
	ctx->census.interval = ctx->opt.interval;
	ctx->census.estimates = &ctx->estimates;
	ctx->census.sample_keys = !ctx->opt.no_keys;
	ctx->census.on_alert = on_alert;
	ctx->census.on_group_alert = on_group_alert;
	ctx->census.ctx = ctx;
	report_alert_printer_init(&ctx->alerts, stdout, &ctx->census, ctx->opt.json, use_colour());
	return GML_EXIT_OK;
}

static int watch_start_exporters(struct gml_context *ctx)
{
	const struct exporters_sources src = {
		.opt = {
			.prometheus = ctx->opt.prometheus,
			.prometheus_host = ctx->opt.prometheus_host,
			.prometheus_port = ctx->opt.prometheus_port,
			.pprof_path = ctx->opt.pprof_path,
			.folded_path = ctx->opt.folded_path,
		},
		.governor = &ctx->governor,
		.bin = &ctx->bin,
		.target = &ctx->target,
		.tracer = &ctx->tracer,
		.reg = &ctx->registry,
		.census = &ctx->census,
		.estimates = &ctx->estimates,
		.load_bias = ctx->load_bias,
	};
	int err = exporters_start(&ctx->exporters, &src, ctx->why, sizeof(ctx->why));

	return err ? fail(ctx, GML_STAGE_OUTPUT, err) : GML_EXIT_OK;
}

/* run: the program starts stopped after its exec; watch attaches, then it goes. */
static int launch_target(struct gml_context *ctx)
{
	int err = launch_stopped(ctx->opt.run_argv, &ctx->launched, ctx->why, sizeof(ctx->why));

	if (err)
		return fail(ctx, GML_STAGE_LAUNCH, err);
	ctx->opt.pid = ctx->launched;
	return GML_EXIT_OK;
}

static enum attach_mode attach_mode_of(const struct cli_options *opt)
{
	if (opt->exact)
		return ATTACH_MODE_EXACT;
	if (opt->command == GML_CMD_TRACE)
		return ATTACH_MODE_TRACE;
	return opt->command == GML_CMD_RUN ? ATTACH_MODE_RUN : ATTACH_MODE_WATCH;
}

static int run_watch(struct gml_context *ctx, const sigset_t *stop_signals)
{
	int code = GML_EXIT_OK, err;

	governor_init(&ctx->governor, attach_mode_of(&ctx->opt), ctx->opt.budget_percent / 100,
		      ctx->opt.interval, ctx->opt.window);
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
		return code;
	if (ctx->launched &&
	    (err = launch_resume(ctx->launched, ctx->opt.run_argv[0], ctx->why, sizeof(ctx->why))))
		return fail(ctx, GML_STAGE_LAUNCH, err);
	err = watch_setup_wakeups(ctx, stop_signals);
	if (err) {
		error_set(ctx->why, sizeof(ctx->why), err, "cannot set up event loop: %s",
			  strerror(-err));
		return fail(ctx, GML_STAGE_ATTACH, err);
	}
	report_event_printer_init(&ctx->printer, stdout, &ctx->bin.pclntab, &ctx->bin.types,
				  ctx->load_bias);
	clock_gettime(CLOCK_MONOTONIC, &ctx->started);
	watch_announce(ctx);
	exporters_announce(&ctx->exporters);
	watch_loop(ctx);
	exporters_write_profiles(&ctx->exporters);
	watch_summary(ctx);
	watch_report_ops(ctx);
	if (ctx->opt.fail_on_leak && ctx->census.stats.leaks)
		return GML_EXIT_LEAK;
	return GML_EXIT_OK;
}

static void context_cleanup(struct gml_context *ctx)
{
	/* A program run started and that outlived the watch is ended, by PID. */
	if (ctx->launched)
		launch_end(ctx->launched, 2000);
	exporters_stop(&ctx->exporters);
	bursts_close(&ctx->bursts);
	tracer_close(&ctx->tracer);
	op_estimates_free(&ctx->estimates);
	census_free(&ctx->census);
	registry_free(&ctx->registry);
	gobinary_close(&ctx->bin);
	target_close(&ctx->target);
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
		.bursts = { .timer_fd = -1 },
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
