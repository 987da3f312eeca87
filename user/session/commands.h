/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What main runs once the command line is parsed: each command from its
 * options to its exit status, printing its own errors.
 */
#ifndef GOMAPLEAK_COMMANDS_H
#define GOMAPLEAK_COMMANDS_H

#include <signal.h>

#include "cli.h"

/* inspect: the binary's Go facts, the probe plan and the kernel's attach path. */
int command_inspect(const struct cli_options *opt);
/*
 * watch, run and trace of one process (run starts it first), until a stop
 * signal (blocked by the caller), --duration or the target's exit.
 */
int command_watch(struct cli_options *opt, const sigset_t *stop_signals);
/* watch --all, --comm, --exe, --cgroup or several -p: a session a process. */
int command_watch_node(const struct cli_options *opt, const sigset_t *stop_signals);

#endif /* GOMAPLEAK_COMMANDS_H */
