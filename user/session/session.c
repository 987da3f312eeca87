// SPDX-License-Identifier: GPL-2.0
#include "session.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "report_ops.h"
#include "report_plan.h"
#include "report_run.h"

#define OPS_TABLE_ROWS 50 /* the exit summary's rows of operation counts, unless -v */

/* A failure at stage: s->why says what failed. */
static int session_fail(struct session *s, enum gml_stage stage, int err)
{
	s->failed_stage = stage;
	return err;
}

void session_init(struct session *s, const struct cli_options *opt, pid_t pid)
{
	memset(s, 0, sizeof(*s));
	s->opt = opt;
	s->pid = pid;
	s->burst_probes.timer_fd = -1;
}

static int open_binary(struct session *s, const char *path)
{
	int err = gobinary_open(&s->bin, path, s->why, sizeof(s->why));

	if (!err && !goelf_is_native(&s->bin.elf)) {
		snprintf(s->why, sizeof(s->why),
			 "%s is an %s binary: this gomapleak traces %s programs (inspect reads "
			 "any)",
			 path, goelf_arch_name(&s->bin.elf), GOMAPLEAK_ARCH);
		gobinary_close(&s->bin);
		err = -EPROTONOSUPPORT;
	}
	return err ? session_fail(s, GML_STAGE_BINARY, err) : 0;
}

/*
 * Whether to use a creation event: the governor's creation budget. The first
 * creation over it hands the creation probes over to bursts; those still
 * queued are dropped unread, so the backlog drains fast.
 */
static bool admit_creation(struct session *s, uint64_t ts_ns)
{
	bool governed = s->governor.groups[PROBE_GROUP_CREATE].when == ATTACH_GOVERNED;

	if (governor_admit_creation(&s->governor, ts_ns))
		return true;
	if (!governed)
		return false;
	bursts_take_over(&s->bursts, PROBE_GROUP_CREATE);
	report_note(&s->notes,
		    "creation probes in bursts from now: more than %d maps made a second",
		    ATTACH_CREATION_BUDGET);
	return false;
}

static int on_event(void *data, const struct gml_event *e)
{
	struct session *s = data;
	struct gml_stack stack;
	bool have_stack;

	if (e->kind == GML_EV_EXEC) {
		s->stop_reason = "target exec'd";
		return 0;
	}
	if (e->kind == GML_EV_BURST_SPENT) {
		bursts_on_spent(&s->bursts, (enum probe_group)e->group, e->ts_ns);
		return 0;
	}
	s->events++;
	if (e->kind == GML_EV_CREATE && !admit_creation(s, e->ts_ns))
		return 0;
	have_stack = !tracer_lookup_stack(&s->tracer, e->stack, &stack);
	if (s->opt->command != GML_CMD_TRACE) {
		int site = registry_add_event(&s->registry, e, have_stack ? &stack : NULL);

		exporters_on_event(&s->exporters, e, have_stack ? &stack : NULL, site);
		/* A map of maps may never grow itself: follow it from its creation. */
		if (e->kind == GML_EV_CREATE && census_type_is_nested(&s->census, e->type))
			registry_track(&s->registry, e->map, e->type);
	} else if (s->opt->json)
		report_event_json(&s->printer, e, have_stack ? &stack : NULL);
	else
		report_event(&s->printer, e, have_stack ? &stack : NULL);
	return 0;
}

static int open_target(struct session *s)
{
	int err = target_open(&s->target, s->pid, s->why, sizeof(s->why));

	if (err)
		return session_fail(s, GML_STAGE_TARGET, err);
	err = open_binary(s, s->target.exe_path);
	if (err)
		return err;
	if (!governor_count_sites(&s->bin.plan, s->governor.mode, true)) {
		snprintf(s->why, sizeof(s->why),
			 "%s: no map function can be probed (see 'gomapleak inspect -p %d')",
			 s->target.exe_name, s->pid);
		return session_fail(s, GML_STAGE_BINARY, -ENOTSUP);
	}
	governor_off_without_sites(&s->governor, &s->bin.plan);
	err = target_load_bias(&s->target, &s->bin.elf, &s->load_bias, s->why, sizeof(s->why));
	return err ? session_fail(s, GML_STAGE_MEMORY, err) : 0;
}

