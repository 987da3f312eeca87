/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One traced process on the BPF side: its slot in the shared object
 * (tracer_object.h), its probes attached and detached by group, its
 * counters and operation table read and drained.
 */
#ifndef GOMAPLEAK_TRACER_H
#define GOMAPLEAK_TRACER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gomapleak.h"
#include "probes.h"
#include "tracer_object.h"

typedef int (*tracer_event_fn)(void *ctx, const struct gml_event *event);

/* Uprobes of a group: entries plus the RETs of functions whose results are read. */
#define TRACER_MAX_UPROBES (4 * GML_MAX_PROBES)
/* uprobe_multi links a group may have: one a program (Swiss growth has four, creation up to four).
 */
#define TRACER_MULTI_LINKS 4

struct bpf_link;

/*
 * A group's probes as the object's attach path has them: uprobe_multi
 * links, one a program, or perf-event uprobes, one a probe.
 */
struct group_links {
	int multi_fd[TRACER_MULTI_LINKS]; /* 0 none */
	struct bpf_link *perf[TRACER_MAX_UPROBES];
	uint16_t perf_probe[TRACER_MAX_UPROBES];       /* each one's probe index in the plan */
	uint64_t perf_attached_ns[TRACER_MAX_UPROBES]; /* CLOCK_MONOTONIC: when each went in */
	int nperf;
	int uprobes; /* the probes they hold */
};

struct tracer {
	struct tracer_object *obj;
	unsigned int slot;
	pid_t tgid;
	uint64_t load_bias; /* what the kernel added to the binary's addresses in the process */
	int op_table;	    /* the slot's operation table (map, caller, operation) */
	struct group_links links[PROBE_GROUPS];
	/*
	 * A bursted group's keepers: links on the same probes for gomapleak's
	 * own process, which never maps the target's binary, so they install no
	 * breakpoint; none yet. They keep the kernel's uprobes alive between
	 * bursts (tracer_attach_burst()).
	 */
	struct group_links keepers[PROBE_GROUPS];
	bool kept[PROBE_GROUPS]; /* its keepers were tried */
	/*
	 * CLOCK_MONOTONIC: when the group's operations began to be counted, all
	 * its probes in, and until when (a burst's deadline, or its detach if
	 * sooner; GML_COUNT_UNTIL_DETACHED while attached for good).
	 */
	uint64_t attach_began_ns[PROBE_GROUPS]; /* when its last attach began */
	uint64_t attached_ns[PROBE_GROUPS];
	uint64_t counted_until_ns[PROBE_GROUPS];
	atomic_int retiring; /* links being destroyed on threads of their own */
	/*
	 * Seconds each probe was attached (perf-event uprobes), over the
	 * session: with its hit counter, the rate its close is queued by.
	 */
	double probe_seconds[GML_MAX_PROBES];
	tracer_event_fn on_event;
	void *on_event_ctx;
};

struct tracer_counters {
	uint64_t hits[GML_MAX_PROBES];
	uint64_t lost;	   /* events the ring buffer had no room for */
	uint64_t ops_lost; /* operations not counted: the counter table was full */
};

void tracer_set_verbose(int verbose);
/*
 * Takes a slot of obj for cfg's process (cfg->target_tgid), whose binary is
 * loaded load_bias above its addresses; on failure why says why. Its
 * events, the target's execve (GML_EV_EXEC) among them, go to the function
 * tracer_on_events gives.
 */
int tracer_open(struct tracer *tr, struct tracer_object *obj, const struct gml_config *cfg,
		uint64_t load_bias, char *why, size_t why_len);
/*
 * Attaches the plan's sites of one group (the governor says which are
 * attached); on failure none of the group stays attached and why says which
 * function and offset failed.
 */
int tracer_attach_group(struct tracer *tr, const struct probe_plan *plan, enum probe_group group,
			const struct goelf *ge, const char *binary, pid_t pid, char *why,
			size_t why_len);
