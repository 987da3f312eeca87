// SPDX-License-Identifier: GPL-2.0
#include "tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "gomapleak.skel.h"

static int libbpf_print_warnings(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG || level == LIBBPF_INFO)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int libbpf_print_all(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return vfprintf(stderr, fmt, args);
}

void tracer_set_verbose(int verbose)
{
	libbpf_set_print(verbose > 1 ? libbpf_print_all : libbpf_print_warnings);
}

/*
 * Every group's probes are uprobe_multi links: one link a program, its
 * entries and RETs attached and detached with one call each. Detaching a
 * perf-event uprobe takes its breakpoint out under the kernel's
 * event_mutex, then waits for an RCU grace period (~60 ms here), one probe
 * after another however many threads close them: the last of makemap's
 * four probes stayed ~180 ms after its burst ended, single-stepping every
 * map made meanwhile, a cost no hit counter saw. A uprobe_multi link takes
 * all its breakpoints out at once, then waits once, under no global lock.
 */
_Static_assert(PROBE_GROUPS <= GML_GROUPS && PROBE_GROUPS < GML_COOKIE_GROUP_MASK,
	       "every probe group has a hit allowance on the BPF side");

/*
 * BPF_LINK_CREATE for a uprobe_multi link (Linux 6.6), by hand: libbpf 1.1
 * (Debian 12's) predates it. The layout is the kernel's union bpf_attr
 * link_create, whose uprobe_multi member starts at byte 16.
 */
struct uprobe_multi_attr {
	uint32_t prog_fd, target_fd, attach_type, flags;
	uint64_t path, offsets, ref_ctr_offsets, cookies;
	uint32_t cnt, multi_flags, pid;
	uint8_t tail[68]; /* zero: the rest of union bpf_attr */
};

