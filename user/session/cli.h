/* SPDX-License-Identifier: GPL-2.0 */
/* Command line: subcommands, options, help with examples. */
#ifndef GOMAPLEAK_CLI_H
#define GOMAPLEAK_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "exit_status.h"

enum gml_command {
	GML_CMD_WATCH,
	GML_CMD_TRACE, /* the raw symbolized event stream */
	GML_CMD_INSPECT,
	GML_CMD_RUN, /* start a program, then watch it */
};

#define CLI_MAX_PIDS		  64
#define CLI_DEFAULT_MAX_PROCESSES 64

struct cli_options {
	enum gml_command command;
	pid_t pid;		  /* the first -p */
	pid_t pids[CLI_MAX_PIDS]; /* watch: every -p */
	int npids;
	bool all;		    /* watch --all: every Go process */
	const char *comm;	    /* --comm NAME */
	const char *exe_glob;	    /* --exe GLOB */
	const char *cgroup;	    /* --cgroup PATH */
	unsigned int max_processes; /* --max-processes */
	const char *binary;	    /* inspect BINARY */
	double duration;	    /* seconds; 0 = until interrupted */
	int verbose;
	bool json;
	bool exact;	       /* attach the hot probe groups too */
	double budget_percent; /* --budget: what the bursts may cost, % of the target's CPU */
	double interval;       /* -i: seconds between samples */
	double window;	       /* --window: seconds a detector window spans */
	uint64_t min_growth;   /* --min-growth: entries a growing window gains */
	unsigned int confirm;  /* --confirm: growing windows in a row for LEAK */
	bool top;	       /* --top: a refreshing table instead of alert lines */
	bool no_keys;	       /* --no-keys: never read keys from the target */
	bool fail_on_leak;     /* --fail-on-leak: exit 1 when a LEAK was raised */
	bool prometheus;       /* --prometheus: serve /metrics */
	char prometheus_host[64];
	uint16_t prometheus_port;
	const char *pprof_path;	 /* --pprof: growth profile (profile.proto, gzip) */
	const char *folded_path; /* --folded: growth as folded stacks */
	char **run_argv;	 /* run: the program and its arguments */
	int attach_path;	 /* --attach: enum attach_path (ATTACH_PATH_AUTO unless given) */
};

/* Whether watch traces several processes (node mode): --all, a selector, or -p twice. */
bool cli_node_mode(const struct cli_options *o);

/* Returns -1 to continue, or an exit code (help printed: 0; bad usage: 2). */
int cli_parse(int argc, char **argv, struct cli_options *out);

#endif /* GOMAPLEAK_CLI_H */
