// SPDX-License-Identifier: GPL-2.0
/*
 * Uprobes on the Go runtime's map functions. Every probe sits on an
 * instruction the kernel emulates (docs/probes.md), reads its arguments
 * through go_abi.h and emits a fixed-size event into the ring buffer.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "go_abi.h"
#include "gomapleak.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * max_entries of a map user space sizes at load (tracer_object.c,
 * size_maps()): by the number of slots, or of probes where cookies go by
 * address. Maps whose size here is a real default that user space scales
 * say "scaled at load" instead.
 */
#define SIZED_AT_LOAD 1

/*
 * One BPF object traces every process (node mode watches many): each has a
 * slot, and its probes' cookies carry it. Sized by user space at load, which
 * maps the array and sets a slot's deadlines and allowances with plain
 * stores (struct gml_slot). The last slot is the calibration's (calibrate.h):
 * gomapleak's own hits run the whole program there, as the target's do.
 *
 * A burst's deadline (count_ops_until) is checked here, not left to the
 * timer that detaches it: that timer fires late exactly when the machine is
 * loaded and the target starved, and counting on until it fired would weigh
 * the target's stalls in (docs/governor.md). A burst's hit allowance
 * (burst_hits_left): the hit that takes the last one wakes user space, which
 * ends the burst, so a burst costs what its credit buys even when its group
 * is busier than its last burst said.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, SIZED_AT_LOAD);
	__type(key, __u32);
	__type(value, struct gml_slot);
} slots SEC(".maps");

/* The traced processes' slots by tgid, for the exec tracepoint. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SIZED_AT_LOAD);
	__type(key, __u32);
	__type(value, __u32);
} traced_tgids SEC(".maps");

/* Events for user space; GML_RINGBUF_BYTES for up to two slots, scaled at load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, GML_RINGBUF_BYTES);
} events SEC(".maps");

/*
 * Call stacks by hash, stored once however many events (and processes) share
 * them; GML_MAX_STACKS for up to two slots, scaled at load.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, GML_MAX_STACKS);
	__type(key, __u64);
	__type(value, struct gml_stack);
} stacks SEC(".maps");

/* A makemap* call between its entry and its return, by goroutine (g in R14). */
struct pending_make {
	__u64 type;
	__u64 hint;
	__u64 caller_pc;
	__u64 stack;
};

/* Goroutine addresses are only unique within a process. */
struct pending_make_key {
	__u64 g;
	__u32 tgid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct pending_make_key);
	__type(value, struct pending_make);
} pending_makes SEC(".maps");

/*
 * Map operations by (map, caller, operation), one table a slot (user space
 * creates it with the slot, reads and drains only its own process's). A
 * plain hash: an LRU's lookup also updates its lists, which the hottest
 * probe pays on every hit. Not preallocated: all 65536 entries take 6.8 MB,
 * most processes fill a few hundred, and an element is allocated only at a
 * counter's first hit in a burst.
 */
struct op_counts_table {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, GML_MAX_OP_COUNTERS);
	/* Sizes, not types: the structs are only used in code, which emits no BTF for them. */
	__uint(key_size, sizeof(struct gml_op_key));
	__uint(value_size, sizeof(struct gml_op_value));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SIZED_AT_LOAD);
	__type(key, __u32);
	__array(values, struct op_counts_table);
} op_counts SEC(".maps");

/*
 * Hits by slot and probe index (slot * GML_MAX_PROBES + index), whether or
 * not an event could be emitted: one slot's here, scaled at load.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GML_MAX_PROBES);
	__type(key, __u32);
	__type(value, __u64);
} probe_hits SEC(".maps");

/* Events that did not fit in the ring buffer, by slot. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SIZED_AT_LOAD);
	__type(key, __u32);
	__type(value, __u64);
} events_lost SEC(".maps");

/* Operations not counted because the slot's op_counts table was full, by slot. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SIZED_AT_LOAD);
	__type(key, __u32);
	__type(value, __u64);
} ops_lost SEC(".maps");

/*
 * Set before load where the kernel has no BPF cookies for uprobes (Linux
 * 5.10-5.14: perf-event uprobes, no bpf_get_attach_cookie): a probe's
 * cookie is then looked up by the address it fired at, in probe_cookies.
 * The verifier knows this constant and never visits the branch it rules
 * out, so the cookie helper does not stop the load on those kernels.
 */
