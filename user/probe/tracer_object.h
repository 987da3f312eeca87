/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF object every traced process shares, loaded once: its programs,
 * its maps and one ring buffer. Each process takes a slot (a struct tracer,
 * tracer.h): its configuration, burst deadlines, hit counters and operation
 * table live in the object under that slot, and its probes (links of its
 * own: a burst attaches one process's probes, not every process's) carry
 * the slot in their cookies. Events go to the slot whose process sent them.
 * Node mode traces up to --max-processes processes with one object instead
 * of an object, a stack table and a ring buffer each.
 */
#ifndef GOMAPLEAK_TRACER_OBJECT_H
#define GOMAPLEAK_TRACER_OBJECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gomapleak.h"
#include "kernel_features.h"
#include "link_closer.h"

struct gomapleak_bpf;
struct ring_buffer;
struct bpf_link;
struct tracer;

struct tracer_object {
	struct kernel_features kernel; /* what the running kernel offers */
	enum attach_path path;	       /* how probes are attached, by what it offers */
	struct gomapleak_bpf *skel;
	struct ring_buffer *events;
	struct bpf_link *exec_link; /* raw tracepoint sched_process_exec */
	struct gml_slot *slots;	    /* the slots map, mapped into this process */
	size_t slots_len;	    /* bytes mapped */
	unsigned int nslots;	    /* the processes' slots, then the calibration's */
	struct tracer **tracers;    /* by slot; NULL: free */
	int calibration_table;	    /* while calibrating, its slot's operation table; else 0 */
	struct link_closer closer;  /* every tracer's perf-event uprobes, closed busiest first */
};

struct tracer_object_options {
	unsigned int processes; /* traced at once */
	enum attach_path path;	/* asked for: ATTACH_PATH_AUTO for the best the kernel has */
	int verbose;		/* a program the verifier refuses: its log's last lines on stderr */
};

/*
 * Probes the kernel, chooses the attach path and loads the object; on
 * failure why says why (what the kernel lacks, or the verifier's reason).
 */
int tracer_object_open(struct tracer_object *o, const struct tracer_object_options *opts, char *why,
		       size_t why_len);
/*
 * A free slot for tr (its tgid set), its counters zeroed, a new operation
 * table in place (*table: its descriptor) and the tgid known to the exec
 * tracepoint; -ENOSPC when every slot is taken.
 */
int tracer_object_take_slot(struct tracer_object *o, struct tracer *tr, int *table);
/* The slot is free again, its tgid forgotten, its table closed. Its queued events are dropped. */
void tracer_object_give_slot(struct tracer_object *o, unsigned int slot, int table);
/* The slot the calibration's probes (gomapleak's own code) use. */
unsigned int tracer_object_calibration_slot(const struct tracer_object *o);
/*
 * From now, gomapleak's own hits of the calibration slot's probes run the
 * whole programs with cfg, as the target's do, into a table of their own;
 * until the end, which drops what they counted.
 */
int tracer_object_begin_calibration(struct tracer_object *o, const struct gml_config *cfg);
void tracer_object_end_calibration(struct tracer_object *o);
/* Readable when events are queued (the reader was woken). */
int tracer_object_events_fd(const struct tracer_object *o);
/* Hands the queued events to their processes' tracers; returns how many, or a negative errno. */
int tracer_object_consume(struct tracer_object *o);
/* The next event wakes the reader at once (it stopped draining on a timer). */
void tracer_object_set_reader_idle(struct tracer_object *o);
/* Sums the per-CPU counters first..first+n of a per-CPU array map into out. */
int tracer_object_sum_percpu(int map_fd, uint32_t first, uint64_t *out, uint32_t n);
void tracer_object_close(struct tracer_object *o);

#endif /* GOMAPLEAK_TRACER_OBJECT_H */
