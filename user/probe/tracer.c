// SPDX-License-Identifier: GPL-2.0
#include "tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static int load_failed(int err, char *why, size_t why_len)
{
	return error_set(why, why_len, err, "failed to load the BPF program: %s%s", strerror(-err),
			 err == -EPERM ? " (needs CAP_BPF and CAP_PERFMON, or root)" : "");
}

int tracer_open(struct tracer *tr, const struct gml_config *cfg, char *why, size_t why_len)
{
	int err;

	memset(tr, 0, sizeof(*tr));
	tr->skel = gomapleak_bpf__open();
	if (!tr->skel)
		return load_failed(errno ? -errno : -ENOMEM, why, why_len);
	tr->skel->rodata->cfg = *cfg;
	err = gomapleak_bpf__load(tr->skel);
	if (err) {
		gomapleak_bpf__destroy(tr->skel);
		tr->skel = NULL;
		return load_failed(err, why, why_len);
	}
	return 0;
}

static struct bpf_program *handler_program(struct tracer *tr, enum probe_handler handler)
{
	switch (handler) {
	case PROBE_MAKEMAP:
		return tr->skel->progs.make_map;
	case PROBE_MAKEMAP_SMALL:
		return tr->skel->progs.make_map_small;
	case PROBE_HASH_GROW:
		return tr->skel->progs.hash_grow;
	case PROBE_SWISS_GROW_TO_SMALL:
		return tr->skel->progs.swiss_grow_to_small;
	case PROBE_SWISS_GROW_TO_TABLE:
		return tr->skel->progs.swiss_grow_to_table;
	case PROBE_SWISS_TABLE_GROW:
		return tr->skel->progs.swiss_table_grow;
	case PROBE_SWISS_TABLE_SPLIT:
		return tr->skel->progs.swiss_table_split;
	case PROBE_INSERT:
		return tr->skel->progs.map_insert;
	case PROBE_DELETE:
		return tr->skel->progs.map_delete;
	case PROBE_CLEAR:
		return tr->skel->progs.map_clear;
	case PROBE_OVERFLOW:
		return tr->skel->progs.map_overflow;
	}
	return NULL;
}

static int attach_one(struct tracer *tr, struct bpf_program *prog, const char *binary, pid_t pid,
		      uint64_t file_offset, uint64_t cookie, enum probe_group group)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	struct bpf_link *link;

	if (tr->nlinks == GML_MAX_LINKS)
		return -E2BIG;
	opts.bpf_cookie = cookie;
	link = bpf_program__attach_uprobe_opts(prog, pid, binary, file_offset, &opts);
	if (!link)
		return -errno;
	tr->link_group[tr->nlinks] = group;
	tr->links[tr->nlinks++] = link;
	return 0;
}

/* One uprobe at vaddr of site; on failure why names the function and offset. */
static int attach_at(struct tracer *tr, const struct goelf *ge, const struct probe_site *site,
		     struct bpf_program *prog, uint64_t vaddr, uint64_t cookie, const char *binary,
		     pid_t pid, char *why, size_t why_len)
{
	uint64_t offset;
	int err = goelf_vaddr_to_offset(ge, vaddr, &offset);

	if (!err)
		err = attach_one(tr, prog, binary, pid, offset, cookie, site->spec->group);
	if (err)
		error_set(why, why_len, err, "failed to attach uprobe to %s+0x%llx in %s: %s",
			  site->spec->func, (unsigned long long)(vaddr - site->func.entry), binary,
			  strerror(-err));
	return err;
}

/* The entry probe, and for functions whose result matters a probe on each RET. */
static int attach_site(struct tracer *tr, const struct goelf *ge, const struct probe_site *site,
		       int index, const char *binary, pid_t pid, char *why, size_t why_len)
{
	uint64_t cookie = (uint64_t)index;
	int i, err;

	if (site->choice.at_stack_check_jump)
		cookie |= GML_COOKIE_AT_STACK_CHECK_JUMP;
	err = attach_at(tr, ge, site, handler_program(tr, site->spec->handler), site->choice.vaddr,
			cookie, binary, pid, why, why_len);
	if (err || !probe_handler_reads_result(site->spec->handler))
		return err;
	for (i = 0; i < site->nrets && !err; i++)
		err = attach_at(tr, ge, site, tr->skel->progs.make_map_return, site->rets[i],
				(uint64_t)index | GML_COOKIE_AT_RETURN, binary, pid, why, why_len);
	return err;
}

