// SPDX-License-Identifier: GPL-2.0
#include "tracer_object.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "error.h"
#include "gomapleak.skel.h"
#include "tracer.h"
#include "uprobe_multi.h"
#include "verifier_log.h"

/*
 * The verifier's log of a program it refuses, kept for the message: a
 * verifier before Linux 6.4 fails a load whose log overflows with ENOSPC
 * instead of its reason, so the buffer is large (its pages are touched
 * only as far as the log goes, and it lives for the load only).
 */
#define VERIFIER_LOG_BYTES (8u << 20)
/* Lines of a refused program's log that -v shows. */
#define VERIFIER_LOG_TAIL 24

/*
 * Why a load was not permitted: the capabilities, or before Linux 5.11 the
 * memlock limit that BPF memory counts against, where libbpf could not
 * raise it (no CAP_SYS_RESOURCE).
 */
static const char *not_permitted_hint(const struct tracer_object *o, char *buf, size_t len)
{
	struct rlimit memlock;

	if (o->kernel.memcg_accounting || getrlimit(RLIMIT_MEMLOCK, &memlock) ||
	    memlock.rlim_cur == RLIM_INFINITY)
		return " (needs CAP_BPF and CAP_PERFMON, or root)";
	snprintf(buf, len,
		 " (kernel %s counts BPF memory against the memlock limit, %llu KiB here: "
		 "raise it, e.g. ulimit -l unlimited, or grant CAP_SYS_RESOURCE)",
		 o->kernel.release, (unsigned long long)memlock.rlim_cur / 1024);
	return buf;
}

static int load_failed(const struct tracer_object *o, int err, char *why, size_t why_len)
{
	char hint[256];

	return error_set(why, why_len, err, "failed to load the BPF program: %s%s", strerror(-err),
			 err == -EPERM ? not_permitted_hint(o, hint, sizeof(hint)) : "");
}

/* The first program the load did not get to load: the one the verifier refused. */
static const char *refused_program(struct gomapleak_bpf *skel)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj) if (bpf_program__autoload(prog) &&
							  bpf_program__fd(prog) <
								  0) return bpf_program__name(prog);
	return NULL;
}

/*
 * A load that failed: the verifier's reason and the program it refused
 * when its log says so, else what the load returned.
 */
static int load_refused(const struct tracer_object *o, int err, const char *log, int verbose,
			char *why, size_t why_len)
{
	const char *prog = refused_program(o->skel), *reason, *tail;
	int len;

	if (!prog || err == -EPERM || !*log)
		return load_failed(o, err, why, why_len);
	len = verifier_log_reason(log, &reason);
	if (verbose) {
		len = verifier_log_tail(log, VERIFIER_LOG_TAIL, &tail);
		fprintf(stderr, "gomapleak: the verifier's log of %s, its last lines:\n%.*s", prog,
			len, tail);
		len = verifier_log_reason(log, &reason);
	}
	return error_set(
		why, why_len, err, "the verifier of kernel %s refused BPF program %s: %.*s%s",
		o->kernel.release, prog, len, reason, verbose ? "" : " (-v shows its log)");
}

/* Programs attached as uprobe_multi links load as such (tracer.c says why they are best). */
static void set_multi_programs(struct gomapleak_bpf *skel)
{
	struct bpf_program *progs[] = {
		skel->progs.map_insert,		 skel->progs.map_delete,
		skel->progs.map_clear,		 skel->progs.map_overflow,
		skel->progs.hash_grow,		 skel->progs.swiss_grow_to_small,
		skel->progs.swiss_grow_to_table, skel->progs.swiss_table_grow,
		skel->progs.swiss_table_split,	 skel->progs.make_map,
		skel->progs.make_map_small,	 skel->progs.make_map_return,
		skel->progs.make_map_allocated,
	};
	size_t i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		bpf_program__set_expected_attach_type(progs[i], GML_BPF_TRACE_UPROBE_MULTI);
}

/*
 * Tables sized for the slots. The stack table and the ring buffer are shared:
 * a few processes get more room than one, not one's room each (stacks of one
 * binary are the same words in every process running it).
 */
