/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the BPF program and user space: the event records the
 * ring buffer carries and the read-only configuration user space fills in
 * before load. Fixed-width fields only; sizes are pinned by static asserts.
 */
#ifndef GOMAPLEAK_H
#define GOMAPLEAK_H

#ifdef __bpf__
#include <linux/types.h>
#else
#include <linux/types.h>
#include <assert.h>
#endif

/* Upper bound on a process's probes; also its share of the hit-counter array. */
#define GML_MAX_PROBES 64

/* Frames kept per call stack: the return address at [RSP], then the frame-pointer chain. */
#define GML_STACK_DEPTH 16
/*
 * The events ring buffer, and how full it may get before an event wakes the
 * reader. Below the mark events are submitted without a wakeup (a wakeup is
 * an IPI from the target's context, a VM exit on virtual machines); user
 * space drains every GML_DRAIN_MS instead: each drain is a wakeup that can
 * take a CPU from the target (a preemption), so as seldom as the lag that
 * alerts and /metrics may have allows.
 */
#define GML_RINGBUF_BYTES (1u << 20)
#define GML_WAKEUP_BYTES  (256u << 10)
#define GML_DRAIN_MS	  100
/*
 * Drains in a row that found nothing before user space stops its timer and
 * has the next event wake it (reader_idle): a drain timer on a quiet ring
 * preempts the target for nothing (docs/performance.md). Two drains: a
 * ring quiet for 200 ms.
 */
#define GML_IDLE_DRAINS 2

/* Distinct call stacks kept in the stacks map (an LRU: old ones make room). */
#define GML_MAX_STACKS 16384

/*
 * The BPF cookie of each uprobe: the probe's index in the plan in the low 16
 * bits, flags above.
 */
#define GML_COOKIE_INDEX_MASK 0xffffu
/*
 * The probe sits on the stack-bound check's JBE. When that jump is taken the
 * function calls morestack and re-enters from its first instruction, so the
 * probe would fire twice for one call: such hits are not reported.
 */
#define GML_COOKIE_AT_STACK_CHECK_JUMP (1u << 16)
/* The probe is on one of the function's RET instructions: results are in RAX. */
#define GML_COOKIE_AT_RETURN (1u << 17)
/*
 * The probe's group plus one (0: none, as the calibration's probes): a burst
 * counts its group's hits down (burst_hits_left) and ends when they run out.
 */
#define GML_COOKIE_GROUP_SHIFT 20
#define GML_COOKIE_GROUP_MASK  0xfu
/* Probe groups the BPF side has a hit allowance for (at least user space's PROBE_GROUPS). */
#define GML_GROUPS 8
/*
 * The traced process's slot (struct gml_slot) in the BPF object all traced
 * processes share: links are per process, so the probe knows its process
 * from its cookie, without a lookup by pid.
 */
#define GML_COOKIE_SLOT_SHIFT 32
#define GML_COOKIE_SLOT_MASK  0xffffu

enum gml_event_kind {
	GML_EV_GROW = 1,
	GML_EV_CREATE = 2,	/* size: the make() hint; type 0 for makemap_small */
	GML_EV_EXEC = 3,	/* the target replaced its program: its maps are gone */
	GML_EV_BURST_SPENT = 4, /* size: the probe group whose burst took all its hits */
};

/* How a map grew; one value per growth probe. */
enum gml_grow_kind {
	GML_GROW_CLASSIC_DOUBLE = 1,	/* hashGrow, bucket count doubles */
	GML_GROW_CLASSIC_SAME_SIZE = 2, /* hashGrow, overflow compaction */
	GML_GROW_SWISS_TO_SMALL = 3,	/* (*Map).growToSmall: first group */
	GML_GROW_SWISS_TO_TABLE = 4,	/* (*Map).growToTable: first table */
	GML_GROW_SWISS_TABLE_GROW = 5,	/* (*table).grow: capacity doubles */
	GML_GROW_SWISS_TABLE_SPLIT = 6, /* (*table).split: 2 tables of 1024 */
};

/* Return addresses, innermost first; unused slots are 0. */
struct gml_stack {
	__u64 pcs[GML_STACK_DEPTH];
};

/* Map operations counted in BPF (too frequent for one event each). */
enum gml_op {
	GML_OP_INSERT = 1,   /* mapassign*: an insert or an update */
	GML_OP_DELETE = 2,   /* mapdelete* */
	GML_OP_CLEAR = 3,    /* mapclear: clear(m), or a delete-all loop */
	GML_OP_OVERFLOW = 4, /* (*hmap).newoverflow: a classic overflow bucket */
};
#define GML_OP_KINDS (GML_OP_OVERFLOW + 1) /* indexed by enum gml_op */
/* An operation's counting deadline that never comes: counted until its probes go. */
#define GML_COUNT_UNTIL_DETACHED (~0ull)

