// SPDX-License-Identifier: GPL-2.0
#include "watch_loop.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "gomapleak.h"

#define WATCH_WAKEUPS 8 /* more than the loop's own fds on the epoll */

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

int watch_loop_open(struct watch_loop *l, const struct cli_options *opt,
		    const sigset_t *stop_signals)
{
	int err;

	*l = (struct watch_loop){
		.epoll_fd = -1,
		.signal_fd = -1,
		.duration_fd = -1,
		.interval_fd = -1,
		.drain_fd = -1,
		.drains_always = opt->command == GML_CMD_TRACE,
	};
	l->signal_fd = signalfd(-1, stop_signals, SFD_CLOEXEC);
	l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (l->signal_fd < 0 || l->epoll_fd < 0)
		return -errno;
	err = epoll_add(l->epoll_fd, l->signal_fd);
	if (!err)
		err = start_timer(l->epoll_fd, &l->drain_fd, GML_DRAIN_MS / 1000.0, true);
	if (!err && opt->command != GML_CMD_TRACE)
		err = start_timer(l->epoll_fd, &l->interval_fd, opt->interval, true);
	if (err || !opt->duration)
		return err;
	return start_timer(l->epoll_fd, &l->duration_fd, opt->duration, false);
}

/* SIGUSR1 writes the profiles and tracing goes on; the others stop it. */
static const char *on_signal(struct watch_loop *l, const struct watch_driver *d)
{
	struct signalfd_siginfo si;

	if (read(l->signal_fd, &si, sizeof(si)) != sizeof(si))
		return "signal";
	if (si.ssi_signo == SIGUSR1) {
		if (d->write_profiles)
			d->write_profiles(d->ctx);
		return NULL;
	}
	return si.ssi_signo == SIGINT ? "interrupted" : "terminated";
}

/* Clears a periodic timer's expirations, so that epoll stops reporting it; false if none. */
static bool timer_ack(int fd)
{
	uint64_t expirations;

	return read(fd, &expirations, sizeof(expirations)) == sizeof(expirations);
}

/*
 * The drain timer fired. A quiet ring (nothing for GML_IDLE_DRAINS drains)
 * stops it: each of its wakeups can take the target's CPU, every
 * GML_DRAIN_MS. Not where the driver drains more than the ring on it, or
 * where no interval tick bounds an event that slipped past the flag.
 */
static void on_drain_timer(struct watch_loop *l, const struct watch_driver *d)
{
	timer_ack(l->drain_fd); /* the drain itself is in the loop */
	if (!d->idle_reader || l->drains_always || l->consumed)
		return;
	if (++l->idle_drains < GML_IDLE_DRAINS)
		return;
	d->idle_reader(d->ctx);
	set_timer(l->drain_fd, 0, false);
	l->drain_stopped = true;
}

/* Events came: the loop drains on its timer again. */
static void on_events(struct watch_loop *l)
{
	l->idle_drains = 0;
	if (!l->drain_stopped)
		return;
	set_timer(l->drain_fd, GML_DRAIN_MS / 1000.0, true);
	l->drain_stopped = false;
}

static void on_wakeup(struct watch_loop *l, const struct watch_driver *d, int fd)
{
	const char *reason = NULL;

	if (fd == l->signal_fd)
		reason = on_signal(l, d);
	else if (fd == l->duration_fd)
		reason = "duration reached";
	else if (fd == l->interval_fd) {
		if (timer_ack(l->interval_fd))
			d->tick(d->ctx);
	} else if (fd == l->drain_fd)
		on_drain_timer(l, d);
	else
		d->on_wakeup(d->ctx, fd);
	if (reason)
		l->stop_reason = reason;
}

void watch_loop_run(struct watch_loop *l, const struct watch_driver *d)
{
	struct epoll_event ev[WATCH_WAKEUPS];
	const char *ended;
	int i, n;

	while (!l->stop_reason) {
		n = epoll_wait(l->epoll_fd, ev, WATCH_WAKEUPS, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			l->stop_reason = "epoll failed";
			break;
		}
		l->consumed = d->consume(d->ctx);
		if (l->consumed)
			on_events(l);
		for (i = 0; i < n; i++)
			on_wakeup(l, d, ev[i].data.fd);
		ended = d->settle(d->ctx);
		if (!l->stop_reason && ended)
			l->stop_reason = ended;
		fflush(stdout);
	}
}

void watch_loop_close(struct watch_loop *l)
{
	const int fds[] = { l->duration_fd, l->interval_fd, l->drain_fd, l->signal_fd,
			    l->epoll_fd };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}