static int size_maps(struct gomapleak_bpf *skel, unsigned int nslots, enum attach_path path)
{
	unsigned int scale = nslots > 4 ? 4 : nslots > 2 ? 2 : 1;
	/* Every probe of every slot where cookies go by address; none used elsewhere. */
	uint32_t cookies = path == ATTACH_PATH_PERF_IP ? nslots * TRACER_MAX_UPROBES : 1;
	const struct {
		struct bpf_map *map;
		uint32_t entries;
	} sizes[] = {
		{ skel->maps.slots, nslots },
		{ skel->maps.traced_tgids, nslots },
		{ skel->maps.op_counts, nslots },
		{ skel->maps.probe_hits, nslots * GML_MAX_PROBES },
		{ skel->maps.events_lost, nslots },
		{ skel->maps.ops_lost, nslots },
		{ skel->maps.stacks, GML_MAX_STACKS * scale },
		{ skel->maps.events, GML_RINGBUF_BYTES * scale },
		{ skel->maps.probe_cookies, cookies },
	};
	size_t i;
	int err;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		err = bpf_map__set_max_entries(sizes[i].map, sizes[i].entries);
		if (err)
			return err;
	}
	return 0;
}

/* An operation table for a slot, like the object's template (op_counts_table in the BPF code). */
static int new_op_table(struct tracer_object *o, unsigned int slot)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "op_counts_slot", sizeof(struct gml_op_key),
				sizeof(struct gml_op_value), GML_MAX_OP_COUNTERS, &opts);
	uint32_t key = slot;

	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(bpf_map__fd(o->skel->maps.op_counts), &key, &fd, BPF_ANY)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int map_slots(struct tracer_object *o)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)o->nslots * sizeof(struct gml_slot);
	void *slots;

	len = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	slots = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		     bpf_map__fd(o->skel->maps.slots), 0);
	if (slots == MAP_FAILED)
		return -errno;
	o->slots = slots;
	o->slots_len = len;
	return 0;
}

/* A traced process ran execve: reported as a GML_EV_EXEC event to its slot. */
static int attach_exec_watch(struct tracer_object *o, char *why, size_t why_len)
{
	o->exec_link = bpf_program__attach_raw_tracepoint(o->skel->progs.target_exec,
							  "sched_process_exec");
	if (!o->exec_link) {
		int err = -errno;

		return error_set(why, why_len, err,
				 "failed to attach to raw tracepoint sched_process_exec: %s",
				 strerror(-err));
	}
	return 0;
}

/* An event to the tracer of the process that sent it; one of a slot given up is dropped. */
static int dispatch_event(void *ctx, void *data, size_t size)
{
	struct tracer_object *o = ctx;
	const struct gml_event *e = data;
	unsigned int i;

	if (size < sizeof(*e))
		return 0;
	for (i = 0; i + 1 < o->nslots; i++) {
		struct tracer *tr = o->tracers[i];

		if (tr && tr->tgid == (pid_t)e->pid && tr->on_event)
			return tr->on_event(tr->on_event_ctx, e);
	}
	return 0;
}

static int open_events(struct tracer_object *o, char *why, size_t why_len)
{
	o->events = ring_buffer__new(bpf_map__fd(o->skel->maps.events), dispatch_event, o, NULL);
	if (!o->events)
		return error_set(why, why_len, -errno, "failed to open the ring buffer: %s",
				 strerror(errno));
	return 0;
}

/* The object's programs and maps for o->path, loaded, its verifier log in log. */
static int load_programs(struct tracer_object *o, char *log, int verbose, char *why, size_t why_len)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .kernel_log_buf = log,
		    .kernel_log_size = VERIFIER_LOG_BYTES);
	int err;

	o->skel = gomapleak_bpf__open_opts(&opts);
	if (!o->skel)
		return load_failed(o, errno ? -errno : -ENOMEM, why, why_len);
	if (o->path == ATTACH_PATH_UPROBE_MULTI)
		set_multi_programs(o->skel);
	o->skel->rodata->cookies_by_address = o->path == ATTACH_PATH_PERF_IP;
	err = size_maps(o->skel, o->nslots, o->path);
	if (err)
		return load_failed(o, err, why, why_len);
	log[0] = 0;
	err = gomapleak_bpf__load(o->skel);
	return err ? load_refused(o, err, log, verbose, why, why_len) : 0;
}

