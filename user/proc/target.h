/* SPDX-License-Identifier: GPL-2.0 */
/* The traced process: its executable, its liveness, where its image is loaded. */
#ifndef GOMAPLEAK_TARGET_H
#define GOMAPLEAK_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "goelf.h"

struct target {
	pid_t pid;
	int pidfd;	    /* readable once the process exits */
	char exe_path[64];  /* /proc/PID/exe: opens and probes the file even in a container */
	char exe_name[256]; /* what the link points at, for messages */
};

/* Opens process pid; on failure why says why (and which privileges it needs). */
int target_open(struct target *t, pid_t pid, char *why, size_t len);
void target_close(struct target *t);
/* Where the executable is loaded: runtime address - file address. */
int target_load_bias(const struct target *t, const struct goelf *ge, uint64_t *bias, char *why,
		     size_t len);
/*
 * Once its pidfd turned readable or its memory unreadable (ESRCH): whether
 * the process runs on, its program another after an execve, rather than
 * exited. Waits up to 250 ms for a first thread that is ending while
 * others are still there to settle one way or the other; false if it does
 * not.
 */
bool target_still_runs(const struct target *t);
/* User and system CPU time the process has used, from /proc/PID/stat. */
int target_cpu_seconds(const struct target *t, double *seconds);

#endif /* GOMAPLEAK_TARGET_H */
