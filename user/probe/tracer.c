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
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "gomapleak.skel.h"
#include "uprobe_multi.h"

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
 * Where the kernel has them, a group's probes are uprobe_multi links: one
 * link a program, its entries and RETs attached and detached with one call
 * each. Detaching a perf-event uprobe takes its breakpoint out under the
 * kernel's event_mutex, then waits for an RCU grace period, one probe after
 * another however many threads close them: the last of makemap's four
 * probes stays in well after its burst ended, single-stepping every map
 * made meanwhile, a cost no hit counter sees (docs/governor.md has the
 * figures). A uprobe_multi link takes all its breakpoints out at once,
 * then waits once, under no global lock. Older kernels get perf-event
 * uprobes, one a probe (kernel_features.h).
 */
_Static_assert(PROBE_GROUPS <= GML_GROUPS && PROBE_GROUPS < GML_COOKIE_GROUP_MASK,
	       "every probe group has a hit allowance on the BPF side");

int tracer_open(struct tracer *tr, struct tracer_object *obj, const struct gml_config *cfg,
		uint64_t load_bias, char *why, size_t why_len)
{
	int slot, table = 0;

	memset(tr, 0, sizeof(*tr));
	tr->tgid = (pid_t)cfg->target_tgid;
	tr->load_bias = load_bias;
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

/* Probes that run one program: file offsets, cookies and addresses in the binary. */
struct probe_batch {
	uint64_t offsets[TRACER_MAX_UPROBES], cookies[TRACER_MAX_UPROBES];
	uint64_t vaddrs[TRACER_MAX_UPROBES];
	uint32_t n;
};

static int add_probe(struct probe_batch *pb, const struct goelf *ge, const struct probe_site *site,
		     uint64_t vaddr, uint64_t cookie, char *why, size_t why_len)
{
	if (pb->n == TRACER_MAX_UPROBES)
		return error_set(why, why_len, -E2BIG, "%s: too many probes", site->spec->func);
	if (goelf_vaddr_to_offset(ge, vaddr, &pb->offsets[pb->n]))
		return error_set(why, why_len, -EINVAL, "%s: no file offset for 0x%llx",
				 site->spec->func, (unsigned long long)vaddr);
	pb->vaddrs[pb->n] = vaddr;
	pb->cookies[pb->n++] = cookie;
	return 0;
}

/* The probes of site (plan index i) that run prog: its entry, or its RETs. */
static int add_site_probes(struct tracer *tr, struct probe_batch *pb, const struct goelf *ge,
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
		return add_probe(pb, ge, site, site->choice.vaddr, cookie, why, why_len);
	}
	if (prog != tr->obj->skel->progs.make_map_return || !probe_site_reads_at_rets(site))
		return 0;
	for (j = 0; j < site->nrets && !err; j++)
		err = add_probe(pb, ge, site, site->rets[j], cookie | GML_COOKIE_AT_RETURN, why,
				why_len);
	return err;
}

/*
 * Where cookies go by address (ATTACH_PATH_PERF_IP), the probe's cookie
 * under its address in process pid, before the probe is in. Kept until the
 * slot is given back (tracer_close): a probe is at the same address at
 * every burst.
 */
static int set_cookie_by_address(struct tracer *tr, pid_t pid, uint64_t address, uint64_t cookie)
{
	struct gml_probe_address key = { .ip = address, .tgid = (uint32_t)pid };

	if (tr->obj->path != ATTACH_PATH_PERF_IP)
		return 0;
	return bpf_map_update_elem(bpf_map__fd(tr->obj->skel->maps.probe_cookies), &key, &cookie,
				   BPF_ANY)
		       ? -errno
		       : 0;
}

/* One perf-event uprobe running prog at offset of binary in process pid. */
static int attach_perf_probe(struct tracer *tr, struct bpf_program *prog, const char *binary,
			     pid_t pid, uint64_t offset, uint64_t cookie, struct group_links *links)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts,
		    .bpf_cookie = tr->obj->path == ATTACH_PATH_PERF ? cookie : 0);
	struct bpf_link *link;

	if (links->nperf == TRACER_MAX_UPROBES)
		return -E2BIG;
	link = bpf_program__attach_uprobe_opts(prog, pid, binary, (size_t)offset, &opts);
	if (!link)
		return -errno;
	links->perf_probe[links->nperf] = (uint16_t)(cookie & GML_COOKIE_INDEX_MASK);
	links->perf_attached_ns[links->nperf] = monotonic_ns();
	links->perf[links->nperf++] = link;
	links->uprobes++;
	return 0;
}

