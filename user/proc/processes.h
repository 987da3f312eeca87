/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding the processes node mode watches (watch --all and its selectors):
 * what /proc says of a process (comm, executable, cgroup, container), which
 * processes a filter selects, and whether a process runs a Go binary.
 */
#ifndef GOMAPLEAK_PROCESSES_H
#define GOMAPLEAK_PROCESSES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PROCESS_COMM_LEN      16 /* TASK_COMM_LEN: with its terminating NUL */
#define PROCESS_CONTAINER_LEN 65 /* a 64-hex-digit container ID */
#define PROCESS_POD_LEN	      37 /* a pod UID, dashed */

/* Selectors combine: a process must match every one given. */
struct process_filter {
	const char *comm;     /* --comm NAME: /proc/PID/comm, exactly */
	const char *exe_glob; /* --exe GLOB: the executable's path, fnmatch(3) */
	const char *cgroup;   /* --cgroup PATH: the process's cgroup v2 path or one below it */
};

struct process_info {
	pid_t pid;
	char comm[PROCESS_COMM_LEN];
	char exe[256];			       /* what /proc/PID/exe points at */
	char cgroup[512];		       /* the cgroup v2 path ("0::" line), "/" when none */
	char container[PROCESS_CONTAINER_LEN]; /* from the cgroup path; "" outside containers */
	char pod[PROCESS_POD_LEN]; /* Kubernetes pod UID when the path shows it; else "" */
};

/* Reads pid's comm, executable and cgroup under proc (normally "/proc"). */
int process_info_read(const char *proc, pid_t pid, struct process_info *out);
bool process_filter_matches(const struct process_filter *f, const struct process_info *p);
/*
 * The container ID and pod UID a cgroup path names: Docker, containerd,
 * CRI-O and Podman scopes, cgroupfs and systemd Kubernetes layouts (a
 * systemd pod slice writes the UID's dashes as underscores).
 */
void process_container(const char *cgroup, char *container, size_t container_len, char *pod,
		       size_t pod_len);
/* Whether path (an executable, or /proc/PID/exe) is a Go binary: it carries Go build info. */
bool process_runs_go(const char *path);

typedef void (*process_fn)(void *ctx, const struct process_info *p);
/*
 * Calls fn with every process under proc that the filter selects and that
 * runs a Go binary, in pid order, skipping skip_pid (gomapleak itself).
 * Processes that exit or cannot be read meanwhile are passed over.
 */
int processes_scan(const char *proc, const struct process_filter *f, pid_t skip_pid, process_fn fn,
		   void *ctx);

#endif /* GOMAPLEAK_PROCESSES_H */