const volatile __u32 cookies_by_address = 0;

/*
 * The cookie of each probe by (process, address), for cookies_by_address.
 * Sized by user space at load (tracer_object.c), one entry where unused.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SIZED_AT_LOAD);
	__type(key, struct gml_probe_address);
	__type(value, __u64);
} probe_cookies SEC(".maps");

/* A cookie whose slot no slot has: an address with no entry drops its hit. */
#define NO_PROBE_COOKIE ((__u64)GML_COOKIE_SLOT_MASK << GML_COOKIE_SLOT_SHIFT)

/*
 * The probe's cookie. At a uprobe the kernel has set the instruction
 * pointer back to the probed instruction (handle_swbp()) before any
 * program runs, so it names the probe.
 */
static __always_inline __u64 probe_cookie(struct pt_regs *regs)
{
	struct gml_probe_address key = { .ip = GO_IP(regs) };
	__u64 *cookie;

	if (!cookies_by_address)
		return bpf_get_attach_cookie(regs);
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	cookie = bpf_map_lookup_elem(&probe_cookies, &key);
	return cookie ? *cookie : NO_PROBE_COOKIE;
}

/* The hit's process: its slot's state and index. */
struct probe_hit {
	struct gml_slot *slot;
	__u32 slot_index;
	int probe;
};

static __always_inline void count_in(void *counters, __u32 index)
{
	__u64 *value = bpf_map_lookup_elem(counters, &index);

	if (value)
		*value += 1;
}

/* Reserves an event with its common fields filled in, or counts it lost to the slot. */
static __always_inline struct gml_event *event_reserve(__u32 slot, int probe, __u8 kind, __u64 map,
						       __u64 type)
{
	struct gml_event *e;
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_in(&events_lost, slot);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->map = map;
	e->type = type;
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->probe = probe;
	e->kind = kind;
	return e;
}

/*
 * One hit of a group in a burst with a hit allowance: the hit that takes its
 * last one tells user space at once (the event wakes it, unlike the others).
 * Without a fetching atomic (BPF v1), two CPUs may both see zero: user
 * space ignores a second word, and one missed ends by the timer.
 */
