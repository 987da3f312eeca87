// SPDX-License-Identifier: GPL-2.0
#include "cli.h"

#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOMAPLEAK_VERSION "0.1.0"

static const char top_usage[] =
	"Usage: gomapleak COMMAND [OPTIONS]\n"
	"Find leaking Go maps in a running process, live, with eBPF uprobes.\n"
	"\n"
	"Commands:\n"
	"  watch -p PID     attach to a running Go program and report map growth\n"
	"  trace -p PID     the raw stream of map creations and growths, text or JSON\n"
	"  inspect BINARY   show the Go version, map implementation and probe plan\n"
	"  inspect -p PID   the same for a running process\n"
	"\n"
	"Examples:\n"
	"  gomapleak watch -p 4121               # growth events until Ctrl-C\n"
	"  gomapleak watch -p 4121 --duration 30 # for 30 seconds\n"
	"  gomapleak inspect /srv/api            # what would be probed, and where\n"
	"\n"
	"Exit status: 0 done or interrupted, 2 usage, 3 no such process,\n"
	"4 not a supported Go binary, 5 missing privileges, 6 attach failed.\n"
	"Run 'gomapleak COMMAND -h' for a command's options.\n";

enum { OPT_DURATION = 0x100, OPT_JSON, OPT_EXACT };

static const struct argp_option watch_options[] = {
	{ "pid", 'p', "PID", 0, "Process to attach to", 0 },
	{ "duration", OPT_DURATION, "SEC", 0, "Stop after SEC seconds", 0 },
	{ "exact", OPT_EXACT, NULL, 0,
	  "Also probe map creation, every insert, delete, clear and overflow bucket "
	  "(costly: ~1 us an insert, ~10 us a map created)",
	  0 },
	{ "verbose", 'v', NULL, 0, "Show the probe plan and counters; twice for libbpf debug", 0 },
	{ 0 },
};

static const struct argp_option trace_options[] = {
	{ "pid", 'p', "PID", 0, "Process to attach to", 0 },
	{ "duration", OPT_DURATION, "SEC", 0, "Stop after SEC seconds", 0 },
	{ "exact", OPT_EXACT, NULL, 0,
	  "Also trace map creation (and count inserts, deletes, clears, overflow buckets)", 0 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object an event (schema: docs/json.md)", 0 },
	{ "verbose", 'v', NULL, 0, "Show the probe plan and counters; twice for libbpf debug", 0 },
	{ 0 },
};

static const struct argp_option inspect_options[] = {
	{ "pid", 'p', "PID", 0, "Inspect the executable of this process", 0 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object (schema: docs/json.md)", 0 },
	{ "verbose", 'v', NULL, 0, "Also each probed function's frame size and RET sites", 0 },
	{ 0 },
};

static int parse_pid(const char *arg, pid_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || v <= 0 || v > INT_MAX)
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}

static int parse_seconds(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || !(v > 0) || v > 1e9)
		return -EINVAL;
	*out = v;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct cli_options *o = state->input;

	switch (key) {
	case 'p':
		if (parse_pid(arg, &o->pid))
			argp_error(state, "invalid PID '%s'", arg);
		break;
	case OPT_DURATION:
		if (parse_seconds(arg, &o->duration))
			argp_error(state, "invalid duration '%s': a positive number of seconds",
				   arg);
		break;
	case 'v':
		o->verbose++;
		break;
	case OPT_JSON:
		o->json = true;
		break;
	case OPT_EXACT:
		o->exact = true;
		break;
	case ARGP_KEY_ARG:
		if (o->command != GML_CMD_INSPECT || o->binary)
			argp_error(state, "unexpected argument '%s'", arg);
		o->binary = arg;
		break;
	case ARGP_KEY_END:
		if ((o->command == GML_CMD_WATCH || o->command == GML_CMD_TRACE) && !o->pid)
			argp_error(state, "%s needs -p PID",
				   o->command == GML_CMD_WATCH ? "watch" : "trace");
		if (o->command == GML_CMD_INSPECT && !o->pid == !o->binary)
			argp_error(state, "inspect needs either BINARY or -p PID");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp watch_argp = {
	watch_options,
	parse_opt,
	NULL,
	"Attach to the Go program PID and print one line per map growth.\v"
	"Examples:\n"
	"  gomapleak watch -p 4121\n"
	"  gomapleak watch -p 4121 --duration 10 -v\n"
	"  gomapleak watch -p 4121 --exact      # and creations, inserts, deletes by site\n",
	NULL,
	NULL,
	NULL,
};

static const struct argp trace_argp = {
	trace_options,
	parse_opt,
	NULL,
	"Attach to the Go program PID and print every map creation and growth with its\n"
	"type and call stack: for debugging, scripts and tests.\v"
	"Examples:\n"
	"  gomapleak trace -p 4121\n"
	"  gomapleak trace -p 4121 --json | jq 'select(.event == \"create\") | .site'\n",
	NULL,
	NULL,
	NULL,
};

static const struct argp inspect_argp = {
	inspect_options,
	parse_opt,
	"[BINARY]",
	"Show a Go binary's version, map implementation and probe plan.\v"
	"Examples:\n"
	"  gomapleak inspect ./server\n"
	"  gomapleak inspect -p 4121\n"
	"  gomapleak inspect --json ./server | jq '.probes[] | select(.traced)'\n",
	NULL,
	NULL,
	NULL,
};

int cli_parse(int argc, char **argv, struct cli_options *out)
{
	const struct argp *argp;
	char name[64];

	memset(out, 0, sizeof(*out));
	argp_err_exit_status = GML_EXIT_USAGE;
	if (argc < 2) {
		fputs(top_usage, stderr);
		return GML_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(top_usage, stdout);
		return GML_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("gomapleak %s\n", GOMAPLEAK_VERSION);
		return GML_EXIT_OK;
	}
	if (!strcmp(argv[1], "watch")) {
		out->command = GML_CMD_WATCH;
		argp = &watch_argp;
	} else if (!strcmp(argv[1], "trace")) {
		out->command = GML_CMD_TRACE;
		argp = &trace_argp;
	} else if (!strcmp(argv[1], "inspect")) {
		out->command = GML_CMD_INSPECT;
		argp = &inspect_argp;
	} else {
		fprintf(stderr, "gomapleak: unknown command '%s' (try 'gomapleak -h')\n", argv[1]);
		return GML_EXIT_USAGE;
	}
	/* argp names the program from argv[0] in its messages: "gomapleak watch". */
	snprintf(name, sizeof(name), "gomapleak %s", argv[1]);
	argv[1] = name;
	if (argp_parse(argp, argc - 1, argv + 1, 0, NULL, out))
		return GML_EXIT_USAGE;
	return -1;
}