/* tracer_attach_burst()'s site for every site of the group. */
#define TRACER_ALL_SITES (-1)
/*
 * The same for a burst of the group, or of one of its sites (the plan's
 * index): its operations are counted for count_ns from when its probes
 * are all in (the BPF side checks the deadline), however late the detach
 * comes.
 */
int tracer_attach_burst(struct tracer *tr, const struct probe_plan *plan, enum probe_group group,
			int site, const struct goelf *ge, const char *binary, pid_t pid,
			uint64_t count_ns, char *why, size_t why_len);
/*
 * Detaches one group's probes (the governor's call); the rest stay. Its
 * operations are no longer counted when it returns; the links close on
 * threads of their own (tracer_close waits for them). Returns when the
 * probes began to go (CLOCK_MONOTONIC nanoseconds); tr->attached_ns[group]
 * holds when the counting started, tr->counted_until_ns[group] when it stopped.
 */
uint64_t tracer_detach_group(struct tracer *tr, enum probe_group group);
/*
 * Stops counting every group's operations now (the probes stay): counts
 * read after cover from each group's attach to this call exactly, however
 * long the attach and the read took (--exact's summary).
 */
void tracer_stop_counting(struct tracer *tr);
/*
 * Seconds the operation (enum gml_op) was counted since its group's last
 * attach, once its counting stopped (a burst's deadline, a detach,
 * tracer_stop_counting()); 0 while it still counts or if never attached.
 */
double tracer_counted_seconds(const struct tracer *tr, unsigned int op);
/* The process's events, from tracer_object_consume. */
void tracer_on_events(struct tracer *tr, tracer_event_fn fn, void *ctx);
/* Uprobes attached now: entries and RETs, on any attach path. */
int tracer_uprobes(const struct tracer *tr);
int tracer_read_counters(const struct tracer *tr, struct tracer_counters *out);
int tracer_lookup_stack(const struct tracer *tr, uint64_t hash, struct gml_stack *out);

typedef void (*tracer_op_fn)(void *ctx, const struct gml_op_key *key,
			     const struct gml_op_value *value);
int tracer_for_each_op(const struct tracer *tr, tracer_op_fn fn, void *ctx);
/*
 * The hits the group may take before the BPF side reports its burst spent
 * (a GML_EV_BURST_SPENT event, at once); 0: no limit. Returns when it was
 * set (CLOCK_MONOTONIC nanoseconds): an earlier report is a past burst's.
 */
uint64_t tracer_limit_burst_hits(struct tracer *tr, enum probe_group group, uint64_t hits);
/* Reads and removes the counters of the operations in op_mask (bits 1 << enum gml_op). */
int tracer_drain_ops(struct tracer *tr, unsigned int op_mask, tracer_op_fn fn, void *ctx);
/*
 * The calibration's probes, on gomapleak's own code (calibrate.h): handler's
 * program at file_offset of self_path (address in this process), or with
 * at_return the program every RET of makemap gets, under
 * GML_CALIBRATION_PROBE in the calibration's slot.
 */
struct tracer_self_probe {
	struct group_links links;
	uint64_t address;
};

int tracer_attach_self(struct tracer *tr, enum probe_handler handler, bool at_return,
		       const char *self_path, uint64_t file_offset, uint64_t address,
		       struct tracer_self_probe *out);
/* Detaches a calibration probe: its breakpoint is gone when this returns. */
void tracer_detach_self(struct tracer *tr, struct tracer_self_probe *probe);
/* Waits until every link detached so far is gone for good. */
void tracer_wait_detached(struct tracer *tr);
/*
 * Whether perf-event uprobes (of any process of the object) are being
 * closed or wait to be: a probe closed now would wait its turn, trapping.
 */
bool tracer_closing(const struct tracer *tr);
/*
 * While on, gomapleak's own hits run the whole programs, as the target's do
 * (with tr's configuration); off drops what they counted.
 */
int tracer_set_calibrating(struct tracer *tr, bool on);
/* Detaches everything and gives the slot back. */
void tracer_close(struct tracer *tr);

#endif /* GOMAPLEAK_TRACER_H */
