// SPDX-License-Identifier: GPL-2.0
/*
 * Node mode's discovery: every process's execve, as a raw tracepoint (no
 * tracefs needed), reported by pid. User space decides whether the new
 * program is a Go binary it should watch. Execs are rare next to map
 * operations: each wakes the reader.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} execs SEC(".maps");

SEC("raw_tp/sched_process_exec")
int process_exec(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 *pid = bpf_ringbuf_reserve(&execs, sizeof(*pid), 0);

	(void)ctx;
	if (!pid)
		return 0; /* a burst of 16,000 execs unread: the next scan finds them */
	*pid = bpf_get_current_pid_tgid() >> 32;
	bpf_ringbuf_submit(pid, 0);
	return 0;
}