/* Distinct (map, caller, operation) counters kept for each traced process. */
#define GML_MAX_OP_COUNTERS 65536

struct gml_op_key {
	__u64 map;
	__u64 caller_pc; /* return address: the code that called the map function */
	__u32 op;	 /* enum gml_op */
	__u32 pad;
};

struct gml_op_value {
	__u64 count;
	__u64 type; /* the map type descriptor: a map found by its writes can be tracked */
};

/*
 * The plan's last probe index is never a site's: the governor's calibration
 * attaches the op programs to gomapleak's own code under it.
 */
#define GML_CALIBRATION_PROBE (GML_MAX_PROBES - 1)

struct gml_event {
	__u64 ts_ns;	 /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 map;	 /* address of the map header (hmap / maps.Map) */
	__u64 type;	 /* address of the map type descriptor */
	__u64 caller_pc; /* return address at [RSP]: the immediate caller */
	__u64 stack;	 /* hash of the call stack: its key in the stacks map */
	__u64 count;	 /* entries in the map when the probe fired */
	/* One field, named by what it holds for each kind of event. */
	union {
		__u64 b_before;	      /* GML_EV_GROW of a classic map: B before the growth */
		__u64 capacity_after; /* GML_EV_GROW of a Swiss map: the new table's capacity */
		__u64 hint;	      /* GML_EV_CREATE: make's size hint */
		__u64 group;	      /* GML_EV_BURST_SPENT: the probe group (enum probe_group) */
	};
	__u32 pid;
	__u32 tid;
	__u16 probe;	/* index of the probe in the plan */
	__u8 kind;	/* enum gml_event_kind */
	__u8 grow_kind; /* enum gml_grow_kind */
	__u32 flags;	/* GML_EVF_* */
};

/*
 * A probe's address in a process: where the kernel has no BPF cookies for
 * uprobes (before Linux 5.15), the key of the probe's cookie.
 */
struct gml_probe_address {
	__u64 ip; /* the probed instruction's address in the process */
	__u32 tgid;
	__u32 pad;
};

/* gml_event.flags */
#define GML_EVF_ON_STACK (1u << 0) /* the map header is on the goroutine's stack */

/*
 * Go struct offsets and constants for the target's version, filled in by user
 * space (Go structs carry no BTF, so there is no CO-RE for them).
 */
struct gml_go_layout {
	__u32 hmap_count_off;	   /* classic hmap.count (int) */
	__u32 hmap_b_off;	   /* classic hmap.B (u8); noverflow (u16) follows */
	__u32 load_factor_num;	   /* classic: loadFactorNum (12 in 1.21, else 13) */
	__u32 load_factor_den;	   /* classic: loadFactorDen (2) */
	__u32 swiss_used_off;	   /* maps.Map.used (u64) */
	__u32 swiss_table_cap_off; /* maps.table.capacity (u16) */
};

/* gml_config.flags */
#define GML_CFG_COUNT_SMALL_MAPS (1u << 0) /* growToSmall: count the hit, emit no event */

struct gml_config {
	__u32 target_tgid;
	__u32 flags;
	struct gml_go_layout go;
};

/*
 * One traced process's state on the BPF side, by slot (the slots map, which
 * user space maps into its memory): its configuration, until when each
 * operation is counted (CLOCK_MONOTONIC ns, by enum gml_op; 0: not counted)
 * and the hits each probe group may still take in its burst (0: no limit).
 * A free slot has target_tgid 0: its probes' hits are dropped.
 */
struct gml_slot {
	struct gml_config cfg;
	__u64 count_ops_until[GML_OP_KINDS];
	__s64 burst_hits_left[GML_GROUPS];
};

#ifndef __bpf__
static_assert(sizeof(struct gml_event) == 72, "gml_event layout is shared with BPF");
static_assert(sizeof(struct gml_stack) == 8 * GML_STACK_DEPTH, "gml_stack is shared with BPF");
static_assert(sizeof(struct gml_op_key) == 24, "gml_op_key is shared with BPF");
static_assert(sizeof(struct gml_op_value) == 16, "gml_op_value is shared with BPF");
static_assert(sizeof(struct gml_probe_address) == 16, "gml_probe_address is shared with BPF");
static_assert(sizeof(struct gml_go_layout) == 24, "gml_go_layout layout is shared with BPF");
static_assert(sizeof(struct gml_config) == 32, "gml_config layout is shared with BPF");
static_assert(sizeof(struct gml_slot) == 32 + 8 * GML_OP_KINDS + 8 * GML_GROUPS,
	      "gml_slot layout is shared with BPF");
#endif

#endif /* GOMAPLEAK_H */