/*
 * Every group the governor has attached. A governed group that cannot be
 * attached costs only what it tells (creation sites): one line, and on.
 */
static int attach_groups(struct session *s)
{
	enum probe_group g;
	char why[256];
	int err;

	for (g = 0; g < PROBE_GROUPS; g++) {
		if (!governor_attached(&s->governor, g))
			continue;
		if (governor_plan(g, s->governor.mode) != ATTACH_GOVERNED) {
			err = tracer_attach_group(&s->tracer, &s->bin.plan, g, &s->bin.elf,
						  s->target.exe_path, s->pid, s->why,
						  sizeof(s->why));
			if (err)
				return session_fail(s, GML_STAGE_ATTACH, err);
			continue;
		}
		if (tracer_attach_group(&s->tracer, &s->bin.plan, g, &s->bin.elf,
					s->target.exe_path, s->pid, why, sizeof(why))) {
			governor_detach(&s->governor, g);
			report_note(&s->notes, "%s probes unavailable: %s", probe_group_name(g),
				    why);
		} else {
			double now = monotonic_seconds();

			governor_attached_at(&s->governor, g, now, now, 0);
		}
	}
	return 0;
}

/* The bursts' parts: what they need from the session, and what a hit costs. */
static void setup_bursts(struct session *s)
{
	burst_probes_init(&s->burst_probes, &s->tracer, &s->bin.plan, &s->bin.elf,
			  s->target.exe_path, &s->target);
	s->bursts = (struct bursts){
		.io = &s->burst_probes.io,
		.gov = &s->governor,
		.plan = &s->bin.plan,
		.reg = &s->registry,
		.est = &s->estimates,
		.notes = &s->notes,
	};
	/* A fact of the attach path, whether or not the hit costs could be measured. */
	s->governor.probes_linger = s->object->path != ATTACH_PATH_UPROBE_MULTI;
	if (!governor_bursts(&s->governor))
		return;
	if (s->calibration)
		bursts_use_calibration(&s->bursts, s->calibration);
	else
		bursts_calibrate(&s->bursts, &s->tracer);
}

static int attach_probes(struct session *s)
{
	struct gml_config cfg = { .target_tgid = s->pid, .go = s->bin.layout.bpf };
	int err;

	/* Alerts need no event per small map made: a counter will do. */
	if (s->opt->command != GML_CMD_TRACE)
		cfg.flags |= GML_CFG_COUNT_SMALL_MAPS;
	tracer_set_verbose(s->opt->verbose);
	if (!s->object) {
		struct tracer_object_options opts = {
			.processes = 1,
			.path = (enum attach_path)s->opt->attach_path,
			.verbose = s->opt->verbose,
		};

		err = tracer_object_open(&s->own_object, &opts, s->why, sizeof(s->why));
		if (err)
			return session_fail(s, GML_STAGE_LOAD, err);
		s->object = &s->own_object;
	}
	err = tracer_open(&s->tracer, s->object, &cfg, s->load_bias, s->why, sizeof(s->why));
	if (err)
		return session_fail(s, GML_STAGE_LOAD, err);
	tracer_on_events(&s->tracer, on_event, s);
	setup_bursts(s);
	return attach_groups(s);
}

static bool owns_object(const struct session *s)
{
	return s->object == &s->own_object;
}

/* Swiss maps given their first group: the growToSmall probe's hits. */
static void count_small_maps(struct session *s, const struct tracer_counters *c)
{
	uint64_t small = 0;
	int i;

	for (i = 0; i < s->bin.plan.nsites; i++)
		if (s->bin.plan.sites[i].spec->handler == PROBE_SWISS_GROW_TO_SMALL)
			small += c->hits[i];
	s->registry.small_maps = small;
}

/*
 * Why the target is gone, once its pidfd or its memory says so. A process
 * still running is in an execve (its exec event may come later than
 * either): its old program, and every map of it, is gone all the same.
 */
static const char *target_gone(const struct session *s)
{
	return target_still_runs(&s->target) ? "target exec'd" : "target exited";
}

