/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gomapleak run: starts a program stopped right after its exec (ptrace), so
 * probes are attached before it runs a single Go instruction.
 */
#ifndef GOMAPLEAK_LAUNCH_H
#define GOMAPLEAK_LAUNCH_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Starts argv[0] (searched in PATH) stopped after exec. 0, or a negative
 * errno (exec's), why saying what failed.
 */
int launch_stopped(char *const argv[], pid_t *pid, char *why, size_t len);
/* Lets the stopped program (name, for the message) run. */
int launch_resume(pid_t pid, const char *name, char *why, size_t len);
/* Ends a program launch started, if it still runs: SIGTERM, then SIGKILL after grace_ms. */
void launch_end(pid_t pid, int grace_ms);
/* Reaps it; its exit status as the shell shows it (128 + signal). */
int launch_reap(pid_t pid);

#endif /* GOMAPLEAK_LAUNCH_H */
