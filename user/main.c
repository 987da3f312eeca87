// SPDX-License-Identifier: GPL-2.0
/*
 * gomapleak: find leaking Go maps in a running process.
 * Lifecycle: inspect the binary -> plan probes -> load BPF -> attach ->
 * drain events (and, for watch, sample the maps every interval and report
 * alerts) until Ctrl-C, SIGTERM, --duration or the target's exit ->
 * summary -> one cleanup path. main parses the command line and runs one
 * command (user/session/commands.c).
 */
#include <signal.h>

#include "cli.h"
#include "commands.h"

int main(int argc, char **argv)
{
	struct cli_options opt;
	sigset_t stop_signals;
	int code;

	/*
	 * Blocked before anything else (the metrics server's thread inherits the
	 * mask) so that Ctrl-C always reaches the signalfd.
	 */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGUSR1);
	sigprocmask(SIG_BLOCK, &stop_signals, NULL);

	code = cli_parse(argc, argv, &opt);
	if (code >= 0)
		return code;
	if (opt.command == GML_CMD_INSPECT)
		return command_inspect(&opt);
	if (cli_node_mode(&opt))
		return command_watch_node(&opt, &stop_signals);
	return command_watch(&opt, &stop_signals);
}