/*
 * The batch's probes in process pid, as the object's path attaches them.
 * A uprobe_multi link goes to the first free slot of links->multi_fd.
 */
static int attach_batch(struct tracer *tr, struct bpf_program *prog, const char *binary, pid_t pid,
			const struct probe_batch *pb, struct group_links *links)
{
	uint32_t i;
	int fd, err = 0;

	if (tr->obj->path != ATTACH_PATH_UPROBE_MULTI) {
		for (i = 0; i < pb->n && !err; i++) {
			err = pid == getpid() ? 0
					      : set_cookie_by_address(tr, pid,
								      pb->vaddrs[i] + tr->load_bias,
								      pb->cookies[i]);
			if (!err)
				err = attach_perf_probe(tr, prog, binary, pid, pb->offsets[i],
							pb->cookies[i], links);
		}
		return err;
	}
	for (i = 0; i < TRACER_MULTI_LINKS && links->multi_fd[i]; i++)
		;
	if (i == TRACER_MULTI_LINKS)
		return -E2BIG;
	fd = uprobe_multi_link_create(bpf_program__fd(prog), binary, pb->offsets, pb->cookies,
				      pb->n, pid);
	if (fd < 0)
		return fd;
	links->multi_fd[i] = fd;
	links->uprobes += (int)pb->n;
	return 0;
}

/* Whether the plan's site i is one of the group's that is attached (site: one, or
 * TRACER_ALL_SITES). */
static bool site_attached(const struct probe_plan *plan, enum probe_group group, int site, int i)
{
	return plan->sites[i].status == PROBE_OK && plan->sites[i].spec->group == group &&
	       (site == TRACER_ALL_SITES || site == i);
}

/* The probes of the group's sites (or one) that run prog, for pid, into links. */
static int attach_program(struct tracer *tr, const struct probe_plan *plan, enum probe_group group,
			  int site, struct bpf_program *prog, const struct goelf *ge,
			  const char *binary, pid_t pid, struct group_links *links, char *why,
			  size_t why_len)
{
	struct probe_batch *pb = calloc(1, sizeof(*pb));
	int i, err = pb ? 0 : -ENOMEM;

	for (i = 0; i < plan->nsites && !err; i++)
		if (site_attached(plan, group, site, i))
			err = add_site_probes(tr, pb, ge, &plan->sites[i], i, prog, why, why_len);
	if (!err) {
		err = attach_batch(tr, prog, binary, pid, pb, links);
		if (err)
			error_set(why, why_len, err,
				  "failed to attach the %s probes (%s) in %s: %s",
				  probe_group_name(group), attach_path_name(tr->obj->path), binary,
				  strerror(-err));
	}
	free(pb);
	return err;
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
			  int only, struct bpf_program **progs)
{
	bool rets = false;
	int i, n = 0;

	for (i = 0; i < plan->nsites; i++) {
		const struct probe_site *site = &plan->sites[i];

		if (!site_attached(plan, group, only, i))
			continue;
		n = add_program(progs, n, entry_program(tr, site));
		rets = rets || probe_site_reads_at_rets(site);
	}
	return rets ? add_program(progs, n, tr->obj->skel->progs.make_map_return) : n;
}

/* The group's probes (or one site's) for pid into links, program by program. */
static int attach_programs(struct tracer *tr, const struct probe_plan *plan, enum probe_group group,
			   int site, const struct goelf *ge, const char *binary, pid_t pid,
			   struct group_links *links, char *why, size_t why_len)
{
	struct bpf_program *progs[TRACER_MULTI_LINKS];
	int i, n = group_programs(tr, plan, group, site, progs), err = 0;

	if (n < 0)
		return error_set(why, why_len, n, "too many %s programs", probe_group_name(group));
	for (i = n - 1; i >= 0 && !err; i--)
		err = attach_program(tr, plan, group, site, progs[i], ge, binary, pid, links, why,
				     why_len);
	return err;
}