static int uprobe_multi_attach(int prog_fd, const char *path, const uint64_t *offsets,
			       const uint64_t *cookies, uint32_t cnt, pid_t pid)
{
	struct uprobe_multi_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = (uint32_t)prog_fd;
	attr.attach_type = GML_BPF_TRACE_UPROBE_MULTI;
	attr.path = (uint64_t)(uintptr_t)path;
	attr.offsets = (uint64_t)(uintptr_t)offsets;
	attr.cookies = (uint64_t)(uintptr_t)cookies;
	attr.cnt = cnt;
	attr.pid = (uint32_t)pid;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

int tracer_open(struct tracer *tr, struct tracer_object *obj, const struct gml_config *cfg,
		char *why, size_t why_len)
{
	int slot, table = 0;

	memset(tr, 0, sizeof(*tr));
	tr->tgid = (pid_t)cfg->target_tgid;
	slot = tracer_object_take_slot(obj, tr, &table);
	if (slot == -ENOSPC)
		return error_set(why, why_len, slot, "%u processes traced already",
				 obj->nslots - 1);
	if (slot < 0)
		return error_set(why, why_len, slot, "cannot set up the BPF side: %s",
				 strerror(-slot));
	tr->obj = obj;
	tr->slot = (unsigned int)slot;
	tr->op_table = table;
	obj->slots[slot].cfg = *cfg;
	return 0;
}

static struct bpf_program *handler_program(struct tracer *tr, enum probe_handler handler)
{
	switch (handler) {
	case PROBE_MAKEMAP:
		return tr->obj->skel->progs.make_map;
	case PROBE_MAKEMAP_SMALL:
		return tr->obj->skel->progs.make_map_small;
	case PROBE_HASH_GROW:
		return tr->obj->skel->progs.hash_grow;
	case PROBE_SWISS_GROW_TO_SMALL:
		return tr->obj->skel->progs.swiss_grow_to_small;
	case PROBE_SWISS_GROW_TO_TABLE:
		return tr->obj->skel->progs.swiss_grow_to_table;
	case PROBE_SWISS_TABLE_GROW:
		return tr->obj->skel->progs.swiss_table_grow;
	case PROBE_SWISS_TABLE_SPLIT:
		return tr->obj->skel->progs.swiss_table_split;
	case PROBE_INSERT:
		return tr->obj->skel->progs.map_insert;
	case PROBE_DELETE:
		return tr->obj->skel->progs.map_delete;
	case PROBE_CLEAR:
		return tr->obj->skel->progs.map_clear;
	case PROBE_OVERFLOW:
		return tr->obj->skel->progs.map_overflow;
	}
	return NULL;
}

/* The program at a site's entry: the creation result read in the body has its own. */
static struct bpf_program *entry_program(struct tracer *tr, const struct probe_site *site)
{
	return site->choice.result_in_body ? tr->obj->skel->progs.make_map_allocated
					   : handler_program(tr, site->spec->handler);
}

/* The group's probes, entries and RETs, as uprobe_multi offsets and cookies. */
struct multi_probes {
	uint64_t offsets[TRACER_MAX_UPROBES], cookies[TRACER_MAX_UPROBES];
	uint32_t n;
};

static int add_probe(struct multi_probes *mp, const struct goelf *ge, const struct probe_site *site,
		     uint64_t vaddr, uint64_t cookie, char *why, size_t why_len)
{
	if (mp->n == TRACER_MAX_UPROBES)
		return error_set(why, why_len, -E2BIG, "%s: too many probes", site->spec->func);
	if (goelf_vaddr_to_offset(ge, vaddr, &mp->offsets[mp->n]))
		return error_set(why, why_len, -EINVAL, "%s: no file offset for 0x%llx",
				 site->spec->func, (unsigned long long)vaddr);
	mp->cookies[mp->n++] = cookie;
	return 0;
}

/* The probes of site (plan index i) that run prog: its entry, or its RETs. */
static int add_site_probes(struct tracer *tr, struct multi_probes *mp, const struct goelf *ge,
			   const struct probe_site *site, int i, struct bpf_program *prog,
			   char *why, size_t why_len)
{
	uint64_t cookie = (uint64_t)i |
			  (uint64_t)(site->spec->group + 1) << GML_COOKIE_GROUP_SHIFT |
			  (uint64_t)tr->slot << GML_COOKIE_SLOT_SHIFT;
	int j, err = 0;

	if (entry_program(tr, site) == prog) {
		if (site->choice.at_stack_check_jump)
			cookie |= GML_COOKIE_AT_STACK_CHECK_JUMP;
		return add_probe(mp, ge, site, site->choice.vaddr, cookie, why, why_len);
	}
	if (prog != tr->obj->skel->progs.make_map_return || !probe_site_reads_at_rets(site))
		return 0;
	for (j = 0; j < site->nrets && !err; j++)
		err = add_probe(mp, ge, site, site->rets[j], cookie | GML_COOKIE_AT_RETURN, why,
				why_len);
	return err;
}

/*
 * One uprobe_multi link for the probes of the group's sites that run prog,
 * for pid, kept in the first free one of fds. Returns how many probes it
 * holds.
 */
static int attach_multi_link(struct tracer *tr, const struct probe_plan *plan,
			     enum probe_group group, struct bpf_program *prog,
			     const struct goelf *ge, const char *binary, pid_t pid, int *fds,
			     char *why, size_t why_len)
{
	struct multi_probes mp = { .n = 0 };
	int i, fd, err = 0, *slot = NULL;

	for (i = 0; i < plan->nsites && !err; i++)
		if (plan->sites[i].status == PROBE_OK && plan->sites[i].spec->group == group)
			err = add_site_probes(tr, &mp, ge, &plan->sites[i], i, prog, why, why_len);
	if (err)
		return err;
	for (i = 0; i < TRACER_MULTI_LINKS && !slot; i++)
		if (!fds[i])
			slot = &fds[i];
	if (!slot)
		return error_set(why, why_len, -E2BIG, "too many %s programs",
				 probe_group_name(group));
	fd = uprobe_multi_attach(bpf_program__fd(prog), binary, mp.offsets, mp.cookies, mp.n, pid);
	if (fd < 0)
		return error_set(why, why_len, fd,
				 "failed to attach the %s probes (uprobe_multi) in %s: %s",
				 probe_group_name(group), binary, strerror(-fd));
	*slot = fd;
	return (int)mp.n;
}

/* progs with prog added unless there; n its length; -E2BIG past TRACER_MULTI_LINKS. */
static int add_program(struct bpf_program **progs, int n, struct bpf_program *prog)
{
	int i;

	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		if (progs[i] == prog)
			return n;
	if (n == TRACER_MULTI_LINKS)
		return -E2BIG;
	progs[n] = prog;
	return n + 1;
}

/*
 * The programs the group's sites run, the RETs' last: attached in reverse,
 * the RETs are in before the entries (a RET's hit with no entry seen is
 * dropped; an entry's hit whose RET is not in yet would leave its pending
 * creation behind).
 */
static int group_programs(struct tracer *tr, const struct probe_plan *plan, enum probe_group group,
			  struct bpf_program **progs)
{
	bool rets = false;
	int i, n = 0;

	for (i = 0; i < plan->nsites; i++) {
		const struct probe_site *site = &plan->sites[i];

		if (site->status != PROBE_OK || site->spec->group != group)
			continue;
		n = add_program(progs, n, entry_program(tr, site));
		rets = rets || probe_site_reads_at_rets(site);
	}
	return rets ? add_program(progs, n, tr->obj->skel->progs.make_map_return) : n;
}

/* The group's uprobe_multi links, one a program its sites run. */
static int attach_multi_group(struct tracer *tr, const struct probe_plan *plan,
			      enum probe_group group, const struct goelf *ge, const char *binary,
			      pid_t pid, char *why, size_t why_len)
{
	struct bpf_program *progs[TRACER_MULTI_LINKS];
	int i, n = group_programs(tr, plan, group, progs), err = 0;

	if (n < 0)
		return error_set(why, why_len, n, "too many %s programs", probe_group_name(group));
	for (i = n - 1; i >= 0 && err >= 0; i--) {
		err = attach_multi_link(tr, plan, group, progs[i], ge, binary, pid,
					tr->multi_fd[group], why, why_len);
		if (err > 0)
			tr->multi_sites[group] += err;
	}
	if (err >= 0)
		return 0;
	tracer_detach_group(tr, group);
	return err;
}

/*
 * A uprobe whose last link is closed is freed (a work item, then SRCU and
 * RCU Tasks Trace callbacks) and made again at the next attach: on Go
 * 1.26's mix benchmark ~4 a second, whose kernel workers preempted the
 * target. A link on the same probes for gomapleak's own process keeps
 * them: its filter wants gomapleak's memory map only, which has no
 * breakpoint to take since it does not map the binary. If it cannot be
 * made, bursts work without it.
 */
static void keep_uprobes(struct tracer *tr, const struct probe_plan *plan, enum probe_group group,
			 const struct goelf *ge, const char *binary)
{
	struct bpf_program *progs[TRACER_MULTI_LINKS];
	int i, n = group_programs(tr, plan, group, progs), err = 0;
	char why[128];

	tr->kept[group] = true;
	for (i = 0; i < n && err >= 0; i++)
		err = attach_multi_link(tr, plan, group, progs[i], ge, binary, getpid(),
					tr->keeper_fd[group], why, sizeof(why));
}

/*
 * Counting of the group's operations until a deadline (CLOCK_MONOTONIC ns,
 * GML_COUNT_UNTIL_DETACHED for none; 0 off), and when it began. On only
 * once every probe of the group is in, off before the first goes: a
 * burst's counts cover the time between exactly, however long the attach
 * and detach calls took (the machine loaded, the target's memory map
 * locked).
 */
static void count_group_ops(struct tracer *tr, enum probe_group group, uint64_t until_ns)
{
	unsigned int ops = probe_group_ops(group), op;

	for (op = 0; op < GML_OP_KINDS; op++) {
		if (!(ops & (1u << op)))
			continue;
		__atomic_store_n(&tr->obj->slots[tr->slot].count_ops_until[op], until_ns,
				 __ATOMIC_SEQ_CST);
	}
}

/* Attaches the group and counts its operations for count_ns from then (0: until detached). */
static int attach_counting(struct tracer *tr, const struct probe_plan *plan, enum probe_group group,
			   const struct goelf *ge, const char *binary, pid_t pid, uint64_t count_ns,
			   char *why, size_t why_len)
{
	uint64_t now = monotonic_ns();
	int err;

	tr->attach_began_ns[group] = now;
	err = attach_multi_group(tr, plan, group, ge, binary, pid, why, why_len);
	if (err)
		return err;
	now = monotonic_ns();
	tr->attached_ns[group] = now;
	tr->counted_until_ns[group] = count_ns ? now + count_ns : GML_COUNT_UNTIL_DETACHED;
	count_group_ops(tr, group, tr->counted_until_ns[group]);
	return 0;
}

int tracer_attach_group(struct tracer *tr, const struct probe_plan *plan, enum probe_group group,
			const struct goelf *ge, const char *binary, pid_t pid, char *why,
			size_t why_len)
{
	return attach_counting(tr, plan, group, ge, binary, pid, 0, why, why_len);
}

int tracer_attach_burst(struct tracer *tr, const struct probe_plan *plan, enum probe_group group,
			const struct goelf *ge, const char *binary, pid_t pid, uint64_t count_ns,
			char *why, size_t why_len)
{
	if (!tr->kept[group])
		keep_uprobes(tr, plan, group, ge, binary);
	return attach_counting(tr, plan, group, ge, binary, pid, count_ns ? count_ns : 1, why,
			       why_len);
}

/* A uprobe_multi link to close on a thread of its own. */
struct link_retirement {
	int fd;
	atomic_int *retiring;
};

static void *close_link(void *arg)
{
	struct link_retirement *r = arg;

	close(r->fd);
	atomic_fetch_sub(r->retiring, 1);
	free(r);
	return NULL;
}

/*
 * Closes a link on a thread of its own: the close waits for an RCU grace
 * period (~60 ms here) after the breakpoints are out, and the event loop
 * must not.
 */
static void retire(struct tracer *tr, int fd)
{
	struct link_retirement *r = malloc(sizeof(*r));
	pthread_attr_t attr;
	pthread_t thread;
	int err = -1;

	if (r && !pthread_attr_init(&attr)) {
		*r = (struct link_retirement){ .fd = fd, .retiring = &tr->retiring };
		atomic_fetch_add(&tr->retiring, 1);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		err = pthread_create(&thread, &attr, close_link, r);
		pthread_attr_destroy(&attr);
		if (err)
			atomic_fetch_sub(&tr->retiring, 1);
	}
	if (err) {
		free(r);
		close(fd);
	}
}

uint64_t tracer_detach_group(struct tracer *tr, enum probe_group group)
{
	uint64_t gone;
	int i;

	count_group_ops(tr, group, 0);
	gone = monotonic_ns();
	if (gone < tr->counted_until_ns[group])
		tr->counted_until_ns[group] = gone;

	for (i = 0; i < TRACER_MULTI_LINKS; i++) {
		if (tr->multi_fd[group][i] > 0)
			retire(tr, tr->multi_fd[group][i]);
		tr->multi_fd[group][i] = 0;
	}
	tr->multi_sites[group] = 0;
	return gone;
}

void tracer_on_events(struct tracer *tr, tracer_event_fn fn, void *ctx)
{
	tr->on_event = fn;
	tr->on_event_ctx = ctx;
}

int tracer_uprobes(const struct tracer *tr)
{
	int i, n = 0;

	for (i = 0; i < PROBE_GROUPS; i++)
		n += tr->multi_sites[i];
	return n;
}

int tracer_read_counters(const struct tracer *tr, struct tracer_counters *out)
{
	const struct gomapleak_bpf *skel = tr->obj->skel;
	int err;

	memset(out, 0, sizeof(*out));
	err = tracer_object_sum_percpu(bpf_map__fd(skel->maps.probe_hits),
				       tr->slot * GML_MAX_PROBES, out->hits, GML_MAX_PROBES);
	if (!err)
		err = tracer_object_sum_percpu(bpf_map__fd(skel->maps.events_lost), tr->slot,
					       &out->lost, 1);
	if (!err)
		err = tracer_object_sum_percpu(bpf_map__fd(skel->maps.ops_lost), tr->slot,
					       &out->ops_lost, 1);
	return err;
}

int tracer_lookup_stack(const struct tracer *tr, uint64_t hash, struct gml_stack *out)
{
	return bpf_map_lookup_elem(bpf_map__fd(tr->obj->skel->maps.stacks), &hash, out) ? -errno
											: 0;
}

/* Every (map, caller, operation) counter the process's table keeps (one hash, not per CPU). */
int tracer_for_each_op(const struct tracer *tr, tracer_op_fn fn, void *ctx)
{
	int fd = tr->op_table;
	struct gml_op_key key, next;
	struct gml_op_key *prev = NULL;
	struct gml_op_value value;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, &value))
			fn(ctx, &next, &value);
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}

