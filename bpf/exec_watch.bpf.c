// SPDX-License-Identifier: GPL-2.0
/*
 * Node mode's discovery: every process's execve, as a raw tracepoint (no
 * tracefs needed), reported by pid. User space decides whether the new
 * program is a Go binary it should watch. A submit does not wake the reader
 * (an IPI from the exec'ing process's context): node mode drains this ring
 * on its drain timer, every GML_DRAIN_MS, unless it is half full.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define EXECS_BYTES	   (64 * 1024)
#define EXECS_WAKEUP_BYTES (EXECS_BYTES / 2)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, EXECS_BYTES);
} execs SEC(".maps");

SEC("raw_tp/sched_process_exec")
int process_exec(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 *pid = bpf_ringbuf_reserve(&execs, sizeof(*pid), 0);

	(void)ctx;
	if (!pid)
		return 0; /* a burst of 16,000 execs unread: the next scan finds them */
	*pid = bpf_get_current_pid_tgid() >> 32;
	bpf_ringbuf_submit(pid, bpf_ringbuf_query(&execs, BPF_RB_AVAIL_DATA) >= EXECS_WAKEUP_BYTES
					? BPF_RB_FORCE_WAKEUP
					: BPF_RB_NO_WAKEUP);
	return 0;
}