static int attach_group_links(struct tracer *tr, const struct probe_plan *plan,
			      enum probe_group group, int site, const struct goelf *ge,
			      const char *binary, pid_t pid, char *why, size_t why_len)
{
	int err = attach_programs(tr, plan, group, site, ge, binary, pid, &tr->links[group], why,
				  why_len);

	if (err)
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
	char why[128];

	tr->kept[group] = true;
	attach_programs(tr, plan, group, TRACER_ALL_SITES, ge, binary, getpid(),
			&tr->keepers[group], why, sizeof(why));
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

/*
 * Attaches the group (or one site of it) and counts its operations for
 * count_ns from then (0: until detached).
 */
static int attach_counting(struct tracer *tr, const struct probe_plan *plan, enum probe_group group,
			   int site, const struct goelf *ge, const char *binary, pid_t pid,
			   uint64_t count_ns, char *why, size_t why_len)
{
	uint64_t now = monotonic_ns();
	int err;

	tr->attach_began_ns[group] = now;
	err = attach_group_links(tr, plan, group, site, ge, binary, pid, why, why_len);
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
	return attach_counting(tr, plan, group, TRACER_ALL_SITES, ge, binary, pid, 0, why, why_len);
}

int tracer_attach_burst(struct tracer *tr, const struct probe_plan *plan, enum probe_group group,
			int site, const struct goelf *ge, const char *binary, pid_t pid,
			uint64_t count_ns, char *why, size_t why_len)
{
	if (!tr->kept[group])
		keep_uprobes(tr, plan, group, ge, binary);
	return attach_counting(tr, plan, group, site, ge, binary, pid, count_ns ? count_ns : 1, why,
			       why_len);
}

/* uprobe_multi links to close on a thread of their own. */
struct link_retirement {
	int multi_fd[TRACER_MULTI_LINKS];
	atomic_int *retiring;
};

static void close_multi_links(const int *multi_fd)
{
	int i;

	for (i = 0; i < TRACER_MULTI_LINKS; i++)
		if (multi_fd[i] > 0)
			close(multi_fd[i]);
}

static void *close_retired_links(void *arg)
{
	struct link_retirement *r = arg;

	close_multi_links(r->multi_fd);
	atomic_fetch_sub(r->retiring, 1);
	free(r);
	return NULL;
}

/*
 * A uprobe_multi link takes its breakpoints out at once, then waits for a
 * grace period under no global lock: each group's on a thread of its own,
 * so that the event loop does not wait.
 */
static void retire_multi_links(struct tracer *tr, struct group_links *links)
{
	struct link_retirement *r;
	pthread_attr_t attr;
	pthread_t thread;
	int err = -1;

	if (!links->multi_fd[0])
		return;
	r = malloc(sizeof(*r));
	if (r && !pthread_attr_init(&attr)) {
		memcpy(r->multi_fd, links->multi_fd, sizeof(r->multi_fd));
		r->retiring = &tr->retiring;
		atomic_fetch_add(&tr->retiring, 1);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		err = pthread_create(&thread, &attr, close_retired_links, r);
		pthread_attr_destroy(&attr);
		if (err)
			atomic_fetch_sub(&tr->retiring, 1);
	}
	if (err) {
		free(r);
		close_multi_links(links->multi_fd);
	}
}

/*
 * Perf-event uprobes go one after another, each after an RCU grace period
 * (tens of ms), and the ones still in trap meanwhile: they are queued to
 * the object's closer by their rate over the session (hits over seconds
 * attached), so that a busy function's probe waits for the close in
 * progress only, whatever group it is in. Rates, not counts: a burst's
 * last probe attached has the fewest hits, however busy its function.
 */
static void retire_perf_links(struct tracer *tr, struct group_links *links)
{
	struct tracer_counters c;
	uint64_t now = monotonic_ns();
	bool have_hits;
	int i;

	have_hits = links->nperf && !tracer_read_counters(tr, &c);
	for (i = 0; i < links->nperf; i++) {
		unsigned int probe = links->perf_probe[i] % GML_MAX_PROBES;
		double rate = 0;

		tr->probe_seconds[probe] += (double)(now - links->perf_attached_ns[i]) / 1e9;
		/*
		 * One hit more than counted: a probe in for a moment and not hit
		 * yet ranks by how short that moment was, not as a cold one (a
		 * burst ended by its hit allowance right after its attach leaves
		 * a hot function's probe unhit; ranked cold, it would trap while
		 * every other closed first: docs/governor.md).
		 */
		if (have_hits && tr->probe_seconds[probe] > 0)
			rate = (double)(c.hits[probe] + 1) / tr->probe_seconds[probe];
		link_closer_add(&tr->obj->closer, links->perf[i], rate, &tr->retiring);
	}
}

/* Closes links off the event loop, leaving links empty. */
static void retire(struct tracer *tr, struct group_links *links)
{
	retire_multi_links(tr, links);
	retire_perf_links(tr, links);
	memset(links, 0, sizeof(*links));
}

uint64_t tracer_detach_group(struct tracer *tr, enum probe_group group)
{
	uint64_t gone;

	count_group_ops(tr, group, 0);
	gone = monotonic_ns();
	if (gone < tr->counted_until_ns[group])
		tr->counted_until_ns[group] = gone;
	retire(tr, &tr->links[group]);
	return gone;
}

void tracer_stop_counting(struct tracer *tr)
{
	uint64_t now;
	int group;

	for (group = 0; group < PROBE_GROUPS; group++)
		count_group_ops(tr, group, 0);
	now = monotonic_ns();
	for (group = 0; group < PROBE_GROUPS; group++)
		if (now < tr->counted_until_ns[group])
			tr->counted_until_ns[group] = now;
}

double tracer_counted_seconds(const struct tracer *tr, unsigned int op)
{
	int group;

	for (group = 0; group < PROBE_GROUPS; group++) {
		const uint64_t from = tr->attached_ns[group], until = tr->counted_until_ns[group];

		if ((probe_group_ops(group) & (1u << op)) && from && until > from &&
		    until != GML_COUNT_UNTIL_DETACHED)
			return (double)(until - from) / 1e9;
	}
	return 0;
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
		n += tr->links[i].uprobes;
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
		       const char *self_path, uint64_t file_offset, uint64_t address,
		       struct tracer_self_probe *out)
{
	struct bpf_program *prog =
		at_return ? tr->obj->skel->progs.make_map_return : handler_program(tr, handler);
	uint64_t cookie = GML_CALIBRATION_PROBE | (at_return ? GML_COOKIE_AT_RETURN : 0) |
			  (uint64_t)tracer_object_calibration_slot(tr->obj)
				  << GML_COOKIE_SLOT_SHIFT;
	struct probe_batch pb = { .n = 1 };
	int err;

	memset(out, 0, sizeof(*out));
	out->address = address;
	pb.offsets[0] = file_offset;
	pb.cookies[0] = cookie;
	err = set_cookie_by_address(tr, getpid(), address, cookie);
	if (!err)
		err = attach_batch(tr, prog, self_path, getpid(), &pb, &out->links);
	if (err)
		tracer_detach_self(tr, out);
	return err;
}

void tracer_detach_self(struct tracer *tr, struct tracer_self_probe *probe)
{
	struct gml_probe_address key = { .ip = probe->address, .tgid = (uint32_t)getpid() };

	retire(tr, &probe->links);
	if (tr->obj->path == ATTACH_PATH_PERF_IP)
		bpf_map_delete_elem(bpf_map__fd(tr->obj->skel->maps.probe_cookies), &key);
}

void tracer_wait_detached(struct tracer *tr)
{
	while (atomic_load(&tr->retiring))
		usleep(1000);
}

bool tracer_closing(const struct tracer *tr)
{
	return link_closer_busy(&tr->obj->closer);
}

int tracer_set_calibrating(struct tracer *tr, bool on)
{
	if (on)
		return tracer_object_begin_calibration(tr->obj, &tr->obj->slots[tr->slot].cfg);
	tracer_object_end_calibration(tr->obj);
	return 0;
}

/* The process's cookies by address, once its probes are gone (ATTACH_PATH_PERF_IP). */
static void forget_cookies(struct tracer *tr)
{
	int fd = bpf_map__fd(tr->obj->skel->maps.probe_cookies);
	struct gml_probe_address key, next, *prev = NULL;

	if (tr->obj->path != ATTACH_PATH_PERF_IP)
		return;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		/* After a removal the next key is found from the start's view of it. */
		if (next.tgid == (uint32_t)tr->tgid && !bpf_map_delete_elem(fd, &next))
			continue;
		key = next;
		prev = &key;
	}
}

void tracer_close(struct tracer *tr)
{
	int i;

	if (!tr->obj)
		return;
	for (i = 0; i < PROBE_GROUPS; i++) {
		retire(tr, &tr->links[i]);
		retire(tr, &tr->keepers[i]);
	}
	tracer_wait_detached(tr);
	forget_cookies(tr);
	tracer_object_give_slot(tr->obj, tr->slot, tr->op_table);
	memset(tr, 0, sizeof(*tr));
}