/*
 * Reads and removes the counters of the operations in op_mask (1 << op). A
 * counter may gain a hit between its read and its removal when its probe is
 * still attached: the governor drains a group's operations once its burst
 * has ended, so none is.
 */
uint64_t tracer_limit_burst_hits(struct tracer *tr, enum probe_group group, uint64_t hits)
{
	int64_t left = hits > INT64_MAX ? INT64_MAX : (int64_t)hits;

	__atomic_store_n(&tr->obj->slots[tr->slot].burst_hits_left[group], left, __ATOMIC_SEQ_CST);
	return monotonic_ns();
}

/* Drains a table's counters of the operations in op_mask. */
static int drain_table(int fd, unsigned int op_mask, tracer_op_fn fn, void *ctx)
{
	struct gml_op_key key, next;
	struct gml_op_key *prev = NULL;
	struct gml_op_value value;
	bool drained;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		drained = false;
		if ((op_mask & (1u << next.op)) && !bpf_map_lookup_elem(fd, &next, &value)) {
			fn(ctx, &next, &value);
			drained = !bpf_map_delete_elem(fd, &next);
		}
		/* After a removal the next key is found from the start's view of it. */
		if (!drained) {
			key = next;
			prev = &key;
		}
	}
	return errno == ENOENT ? 0 : -errno;
}

