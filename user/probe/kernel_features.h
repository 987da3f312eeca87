/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the running kernel offers gomapleak, probed at start with a tiny
 * program or link of each kind (never guessed from its version string: a
 * distribution's kernel may carry features back), and the way probes are
 * attached that follows from it:
 *
 *   uprobe_multi  one link a program, every probe's cookie in it (6.6+)
 *   perf          one perf-event uprobe a probe, its BPF cookie on a perf
 *                 link (5.15+)
 *   perf-ip       one perf-event uprobe a probe with no cookie (5.10-5.14):
 *                 a probe's cookie is looked up by the address it fired at
 *
 * The rest of what gomapleak uses is older than Linux 5.10, its floor: ring
 * buffers (5.8), mmapable arrays (5.5), batched lookups (5.6), CAP_BPF and
 * CAP_PERFMON (5.8). Only the ring buffer is probed: a kernel without it is
 * below the floor.
 */
#ifndef GOMAPLEAK_KERNEL_FEATURES_H
#define GOMAPLEAK_KERNEL_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

enum attach_path {
	ATTACH_PATH_AUTO,	  /* the best one the kernel has (an option's value only) */
	ATTACH_PATH_UPROBE_MULTI, /* uprobe_multi links */
	ATTACH_PATH_PERF,	  /* perf-event uprobes with BPF cookies */
	ATTACH_PATH_PERF_IP,	  /* perf-event uprobes, cookies by address */
};

struct kernel_features {
	char release[65];   /* uname -r */
	bool permitted;	    /* a BPF program may be loaded (CAP_BPF and CAP_PERFMON, or root) */
	bool uprobes;	    /* the uprobe perf PMU (CONFIG_UPROBE_EVENTS) */
	bool ringbuf;	    /* BPF_MAP_TYPE_RINGBUF (5.8) */
	bool attach_cookie; /* bpf_get_attach_cookie in uprobes, on perf links (5.15) */
	/*
	 * BPF_TRACE_UPROBE_MULTI links (6.6) that filter by process: the first
	 * kernels with them filtered by thread (fixed in 6.9 and in 6.6 and
	 * 6.8's stable updates), which would see only the target's main thread.
	 */
	bool uprobe_multi;
	/*
	 * BPF memory charged to the memory cgroup (5.11; probed as libbpf does,
	 * by bpf_ktime_get_coarse_ns of the same release). Before, it counts
	 * against RLIMIT_MEMLOCK, which libbpf raises at load where it may.
	 */
	bool memcg_accounting;
};

/* Probes the running kernel; needs the privileges a BPF load does. */
void kernel_features_probe(struct kernel_features *kf);
/*
 * The path to attach by: the best kf offers, or the one asked for if kf
 * has what it needs. On failure why says what the kernel lacks, naming it
 * and the Linux version that brought it.
 */
int attach_path_choose(const struct kernel_features *kf, enum attach_path asked,
		       enum attach_path *path, char *why, size_t why_len);
/* "uprobe_multi", "perf", "perf-ip" ("auto" for ATTACH_PATH_AUTO). */
const char *attach_path_name(enum attach_path path);
/* What the path attaches: "uprobe_multi links", "perf-event uprobes with BPF cookies", ... */
const char *attach_path_describe(enum attach_path path);
/* The option's value, by name; -1 for none. */
int attach_path_parse(const char *name);

#endif /* GOMAPLEAK_KERNEL_FEATURES_H */
