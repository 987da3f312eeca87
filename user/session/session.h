/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One traced process, from attach to summary: its binary and probe plan,
 * its slot in a BPF object (its own, or node mode's shared one), the
 * governor and its bursts, the maps and sites followed, the alerts and the
 * exporters. commands.c runs one (watch -p, run, trace); node mode runs one
 * a process. Wakeups come from the watch loop's epoll (watch_loop.h): a
 * session adds its own descriptors and is told which of them fired.
 */
#ifndef GOMAPLEAK_SESSION_H
#define GOMAPLEAK_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "burst_probes.h"
#include "bursts.h"
#include "census.h"
#include "cli.h"
#include "exit_status.h"
#include "exporters.h"
#include "gobinary.h"
#include "governor.h"
#include "op_estimates.h"
#include "processes.h"
#include "registry.h"
#include "report_alerts.h"
#include "report_events.h"
#include "report_note.h"
#include "target.h"
#include "tracer.h"

struct session {
	const struct cli_options *opt;
	pid_t pid;
	bool labelled;		  /* alerts and lines name the process: several are traced */
	struct process_info info; /* with labelled: what the alerts name */
	struct report_process_label label;
	struct report_notes notes; /* its own messages, naming the process when labelled */
	/* Node mode: hit costs measured by an earlier session, not measured again; or NULL. */
	const struct calibration *calibration;
	struct governor governor;
	struct bursts bursts;
	struct burst_probes burst_probes; /* what the bursts act on: this process's probes */
	struct op_estimates estimates;
	struct target target;
	struct gobinary bin;
	struct tracer tracer;
	/*
	 * The BPF object its tracer takes a slot in: node mode's, which every
	 * session shares (set before session_open), or else its own.
	 */
	struct tracer_object *object;
	struct tracer_object own_object;
	struct report_event_printer printer;
	struct detector_config detector;
	struct registry registry;
	struct census census;
	struct report_alert_printer alerts;
	struct exporters exporters;
	uint64_t load_bias;
	uint64_t events;
	struct timespec started;
	const char *stop_reason; /* why it ended; NULL while it runs */
	enum gml_stage failed_stage;
	char why[512]; /* what failed: filled by the function that failed */
};

void session_init(struct session *s, const struct cli_options *opt, pid_t pid);
/*
 * Opens the process and its binary, sets up the detector and the exporters
 * and attaches (the process keeps running). On failure returns a negative
 * errno; failed_stage and why say where and what.
 */
int session_open(struct session *s);
/* Its descriptors on epoll_fd; the clock of its summary starts. */
int session_start(struct session *s, int epoll_fd);
/* The attach line (and with -v the probe plan), and the exporters' URL. */
void session_announce(struct session *s);
/* Whether fd is one of the session's; if so, handles its wakeup. */
bool session_on_wakeup(struct session *s, int fd);
/* Reads the events the BPF side queued (its own object's); returns how many. */
int session_consume(struct session *s);
/*
 * Stops expecting to be woken only by a timer: the next event wakes the
 * loop. Events queued meanwhile are read now.
 */
void session_idle_reader(struct session *s);
/* One interval: sample the maps, report what changed. */
void session_tick(struct session *s);
/* Events left, bursts ended, profiles, the summary and the operation counts. */
void session_finish(struct session *s);
/* Whether a LEAK was raised. */
bool session_leaked(const struct session *s);
void session_close(struct session *s);

#endif /* GOMAPLEAK_SESSION_H */
