// SPDX-License-Identifier: GPL-2.0
#include "burst_probes.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"

static double probes_now(void *ctx)
{
	(void)ctx;
	return monotonic_seconds();
}

static int probes_target_cpu(void *ctx, double *seconds)
{
	const struct burst_probes *p = ctx;

	return target_cpu_seconds(p->target, seconds);
}

static int probes_attach_burst(void *ctx, enum probe_group group, int site, uint64_t count_ns)
{
	struct burst_probes *p = ctx;
	char why[256];

	return tracer_attach_burst(p->tr, p->plan, group, site, p->elf, p->binary, p->target->pid,
				   count_ns, why, sizeof(why));
}

static int probes_attach_group(void *ctx, enum probe_group group)
{
	struct burst_probes *p = ctx;
	char why[256];

	return tracer_attach_group(p->tr, p->plan, group, p->elf, p->binary, p->target->pid, why,
				   sizeof(why));
}

static uint64_t probes_detach(void *ctx, enum probe_group group)
{
	struct burst_probes *p = ctx;

	return tracer_detach_group(p->tr, group);
}

static void probes_span(void *ctx, enum probe_group group, struct burst_span *out)
{
	const struct burst_probes *p = ctx;

	*out = (struct burst_span){
		.attach_began_ns = p->tr->attach_began_ns[group],
		.attached_ns = p->tr->attached_ns[group],
		.counted_until_ns = p->tr->counted_until_ns[group],
	};
}

static uint64_t probes_limit_hits(void *ctx, enum probe_group group, uint64_t hits)
{
	struct burst_probes *p = ctx;

	return tracer_limit_burst_hits(p->tr, group, hits);
}

static bool probes_closing(void *ctx)
{
	const struct burst_probes *p = ctx;

	return tracer_closing(p->tr);
}

static int probes_read_counters(void *ctx, struct tracer_counters *out)
{
	const struct burst_probes *p = ctx;

	return tracer_read_counters(p->tr, out);
}

static int probes_drain_ops(void *ctx, unsigned int ops, tracer_op_fn fn, void *fn_ctx)
{
	struct burst_probes *p = ctx;

	return tracer_drain_ops(p->tr, ops, fn, fn_ctx);
}

static void probes_arm_timer(void *ctx, double at)
{
	const struct burst_probes *p = ctx;
	struct itimerspec its = { 0 };
	double in;

	if (at) {
		in = at - monotonic_seconds();
		if (in < 1e-6)
			in = 1e-6;
		its.it_value.tv_sec = (time_t)in;
		its.it_value.tv_nsec = (long)((in - (double)its.it_value.tv_sec) * 1e9);
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(p->timer_fd, 0, &its, NULL);
}

void burst_probes_init(struct burst_probes *p, struct tracer *tr, const struct probe_plan *plan,
		       const struct goelf *elf, const char *binary, const struct target *target)
{
	*p = (struct burst_probes){
		.tr = tr,
		.plan = plan,
		.elf = elf,
		.binary = binary,
		.target = target,
		.timer_fd = -1,
		.io = {
			.ctx = p,
			.now = probes_now,
			.target_cpu = probes_target_cpu,
			.attach_burst = probes_attach_burst,
			.attach_group = probes_attach_group,
			.detach = probes_detach,
			.span = probes_span,
			.limit_hits = probes_limit_hits,
			.closing = probes_closing,
			.read_counters = probes_read_counters,
			.drain_ops = probes_drain_ops,
			.arm_timer = probes_arm_timer,
		},
	};
}

int burst_probes_start_timer(struct burst_probes *p, int epoll_fd, char *why, size_t why_len)
{
	struct epoll_event ev = { .events = EPOLLIN };

	p->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (p->timer_fd < 0)
		return error_set(why, why_len, -errno, "cannot create the burst timer: %s",
				 strerror(errno));
	ev.data.fd = p->timer_fd;
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, p->timer_fd, &ev))
		return error_set(why, why_len, -errno, "cannot watch the burst timer: %s",
				 strerror(errno));
	return 0;
}

bool burst_probes_timer_fired(struct burst_probes *p, int fd)
{
	uint64_t expirations;

	if (fd != p->timer_fd || p->timer_fd < 0)
		return false;
	/* Nothing to read (EAGAIN): a wakeup already handled; the bursts look again anyway. */
	if (read(p->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return false;
	return true;
}

void burst_probes_close(struct burst_probes *p)
{
	if (p->timer_fd >= 0)
		close(p->timer_fd);
	p->timer_fd = -1;
}