void session_tick(struct session *s)
{
	struct tracer_counters c;
	int err;

	/* Read once a tick: the registry's small maps and the metrics both use them. */
	if (tracer_read_counters(&s->tracer, &c))
		memset(&c, 0, sizeof(c));
	else
		count_small_maps(s, &c);
	if (governor_bursts(&s->governor))
		bursts_tick(&s->bursts);
	err = census_round(&s->census, monotonic_seconds());
	if (err == -ESRCH) {
		s->stop_reason = target_gone(s);
		return;
	}
	if (err)
		report_note(&s->notes, "sampling failed: %s", strerror(-err));
	if (s->opt->json)
		report_alert_samples(&s->alerts);
	else if (s->opt->top)
		report_alert_top(&s->alerts, 20, isatty(STDOUT_FILENO));
	exporters_tick(&s->exporters, s->events, &c);
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

static void print_summary(struct session *s)
{
	struct report_run_end end = { .kernel = &s->object->kernel,
				      .path = s->object->path,
				      .plan = &s->bin.plan,
				      .governor = &s->governor,
				      .verbose = s->opt->verbose };
	struct tracer_counters c;
	int err = tracer_read_counters(&s->tracer, &c);

	if (err) {
		report_note(&s->notes, "cannot read BPF counters: %s", strerror(-err));
		return;
	}
	if (s->opt->command == GML_CMD_TRACE) {
		report_trace_end(&s->notes, seconds_since(&s->started), s->stop_reason, s->events,
				 c.lost);
	} else {
		struct report_totals t;

		count_small_maps(s, &c);
		t = (struct report_totals){ .seconds = seconds_since(&s->started),
					    .stop_reason = s->stop_reason,
					    .events = s->events,
					    .events_lost = c.lost };

		report_alert_summary(&s->alerts, s->opt->json ? stdout : stderr, &t);
	}
	end.counters = &c;
	report_run_end(&s->notes, stderr, &end);
}

static void collect_op(void *data, const struct gml_op_key *key, const struct gml_op_value *value)
{
	struct report_op_table *t = data;

	report_op_table_add(t, key, value->count);
}

/* What the groups attached all the time cost (CPU seconds). */
static double attached_spent(const struct governor *g)
{
	double spent = 0;
	enum probe_group group;

	for (group = 0; group < PROBE_GROUPS; group++)
		if (!governor_in_bursts(g, group))
			spent += g->groups[group].spent;
	return spent;
}

/* What the bursts cost against the budget, and the operations they saw. */
static void print_bursts(struct session *s)
{
	const struct governor *g = &s->governor;
	struct report_budget budget = {
		.budget_percent = s->opt->budget_percent,
		.spent_early = s->bursts.spent_early,
		.judged_by_hits = s->bursts.judged_by_hits,
		.postponed = s->bursts.postponed,
		.calibrated = s->bursts.calibrated,
		.walked = s->opt->verbose && g->probes_linger,
	};
	enum probe_group group;

	/* What the last bursts' probes took while they went counts too: wait for them to go. */
	tracer_wait_detached(&s->tracer);
	bursts_charge_lingering(&s->bursts);
	budget.spent = governor_spent(g);
	budget.target_cpu = g->target_cpu;
	for (group = 0; group < PROBE_GROUPS; group++)
		budget.bursts += g->groups[group].bursts;
	report_budget(&s->notes, &budget);
	report_op_estimates(stderr, &s->estimates, &s->registry, seconds_since(&s->started), 50);
	for (group = 0; group < PROBE_GROUPS; group++)
		if (probe_group_ops(group) && governor_in_bursts(g, group) &&
		    !g->groups[group].off && !g->groups[group].bursts)
			report_no_bursts(&s->notes, probe_group_name(group),
					 seconds_since(&s->started), attached_spent(g) > 0);
}

/* With --exact: the operation counters, largest first (every row with -v); else the bursts'
 * estimates. */
static void print_ops(struct session *s)
{
	struct report_op_table table = { 0 };
	unsigned int op;

	if (governor_bursts(&s->governor))
		print_bursts(s);
	if (!s->opt->exact)
		return;
	/* The counts cover each group's attach to here exactly, not the closes that follow. */
	tracer_stop_counting(&s->tracer);
	for (op = 0; op < GML_OP_KINDS; op++)
		table.seconds[op] = tracer_counted_seconds(&s->tracer, op);
	if (tracer_for_each_op(&s->tracer, collect_op, &table))
		report_note(&s->notes, "cannot read operation counters");
	else
		report_ops(stderr, &table, &s->bin.pclntab, s->load_bias,
			   s->opt->verbose ? SIZE_MAX : OPS_TABLE_ROWS);
	report_op_table_free(&table);
}

/* Functions probed now, by the governor. */
static int functions_probed(const struct session *s)
{
	const struct probe_plan *plan = &s->bin.plan;
	int i, n = 0;

	for (i = 0; i < plan->nsites; i++)
		n += plan->sites[i].status == PROBE_OK &&
		     governor_attached(&s->governor, plan->sites[i].spec->group);
	return n;
}

static void announce(struct session *s)
{
	const struct gobinary *b = &s->bin;
	/* The line names the process itself. */
	const struct report_notes notes = { .out = s->notes.out, .json = s->notes.json };
	const struct report_attached attached = {
		.pid = s->pid,
		.exe = s->target.exe_name,
		.go_version = b->buildinfo.version,
		.map_impl = go_map_impl_name(b->layout.impl),
		.functions = functions_probed(s),
		.uprobes = tracer_uprobes(&s->tracer),
		.budget_percent = governor_bursts(&s->governor) ? s->opt->budget_percent : 0,
		.calibration =
			s->opt->verbose && s->bursts.calibrated ? &s->bursts.calibration : NULL,
	};

	report_attached(&notes, &attached);
	if (s->opt->verbose) {
		struct kernel_report k = { .kf = &s->object->kernel, .path = (int)s->object->path };

		report_plan(stderr, s->target.exe_name, b, s->opt->verbose > 1);
		report_kernel(stderr, &k);
	}
}

static void on_alert(void *data, const struct tracked_map *m, enum alert_kind kind,
		     enum detector_state before)
{
	struct session *s = data;

	report_alert(&s->alerts, m, kind, before);
}

static void on_group_alert(void *data, const struct site_group *g, enum alert_kind kind,
			   enum detector_state before)
{
	struct session *s = data;

	report_group_alert(&s->alerts, g, kind, before);
}

/* Colour on a terminal, unless NO_COLOR is set (https://no-color.org). */
static bool use_colour(void)
{
	const char *no_colour = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(no_colour && *no_colour);
}

/* The registry, sampler and detector behind watch's alerts. */
static int setup_detector(struct session *s)
{
	struct detector_config *d = &s->detector;
	int err;

	detector_config_default(d);
	d->window = (unsigned int)(s->opt->window / s->opt->interval + 0.5);
	d->min_growth = s->opt->min_growth;
	d->confirm = s->opt->confirm;
	err = registry_init(&s->registry, d, &s->bin.pclntab, s->load_bias);
	if (err) {
		error_set(s->why, sizeof(s->why), err, "cannot allocate the map registry: %s",
			  strerror(-err));
		return session_fail(s, GML_STAGE_RUNNING, err);
	}
	err = op_estimates_init(&s->estimates);
	if (err) {
		error_set(s->why, sizeof(s->why), err, "cannot allocate the estimates: %s",
			  strerror(-err));
		return session_fail(s, GML_STAGE_RUNNING, err);
	}
	err = census_init(&s->census, s->pid, &s->bin.layout, &s->bin.types, s->load_bias,
			  &s->registry);
	if (err) {
		error_set(s->why, sizeof(s->why), err, "cannot allocate the site groups: %s",
			  strerror(-err));
		return session_fail(s, GML_STAGE_RUNNING, err);
	}
	s->census.interval = s->opt->interval;
	s->census.estimates = &s->estimates;
	s->census.sample_keys = !s->opt->no_keys;
	s->census.on_alert = on_alert;
	s->census.on_group_alert = on_group_alert;
	s->census.ctx = s;
	report_alert_printer_init(&s->alerts, stdout, &s->census, s->opt->json, use_colour());
	return 0;
}

static int start_exporters(struct session *s)
{
	const struct exporters_sources src = {
		.opt = {
			.prometheus = s->opt->prometheus,
			.prometheus_host = s->opt->prometheus_host,
			.prometheus_port = s->opt->prometheus_port,
			.pprof_path = s->opt->pprof_path,
			.folded_path = s->opt->folded_path,
			.shared_server = s->labelled,
		},
		.governor = &s->governor,
		.bin = &s->bin,
		.target = &s->target,
		.tracer = &s->tracer,
		.reg = &s->registry,
		.census = &s->census,
		.estimates = &s->estimates,
		.notes = &s->notes,
		.load_bias = s->load_bias,
	};
	int err = exporters_start(&s->exporters, &src, s->why, sizeof(s->why));

	return err ? session_fail(s, GML_STAGE_OUTPUT, err) : 0;
}

static enum attach_mode attach_mode_of(const struct cli_options *opt)
{
	if (opt->exact)
		return ATTACH_MODE_EXACT;
	if (opt->command == GML_CMD_TRACE)
		return ATTACH_MODE_TRACE;
	return opt->command == GML_CMD_RUN ? ATTACH_MODE_RUN : ATTACH_MODE_WATCH;
}

int session_open(struct session *s)
{
	const struct cli_options *opt = s->opt;
	int err;

	s->notes = (struct report_notes){ .out = stderr, .json = opt->json };
	if (s->labelled) {
		s->label = (struct report_process_label){ .pid = s->pid,
							  .comm = s->info.comm,
							  .container = s->info.container };
		s->notes.process = &s->label;
	}
	governor_init(&s->governor, attach_mode_of(opt), opt->budget_percent / 100, opt->interval,
		      opt->window);
	err = open_target(s);
	if (!err && opt->command != GML_CMD_TRACE)
		err = setup_detector(s);
	if (!err && s->labelled)
		s->alerts.process = &s->label;
	/* A file or port that cannot be used fails before anything is attached. */
	if (!err && opt->command != GML_CMD_TRACE)
		err = start_exporters(s);
	if (!err)
		err = attach_probes(s);
	return err;
}

static int epoll_add(int epoll_fd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int session_start(struct session *s, int epoll_fd)
{
	int err = epoll_add(epoll_fd, s->target.pidfd);

	if (!err && owns_object(s))
		err = epoll_add(epoll_fd, tracer_object_events_fd(s->object));
	if (err) {
		error_set(s->why, sizeof(s->why), err, "cannot set up event loop: %s",
			  strerror(-err));
		return session_fail(s, GML_STAGE_ATTACH, err);
	}
	if (governor_bursts(&s->governor)) {
		err = burst_probes_start_timer(&s->burst_probes, epoll_fd, s->why, sizeof(s->why));
		if (err)
			return session_fail(s, GML_STAGE_ATTACH, err);
		bursts_start(&s->bursts);
	}
	report_event_printer_init(&s->printer, stdout, &s->bin.pclntab, &s->bin.types,
				  s->load_bias);
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	return 0;
}

void session_announce(struct session *s)
{
	announce(s);
	exporters_announce(&s->exporters);
}

bool session_on_wakeup(struct session *s, int fd)
{
	if (fd == s->target.pidfd) {
		s->stop_reason = target_gone(s);
		return true;
	}
	if (burst_probes_timer_fired(&s->burst_probes, fd)) {
		bursts_on_timer(&s->bursts);
		return true;
	}
	/* Consumed on every wakeup. */
	return owns_object(s) && fd == tracer_object_events_fd(s->object);
}

int session_consume(struct session *s)
{
	int n = owns_object(s) ? tracer_object_consume(s->object) : 0;

	return n > 0 ? n : 0;
}

void session_idle_reader(struct session *s)
{
	tracer_object_set_reader_idle(s->object);
	/* An event submitted before the flag was set did not wake anyone. */
	tracer_object_consume(s->object);
}

void session_finish(struct session *s)
{
	/* Its own events last queued (in node mode, every session's: they go to theirs). */
	if (s->object)
		tracer_object_consume(s->object);
	if (governor_bursts(&s->governor))
		bursts_end_all(&s->bursts);
	fflush(stdout);
	exporters_write_profiles(&s->exporters);
	print_summary(s);
	print_ops(s);
}

bool session_leaked(const struct session *s)
{
	return s->census.stats.leaks > 0;
}

void session_close(struct session *s)
{
	exporters_stop(&s->exporters);
	burst_probes_close(&s->burst_probes);
	tracer_close(&s->tracer);
	if (owns_object(s))
		tracer_object_close(&s->own_object);
	op_estimates_free(&s->estimates);
	census_free(&s->census);
	registry_free(&s->registry);
	gobinary_close(&s->bin);
	target_close(&s->target);
}