static __always_inline void count_burst_hit(const struct probe_hit *hit, __u64 cookie)
{
	/*
	 * 64-bit arithmetic, bounded after the subtraction: a 32-bit group - 1
	 * is zero-extended, which Linux 6.1's verifier reads as unbounded.
	 */
	__u64 group = (cookie >> GML_COOKIE_GROUP_SHIFT) & GML_COOKIE_GROUP_MASK;
	struct gml_event *e;
	__s64 *left;

	if (!group)
		return;
	group -= 1;
	if (group >= GML_GROUPS)
		return;
	left = &hit->slot->burst_hits_left[group];
	if (*left <= 0)
		return;
	__sync_fetch_and_add(left, -1);
	if (*left != 0)
		return;
	e = event_reserve(hit->slot_index, 0, GML_EV_BURST_SPENT, 0, 0);
	if (!e)
		return;
	e->group = group;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

/*
 * Common entry checks: the hit belongs to its slot's process (a slot given
 * up and taken again drops the old process's last hits) and is not the
 * first of two passes through a stack-bound check. Fills in hit and
 * returns the probe index, or -1.
 */
static __always_inline int probe_enter(struct pt_regs *regs, struct probe_hit *hit)
{
	__u64 cookie = probe_cookie(regs);
	__u32 index = cookie & GML_COOKIE_INDEX_MASK;
	__u32 slot_index = (cookie >> GML_COOKIE_SLOT_SHIFT) & GML_COOKIE_SLOT_MASK;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct gml_slot *slot = bpf_map_lookup_elem(&slots, &slot_index);

	if (!slot || tgid != slot->cfg.target_tgid)
		return -1;
	if ((cookie & GML_COOKIE_AT_STACK_CHECK_JUMP) && GO_STACK_CHECK_TAKEN(regs))
		return -1;
	hit->slot = slot;
	hit->slot_index = slot_index;
	hit->probe = index;
	/* A call is counted once, at its entry. */
	if (!(cookie & GML_COOKIE_AT_RETURN)) {
		count_in(&probe_hits, slot_index * GML_MAX_PROBES + index);
		count_burst_hit(hit, cookie);
	}
	return index;
}

static __always_inline __u64 read_user_u64(__u64 addr)
{
	__u64 value = 0;

	bpf_probe_read_user(&value, sizeof(value), (void *)addr);
	return value;
}

/*
 * Walks the frame-pointer chain from a return address into the caller and
 * the frame pointer above it. Returns the stack's hash; the first frame,
 * the caller, is handed back too.
 */
static __always_inline __u64 capture_stack_from(__u64 return_address, __u64 fp, __u64 *caller_pc)
{
	struct gml_stack st;
	__u64 frame[2], hash = 14695981039346656037ull;
	int i;

	__builtin_memset(&st, 0, sizeof(st));
	st.pcs[0] = return_address;
	*caller_pc = st.pcs[0];
	for (i = 1; i < GML_STACK_DEPTH; i++) {
		if (!fp || bpf_probe_read_user(frame, sizeof(frame), (void *)fp))
			break;
		st.pcs[i] = frame[1];
		fp = frame[0];
	}
	for (i = 0; i < GML_STACK_DEPTH; i++)
		hash = (hash ^ st.pcs[i]) * 1099511628211ull; /* FNV-1a, a word at a time */
	bpf_map_update_elem(&stacks, &hash, &st, BPF_NOEXIST);
	return hash;
}

/*
 * Most probes sit before the function saves its frame pointer, so the
 * return address into the immediate caller is where the call left it
 * ([RSP] on amd64, the link register on arm64) and the frame pointer is
 * the caller's: [FP] is the next frame pointer, [FP+8] the caller's return
 * address. (Unwinding from FP alone would skip the immediate caller.)
 */
static __always_inline __u64 capture_stack(struct pt_regs *regs, __u64 *caller_pc)
{
	return capture_stack_from(GO_RETURN_ADDRESS_AT_ENTRY(regs), GO_FP(regs), caller_pc);
}

/*
 * A probe in a function's body, its frame set up: FP is its own frame
 * pointer, the return address at [FP+8] and the caller's FP at [FP].
 */
static __always_inline __u64 capture_stack_in_body(struct pt_regs *regs, __u64 *caller_pc)
{
	return capture_stack_from(read_user_u64(GO_FP(regs) + 8), read_user_u64(GO_FP(regs)),
				  caller_pc);
}

/*
 * Set by user space when it stopped draining on a timer (nothing came for a
 * while): the next event wakes it, and it drains on its timer again.
 */
__u32 reader_idle = 0;

/*
 * Submits without waking the reader, who drains on a timer, unless the
 * buffer is filling (then the reader is woken at once so nothing is lost)
 * or the reader is idle.
 */
static __always_inline void event_submit(struct gml_event *e)
{
	__u64 unread = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 flags = unread >= GML_WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	if (reader_idle) {
		reader_idle = 0;
		flags = BPF_RB_FORCE_WAKEUP;
	}
	bpf_ringbuf_submit(e, flags);
}

/*
 * Whether a map header is on the running goroutine's stack (g.stack, the
 * first field of runtime.g in every Go version, holds its bounds): a map that
 * does not escape. Its address changes when the stack moves, and the old
 * stack's words there belong to whichever goroutine reuses it.
 */
static __always_inline int on_goroutine_stack(struct pt_regs *regs, __u64 addr)
{
	__u64 bounds[2] = {};

	if (bpf_probe_read_user(bounds, sizeof(bounds), (void *)GO_G(regs)))
		return 0;
	return addr >= bounds[0] && addr < bounds[1];
}

static __always_inline void emit_grow(struct pt_regs *regs, const struct probe_hit *hit, __u64 map,
				      __u64 type, __u64 count, __u64 size, __u8 grow_kind)
{
	struct gml_event *e = event_reserve(hit->slot_index, hit->probe, GML_EV_GROW, map, type);

	if (!e)
		return;
	e->stack = capture_stack(regs, &e->caller_pc);
	e->count = count;
	if (grow_kind <= GML_GROW_CLASSIC_SAME_SIZE)
		e->b_before = size;
	else
		e->capacity_after = size;
	e->grow_kind = grow_kind;
	if (on_goroutine_stack(regs, map))
		e->flags |= GML_EVF_ON_STACK;
	event_submit(e);
}

/* runtime.overLoadFactor: more than 8 entries and over loadFactor a bucket. */
static __always_inline int classic_over_load_factor(const struct gml_go_layout *go, __u64 count,
						    __u8 b)
{
	__u64 buckets = b < 63 ? 1ull << b : 0;

	return count > 8 && go->load_factor_den &&
	       count > go->load_factor_num * (buckets / go->load_factor_den);
}

/*
 * runtime.hashGrow(t *maptype, h *hmap), called when the map is over its load
 * factor (it doubles) or has as many overflow buckets as buckets (a same-size
 * grow that compacts them): Go's own overLoadFactor(count+1, B) and
 * tooManyOverflowBuckets(noverflow, B). A header that cannot be read (a page
 * the kernel has unmapped for a moment: this read may not fault) is called a
 * doubling, the common case: reading it as zeros would claim a same-size grow
 * and raise churn on a map that only ever took inserts.
 */
SEC("uprobe")
int hash_grow(struct pt_regs *regs)
{
	struct probe_hit hit;
	const struct gml_go_layout *go;
	__u64 map = GO_ARG2(regs);
	__u64 count = 0;
	__u8 b = 0;
	__u16 noverflow = 0;
	__u8 kind = GML_GROW_CLASSIC_DOUBLE;

	if (probe_enter(regs, &hit) < 0)
		return 0;
	go = &hit.slot->cfg.go;
	if (!bpf_probe_read_user(&count, sizeof(count), (void *)(map + go->hmap_count_off)) &&
	    !bpf_probe_read_user(&b, sizeof(b), (void *)(map + go->hmap_b_off)) &&
	    !bpf_probe_read_user(&noverflow, sizeof(noverflow),
				 (void *)(map + go->hmap_b_off + 1)) &&
	    !classic_over_load_factor(go, count + 1, b) && noverflow >= 1u << (b < 15 ? b : 15))
		kind = GML_GROW_CLASSIC_SAME_SIZE;
	emit_grow(regs, &hit, map, GO_ARG1(regs), count, b, kind);
	return 0;
}

/* maps.(*Map).growToSmall / growToTable(m *Map, typ *MapType): a first group or table. */
static __always_inline int swiss_map_grow(struct pt_regs *regs, const struct probe_hit *hit,
					  __u64 capacity, __u8 kind)
{
	__u64 map = GO_ARG1(regs);

	emit_grow(regs, hit, map, GO_ARG2(regs),
		  read_user_u64(map + hit->slot->cfg.go.swiss_used_off), capacity, kind);
	return 0;
}

/*
 * The first group of a small map holds 8 slots. Every Swiss map that gets an
 * entry passes here once: watch only counts them (the probe's hit counter).
 */
SEC("uprobe")
int swiss_grow_to_small(struct pt_regs *regs)
{
	struct probe_hit hit;

	if (probe_enter(regs, &hit) < 0 || (hit.slot->cfg.flags & GML_CFG_COUNT_SMALL_MAPS))
		return 0;
	return swiss_map_grow(regs, &hit, 8, GML_GROW_SWISS_TO_SMALL);
}

/* The first table holds 16 slots. */
SEC("uprobe")
int swiss_grow_to_table(struct pt_regs *regs)
{
	struct probe_hit hit;

	if (probe_enter(regs, &hit) < 0)
		return 0;
	return swiss_map_grow(regs, &hit, 16, GML_GROW_SWISS_TO_TABLE);
}

/* maps.(*table).grow(t *table, typ *MapType, m *Map, newCapacity uint16) */
SEC("uprobe")
int swiss_table_grow(struct pt_regs *regs)
{
	struct probe_hit hit;
	__u64 map = GO_ARG3(regs);

	if (probe_enter(regs, &hit) < 0)
		return 0;
	emit_grow(regs, &hit, map, GO_ARG2(regs),
		  read_user_u64(map + hit.slot->cfg.go.swiss_used_off), GO_ARG4(regs) & 0xffff,
		  GML_GROW_SWISS_TABLE_GROW);
	return 0;
}

/* maps.(*table).split(t *table, typ *MapType, m *Map): two tables of the old capacity. */
SEC("uprobe")
int swiss_table_split(struct pt_regs *regs)
{
	struct probe_hit hit;
	const struct gml_go_layout *go;
	__u64 map = GO_ARG3(regs);
	__u16 capacity = 0;

	if (probe_enter(regs, &hit) < 0)
		return 0;
	go = &hit.slot->cfg.go;
	bpf_probe_read_user(&capacity, sizeof(capacity),
			    (void *)(GO_ARG1(regs) + go->swiss_table_cap_off));
	emit_grow(regs, &hit, map, GO_ARG2(regs), read_user_u64(map + go->swiss_used_off), capacity,
		  GML_GROW_SWISS_TABLE_SPLIT);
	return 0;
}

/* The running goroutine's pending creation's key. */
static __always_inline struct pending_make_key pending_key(struct pt_regs *regs)
{
	struct pending_make_key key = { .g = GO_G(regs), .tgid = bpf_get_current_pid_tgid() >> 32 };

	return key;
}

static __always_inline int make_enter(struct pt_regs *regs, __u64 type, __u64 hint)
{
	struct pending_make pm = { .type = type, .hint = hint };
	struct pending_make_key key = pending_key(regs);
	struct probe_hit hit;

	if (probe_enter(regs, &hit) < 0)
		return 0;
	pm.stack = capture_stack(regs, &pm.caller_pc);
	bpf_map_update_elem(&pending_makes, &key, &pm, BPF_ANY);
	return 0;
}

/* runtime.makemap(t *maptype, hint int, h *hmap) and makemap64 (hint int64). */
SEC("uprobe")
int make_map(struct pt_regs *regs)
{
	return make_enter(regs, GO_ARG1(regs), GO_ARG2(regs));
}

/* runtime.makemap_small(): no type argument; the type is learned at the first growth. */
SEC("uprobe")
int make_map_small(struct pt_regs *regs)
{
	return make_enter(regs, 0, 0);
}

/*
 * A RET of makemap*: the new map is the first result (RAX, R0). No uretprobe (Go moves stacks
 * under them); the plan lists every RET and each gets this probe.
 */
SEC("uprobe")
int make_map_return(struct pt_regs *regs)
{
	struct pending_make_key key = pending_key(regs);
	struct probe_hit hit;
	struct pending_make *pm;
	struct gml_event *e;

	if (probe_enter(regs, &hit) < 0)
		return 0;
	pm = bpf_map_lookup_elem(&pending_makes, &key);
	if (!pm)
		return 0;
	e = event_reserve(hit.slot_index, hit.probe, GML_EV_CREATE, GO_ARG1(regs), pm->type);
	if (e) {
		e->caller_pc = pm->caller_pc;
		e->stack = pm->stack;
		e->hint = pm->hint;
		event_submit(e);
	}
	bpf_map_delete_elem(&pending_makes, &key);
	return 0;
}

/*
 * In makemap_small's body, just after the new map was allocated (user/probe/
 * result_point.c finds the instruction: one the kernel emulates, with the map still in
 * RAX). One cheap hit a creation instead of an entry probe and a RET the
 * kernel single-steps; no type (makemap_small has none) and no hint.
 */
SEC("uprobe")
int make_map_allocated(struct pt_regs *regs)
{
	struct probe_hit hit;
	struct gml_event *e;

	if (probe_enter(regs, &hit) < 0)
		return 0;
	e = event_reserve(hit.slot_index, hit.probe, GML_EV_CREATE, GO_ARG1(regs), 0);
	if (!e)
		return 0;
	e->stack = capture_stack_in_body(regs, &e->caller_pc);
	event_submit(e);
	return 0;
}

/*
 * Hot path (inserts run at tens of millions a second): no event, no stack
 * walk; one counter per (map, caller, operation). The caller of mapassign*
 * and mapdelete* is the code that fills or empties the map.
 */
static __always_inline int count_op(const struct probe_hit *hit, __u64 type, __u64 map, __u32 op,
				    __u64 caller_pc)
{
	struct gml_op_key key = { .map = map, .op = op, .caller_pc = caller_pc };
	struct gml_op_value first = { .count = 1, .type = type }, *v;
	__u64 until;
	void *table;

	if (op >= GML_OP_KINDS)
		return 0;
	until = hit->slot->count_ops_until[op];
	/* --exact and groups attached all the time skip the clock. */
	if (until != GML_COUNT_UNTIL_DETACHED && bpf_ktime_get_ns() >= until)
		return 0;
	table = bpf_map_lookup_elem(&op_counts, &hit->slot_index);
	if (!table)
		return 0;
	v = bpf_map_lookup_elem(table, &key);
	if (v)
		__sync_fetch_and_add(&v->count, 1);
	else if (bpf_map_update_elem(table, &key, &first, BPF_NOEXIST) &&
		 !bpf_map_lookup_elem(table, &key))
		count_in(&ops_lost, hit->slot_index); /* full (not a racing first insert) */
	return 0;
}

/* Called directly from the code that uses the map: the caller is the return address. */
static __always_inline int count_direct_op(struct pt_regs *regs, __u32 op)
{
	struct probe_hit hit;

	if (probe_enter(regs, &hit) < 0)
		return 0;
	return count_op(&hit, GO_ARG1(regs), GO_ARG2(regs), op, GO_RETURN_ADDRESS_AT_ENTRY(regs));
}

/* runtime.mapassign*(t, m, key): the type first, the map second. */
SEC("uprobe")
int map_insert(struct pt_regs *regs)
{
	return count_direct_op(regs, GML_OP_INSERT);
}

/* runtime.mapdelete*(t, m, key) */
SEC("uprobe")
int map_delete(struct pt_regs *regs)
{
	return count_direct_op(regs, GML_OP_DELETE);
}

/* runtime.mapclear(t, m) */
SEC("uprobe")
int map_clear(struct pt_regs *regs)
{
	return count_direct_op(regs, GML_OP_CLEAR);
}

/*
 * runtime.(*hmap).newoverflow(h *hmap, t *maptype, b *bmap), the receiver
 * first. Its caller is mapassign*; the code that inserted is the frame above,
 * whose return address is at [FP+8] (FP is still mapassign's frame here).
 */
SEC("uprobe")
int map_overflow(struct pt_regs *regs)
{
	struct probe_hit hit;

	if (probe_enter(regs, &hit) < 0)
		return 0;
	return count_op(&hit, GO_ARG2(regs), GO_ARG1(regs), GML_OP_OVERFLOW,
			read_user_u64(GO_FP(regs) + 8));
}

/*
 * sched_process_exec, as a raw tracepoint (no tracefs needed): a traced
 * process ran execve, so the probed binary and every map in it are gone.
 */
SEC("raw_tp/sched_process_exec")
int target_exec(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct gml_event *e;
	__u32 *slot = bpf_map_lookup_elem(&traced_tgids, &tgid);

	if (!slot)
		return 0;
	e = event_reserve(*slot, 0, GML_EV_EXEC, 0, 0);
	if (e) /* rare, and it ends the session: told at once */
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}