/* The target's execve, reported as a GML_EV_EXEC event. */
static int attach_exec_watch(struct tracer *tr, char *why, size_t why_len)
{
	struct bpf_link *link = bpf_program__attach_raw_tracepoint(tr->skel->progs.target_exec,
								   "sched_process_exec");

	if (!link) {
		int err = -errno;

		return error_set(why, why_len, err,
				 "failed to attach to raw tracepoint sched_process_exec: %s",
				 strerror(-err));
	}
	tr->exec_link = link;
	return 0;
}

int tracer_watch_exec(struct tracer *tr, char *why, size_t why_len)
{
	return attach_exec_watch(tr, why, why_len);
}

int tracer_attach_group(struct tracer *tr, const struct probe_plan *plan, enum probe_group group,
			const struct goelf *ge, const char *binary, pid_t pid, char *why,
			size_t why_len)
{
	const struct probe_site *site;
	int i, err;

	for (i = 0; i < plan->nsites; i++) {
		site = &plan->sites[i];
		if (site->status != PROBE_OK || site->spec->group != group)
			continue;
		err = attach_site(tr, ge, site, i, binary, pid, why, why_len);
		if (err) {
			tracer_detach_group(tr, group);
			return err;
		}
	}
	return 0;
}

void tracer_detach_group(struct tracer *tr, enum probe_group group)
{
	int i, kept = 0;

	for (i = 0; i < tr->nlinks; i++) {
		if (tr->link_group[i] == group) {
			bpf_link__destroy(tr->links[i]);
			continue;
		}
		tr->links[kept] = tr->links[i];
		tr->link_group[kept++] = tr->link_group[i];
	}
	tr->nlinks = kept;
}

static int ring_event(void *ctx, void *data, size_t size)
{
	struct tracer *tr = ctx;

	if (size < sizeof(struct gml_event))
		return 0;
	return tr->on_event(tr->on_event_ctx, data);
}

int tracer_start_events(struct tracer *tr, tracer_event_fn fn, void *ctx, char *why, size_t why_len)
{
	tr->on_event = fn;
	tr->on_event_ctx = ctx;
	tr->events = ring_buffer__new(bpf_map__fd(tr->skel->maps.events), ring_event, tr, NULL);
	if (!tr->events)
		return error_set(why, why_len, -errno, "failed to open the ring buffer: %s",
				 strerror(errno));
	return 0;
}

int tracer_events_fd(const struct tracer *tr)
{
	return ring_buffer__epoll_fd(tr->events);
}

int tracer_consume(struct tracer *tr)
{
	return ring_buffer__consume(tr->events);
}

/* Sums a per-CPU array of counters into out[0..n). */
static int sum_percpu(int map_fd, uint64_t *out, uint32_t n)
{
	int ncpu = libbpf_num_possible_cpus(), cpu, err = 0;
	uint64_t *values;
	uint32_t key;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	values = calloc(ncpu, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (key = 0; key < n && !err; key++) {
		if (bpf_map_lookup_elem(map_fd, &key, values)) {
			err = -errno;
			break;
		}
		out[key] = 0;
		for (cpu = 0; cpu < ncpu; cpu++)
			out[key] += values[cpu];
	}
	free(values);
	return err;
}

int tracer_read_counters(const struct tracer *tr, struct tracer_counters *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	err = sum_percpu(bpf_map__fd(tr->skel->maps.probe_hits), out->hits, GML_MAX_PROBES);
	if (!err)
		err = sum_percpu(bpf_map__fd(tr->skel->maps.events_lost), &out->lost, 1);
	if (!err)
		err = sum_percpu(bpf_map__fd(tr->skel->maps.ops_lost), &out->ops_lost, 1);
	return err;
}

int tracer_lookup_stack(const struct tracer *tr, uint64_t hash, struct gml_stack *out)
{
	return bpf_map_lookup_elem(bpf_map__fd(tr->skel->maps.stacks), &hash, out) ? -errno : 0;
}

/* Every (map, caller, operation) counter the BPF side keeps (one hash, not per CPU). */
int tracer_for_each_op(const struct tracer *tr, tracer_op_fn fn, void *ctx)
{
	int fd = bpf_map__fd(tr->skel->maps.op_counts);
	struct gml_op_key key, next;
	struct gml_op_key *prev = NULL;
	uint64_t count;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, &count))
			fn(ctx, &next, count);
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}

void tracer_close(struct tracer *tr)
{
	int i;

	ring_buffer__free(tr->events);
	for (i = 0; i < tr->nlinks; i++)
		bpf_link__destroy(tr->links[i]);
	bpf_link__destroy(tr->exec_link);
	gomapleak_bpf__destroy(tr->skel);
	memset(tr, 0, sizeof(*tr));
}