int tracer_drain_ops(struct tracer *tr, unsigned int op_mask, tracer_op_fn fn, void *ctx)
{
	return drain_table(tr->op_table, op_mask, fn, ctx);
}

int tracer_attach_self(struct tracer *tr, enum probe_handler handler, bool at_return,
		       const char *self_path, uint64_t file_offset, struct tracer_self_probe *out)
{
	struct bpf_program *prog =
		at_return ? tr->obj->skel->progs.make_map_return : handler_program(tr, handler);
	uint64_t cookie = GML_CALIBRATION_PROBE | (at_return ? GML_COOKIE_AT_RETURN : 0) |
			  (uint64_t)tracer_object_calibration_slot(tr->obj)
				  << GML_COOKIE_SLOT_SHIFT;

	out->fd = uprobe_multi_attach(bpf_program__fd(prog), self_path, &file_offset, &cookie, 1,
				      getpid());
	return out->fd < 0 ? out->fd : 0;
}

void tracer_detach_self(struct tracer *tr, struct tracer_self_probe *probe)
{
	retire(tr, probe->fd);
	probe->fd = 0;
}

void tracer_wait_detached(struct tracer *tr)
{
	while (atomic_load(&tr->retiring))
		usleep(1000);
}

int tracer_set_calibrating(struct tracer *tr, bool on)
{
	if (on)
		return tracer_object_begin_calibration(tr->obj, &tr->obj->slots[tr->slot].cfg);
	tracer_object_end_calibration(tr->obj);
	return 0;
}

void tracer_close(struct tracer *tr)
{
	int i, j;

	if (!tr->obj)
		return;
	for (i = 0; i < PROBE_GROUPS; i++)
		for (j = 0; j < TRACER_MULTI_LINKS; j++) {
			if (tr->multi_fd[i][j] > 0)
				retire(tr, tr->multi_fd[i][j]);
			if (tr->keeper_fd[i][j] > 0)
				retire(tr, tr->keeper_fd[i][j]);
		}
	tracer_wait_detached(tr);
	tracer_object_give_slot(tr->obj, tr->slot, tr->op_table);
	memset(tr, 0, sizeof(*tr));
}