static int load(struct tracer_object *o, int verbose, char *why, size_t why_len)
{
	char *log = malloc(VERIFIER_LOG_BYTES);
	int err;

	if (!log)
		return error_set(why, why_len, -ENOMEM, "out of memory");
	err = load_programs(o, log, verbose, why, why_len);
	free(log);
	if (err)
		return err;
	err = map_slots(o);
	return err ? load_failed(o, err, why, why_len) : 0;
}

int tracer_object_open(struct tracer_object *o, const struct tracer_object_options *opts, char *why,
		       size_t why_len)
{
	int err;

	memset(o, 0, sizeof(*o));
	link_closer_init(&o->closer, NULL);
	kernel_features_probe(&o->kernel);
	err = attach_path_choose(&o->kernel, opts->path, &o->path, why, why_len);
	if (err)
		return err;
	o->nslots = opts->processes + 1;
	o->tracers = calloc(o->nslots, sizeof(*o->tracers));
	if (!o->tracers)
		return error_set(why, why_len, -ENOMEM, "out of memory");
	err = load(o, opts->verbose, why, why_len);
	if (!err)
		err = attach_exec_watch(o, why, why_len);
	if (!err)
		err = open_events(o, why, why_len);
	if (err)
		tracer_object_close(o);
	return err;
}

/* Zeroes the per-CPU counters first..first+n of a per-CPU array map. */
static int zero_percpu(int map_fd, uint32_t first, uint32_t n)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	uint64_t *zeros;
	uint32_t key;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	zeros = calloc((size_t)ncpu, sizeof(*zeros));
	if (!zeros)
		return -ENOMEM;
	for (key = first; key < first + n && !err; key++)
		err = bpf_map_update_elem(map_fd, &key, zeros, BPF_ANY) ? -errno : 0;
	free(zeros);
	return err;
}

/* A slot given up keeps its last process's counts: the next one starts from zero. */
static int zero_counters(struct tracer_object *o, unsigned int slot)
{
	int err = zero_percpu(bpf_map__fd(o->skel->maps.probe_hits), slot * GML_MAX_PROBES,
			      GML_MAX_PROBES);

	if (!err)
		err = zero_percpu(bpf_map__fd(o->skel->maps.events_lost), slot, 1);
	if (!err)
		err = zero_percpu(bpf_map__fd(o->skel->maps.ops_lost), slot, 1);
	return err;
}

/* A slot's state cleared, its operation table dropped: a process's, or the calibration's. */
static void clear_slot(struct tracer_object *o, unsigned int slot, int table)
{
	uint32_t key = slot;

	/* Its probes drop their hits from here on, before the rest is cleared. */
	__atomic_store_n(&o->slots[slot].cfg.target_tgid, 0, __ATOMIC_SEQ_CST);
	memset(&o->slots[slot], 0, sizeof(o->slots[slot]));
	bpf_map_delete_elem(bpf_map__fd(o->skel->maps.op_counts), &key);
	if (table > 0)
		close(table);
}

int tracer_object_take_slot(struct tracer_object *o, struct tracer *tr, int *table)
{
	uint32_t tgid = (uint32_t)tr->tgid;
	unsigned int slot;
	int err;

	for (slot = 0; slot + 1 < o->nslots && o->tracers[slot]; slot++)
		;
	if (slot + 1 == o->nslots)
		return -ENOSPC;
	err = zero_counters(o, slot);
	if (err)
		return err;
	*table = new_op_table(o, slot);
	if (*table < 0)
		return *table;
	/* The exec tracepoint finds the slot by the process's tgid. */
	if (bpf_map_update_elem(bpf_map__fd(o->skel->maps.traced_tgids), &tgid, &slot, BPF_ANY)) {
		err = -errno;
		clear_slot(o, slot, *table);
		return err;
	}
	memset(&o->slots[slot], 0, sizeof(o->slots[slot]));
	o->tracers[slot] = tr;
	return (int)slot;
}

void tracer_object_give_slot(struct tracer_object *o, unsigned int slot, int table)
{
	uint32_t tgid = (uint32_t)o->tracers[slot]->tgid;

	clear_slot(o, slot, table);
	bpf_map_delete_elem(bpf_map__fd(o->skel->maps.traced_tgids), &tgid);
	o->tracers[slot] = NULL;
}

unsigned int tracer_object_calibration_slot(const struct tracer_object *o)
{
	return o->nslots - 1;
}

int tracer_object_begin_calibration(struct tracer_object *o, const struct gml_config *cfg)
{
	struct gml_slot *cal = &o->slots[tracer_object_calibration_slot(o)];
	unsigned int op;
	int fd = new_op_table(o, tracer_object_calibration_slot(o));

	if (fd < 0)
		return fd;
	o->calibration_table = fd;
	memset(cal, 0, sizeof(*cal));
	/* Its hits run the whole program, counting included, a burst's deadline checked. */
	for (op = 0; op < GML_OP_KINDS; op++)
		cal->count_ops_until[op] = GML_COUNT_UNTIL_DETACHED - 1;
	cal->cfg = *cfg;
	__atomic_store_n(&cal->cfg.target_tgid, (uint32_t)getpid(), __ATOMIC_SEQ_CST);
	return 0;
}

void tracer_object_end_calibration(struct tracer_object *o)
{
	clear_slot(o, tracer_object_calibration_slot(o), o->calibration_table);
	o->calibration_table = 0;
}

int tracer_object_events_fd(const struct tracer_object *o)
{
	return ring_buffer__epoll_fd(o->events);
}

int tracer_object_consume(struct tracer_object *o)
{
	return ring_buffer__consume(o->events);
}

void tracer_object_set_reader_idle(struct tracer_object *o)
{
	__atomic_store_n(&o->skel->bss->reader_idle, 1, __ATOMIC_SEQ_CST);
}

/* out[i] += the per-CPU values of key first + i, for the count keys read into keys and values. */
static void add_percpu(const uint32_t *keys, const uint64_t *values, uint32_t count, int ncpu,
		       uint32_t first, uint64_t *out, uint32_t n)
{
	uint32_t i;
	int cpu;

	for (i = 0; i < count; i++) {
		if (keys[i] < first || keys[i] - first >= n)
			continue;
		for (cpu = 0; cpu < ncpu; cpu++)
			out[keys[i] - first] += values[(size_t)i * ncpu + cpu];
	}
}

/*
 * All n at once, from the key after the one given (none: the first); past
 * the last entry the kernel says ENOENT with count set. Linux 5.10's per-CPU
 * arrays have no batched lookup (ENOTSUPP): there, key by key, where a key
 * past the array's end is ENOENT.
 */
static int lookup_percpu(int map_fd, uint32_t first, uint32_t n, uint32_t *keys, uint64_t *values,
			 uint32_t *count, int ncpu)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t batch, before = first - 1, i;

	*count = n;
	if (!bpf_map_lookup_batch(map_fd, first ? &before : NULL, &batch, keys, values, count,
				  &opts) ||
	    errno == ENOENT)
		return 0;
	/* The kernel's own ENOTSUPP (524), as Linux 5.10 answers, has no libc name. */
	if (errno != EINVAL && errno != ENOTSUP && errno != EOPNOTSUPP && errno != 524)
		return -errno;
	for (i = 0, *count = 0; i < n; i++) {
		keys[*count] = first + i;
		if (!bpf_map_lookup_elem(map_fd, &keys[*count], &values[(size_t)*count * ncpu]))
			(*count)++;
		else if (errno != ENOENT)
			return -errno;
	}
	return 0;
}

int tracer_object_sum_percpu(int map_fd, uint32_t first, uint64_t *out, uint32_t n)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	uint32_t *keys, count = 0;
	uint64_t *values;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	keys = calloc(n, sizeof(*keys));
	values = calloc((size_t)n * ncpu, sizeof(*values));
	err = keys && values ? lookup_percpu(map_fd, first, n, keys, values, &count, ncpu)
			     : -ENOMEM;
	if (!err) {
		memset(out, 0, n * sizeof(*out));
		add_percpu(keys, values, count, ncpu, first, out, n);
	}
	free(keys);
	free(values);
	return err;
}

void tracer_object_close(struct tracer_object *o)
{
	link_closer_stop(&o->closer);
	ring_buffer__free(o->events);
	bpf_link__destroy(o->exec_link);
	if (o->calibration_table > 0)
		close(o->calibration_table);
	if (o->slots)
		munmap(o->slots, o->slots_len);
	gomapleak_bpf__destroy(o->skel);
	free(o->tracers);
	memset(o, 0, sizeof(*o));
}
