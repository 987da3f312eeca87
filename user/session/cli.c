// SPDX-License-Identifier: GPL-2.0
#include "cli.h"

#include <argp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector.h"
#include "governor.h"
#include "kernel_features.h"
#include "gml_version.h"

/* A number macro as a string, for help texts that quote the defaults. */
#define QUOTE_(x) #x
#define QUOTE(x)  QUOTE_(x)

static const char top_usage[] =
	"Usage: gomapleak COMMAND [OPTIONS]\n"
	"Find leaking Go maps in a running process, live, with eBPF uprobes.\n"
	"\n"
	"Commands:\n"
	"  watch -p PID     attach to a running Go program and report leaking maps\n"
	"  run -- CMD ARGS  start a Go program and watch it from its first map\n"
	"  trace -p PID     the raw stream of map creations and growths, text or JSON\n"
	"  inspect BINARY   show the Go version, map implementation and probe plan\n"
	"  inspect -p PID   the same for a running process\n"
	"\n"
	"Examples:\n"
	"  gomapleak watch -p 4121               # leak alerts until Ctrl-C\n"
	"  gomapleak watch -p 4121 --top         # the biggest growers, like top\n"
	"  gomapleak run -- ./server -port 8080  # watch a program from its start\n"
	"  gomapleak inspect /srv/api            # what would be probed, and where\n"
	"\n"
	"Exit status: 0 done or interrupted, 1 a LEAK with --fail-on-leak, 2 usage,\n"
	"3 no such process,"
	" 4 not a supported Go binary, 5 missing privileges, 6 attach failed.\n"
	"Run 'gomapleak COMMAND -h' for a command's options.\n";

enum {
	OPT_DURATION = 0x100,
	OPT_JSON,
	OPT_EXACT,
	OPT_WINDOW,
	OPT_MIN_GROWTH,
	OPT_CONFIRM,
	OPT_TOP,
	OPT_NO_KEYS,
	OPT_FAIL_ON_LEAK,
	OPT_PROMETHEUS,
	OPT_PPROF,
	OPT_FOLDED,
	OPT_BUDGET,
	OPT_ALL,
	OPT_COMM,
	OPT_EXE,
	OPT_CGROUP,
	OPT_MAX_PROCESSES,
	OPT_ATTACH,
};

#define ATTACH_OPTION_HELP                                                                         \
	"How uprobes are attached: uprobe_multi (Linux 6.6+), perf (perf-event uprobes with "      \
	"BPF cookies, 5.15+), perf-ip (perf-event uprobes keyed by address, 5.10+), or auto: "     \
	"the best the kernel has (default)"

/* The options watch and run share: sampling, detector, output. */
static const struct argp_option detector_options[] = {
	{ "interval", 'i', "SEC", 0, "Sample the maps every SEC seconds (default 1)", 0 },
	{ "window", OPT_WINDOW, "SEC", 0,
	  "Judge growth over windows of SEC seconds (default " QUOTE(
		  DETECTOR_DEFAULT_WINDOW_SECONDS) ")",
	  0 },
	{ "min-growth", OPT_MIN_GROWTH, "N", 0,
	  "Entries a window must gain to count as growing (default " QUOTE(
		  DETECTOR_DEFAULT_MIN_GROWTH) ")",
	  0 },
	{ "confirm", OPT_CONFIRM, "N", 0,
	  "Growing windows in a row before SUSPECT becomes LEAK (default " QUOTE(
		  DETECTOR_DEFAULT_CONFIRM) ")",
	  0 },
	{ "duration", OPT_DURATION, "SEC", 0, "Stop after SEC seconds", 0 },
	{ "json", OPT_JSON, NULL, 0, "NDJSON: alert, sample and summary objects (docs/json.md)",
	  0 },
	{ "top", OPT_TOP, NULL, 0, "A table of the biggest growers, refreshed in place", 0 },
	{ "no-keys", OPT_NO_KEYS, NULL, 0, "Never read keys from the target", 0 },
	{ "fail-on-leak", OPT_FAIL_ON_LEAK, NULL, 0, "Exit with status 1 if any LEAK was raised",
	  0 },
	{ "budget", OPT_BUDGET, "PCT", 0,
	  "Probe inserts, deletes, clears, overflow buckets and creations (and growth, past half "
	  "of it) in bursts costing at most PCT% of the target's CPU time; 0: growth only "
	  "(default " QUOTE(GOVERNOR_DEFAULT_BUDGET_PERCENT) ", docs/governor.md)",
	  0 },
	{ "exact", OPT_EXACT, NULL, 0,
	  "Probe every map creation, insert, delete, clear and overflow bucket, whatever it "
	  "costs (~1 us an insert, ~10 us a map created)",
	  0 },
	{ "prometheus", OPT_PROMETHEUS, "[ADDR:]PORT", 0,
	  "Serve Prometheus metrics on http://ADDR:PORT/metrics (ADDR 127.0.0.1 unless given; "
	  "docs/metrics.md)",
	  0 },
	{ "pprof", OPT_PPROF, "FILE", 0,
	  "Write a pprof profile of map growth by call stack at exit and on SIGUSR1", 0 },
	{ "folded", OPT_FOLDED, "FILE", 0,
	  "Write map growth as folded stacks (flame graphs) at exit and on SIGUSR1", 0 },
	{ "attach", OPT_ATTACH, "PATH", 0, ATTACH_OPTION_HELP, 0 },
	{ "verbose", 'v', NULL, 0,
	  "Probe plan, counters, all of --exact's table; twice: libbpf debug", 0 },
	{ 0 },
};

static const struct argp_option watch_options[] = {
	{ "pid", 'p', "PID", 0, "Process to attach to (repeat for several)", 0 },
	{ "all", OPT_ALL, NULL, 0,
	  "Every Go process this host runs, those started later included (node mode)", 0 },
	{ "comm", OPT_COMM, "NAME", 0, "Go processes whose command name is NAME (node mode)", 0 },
	{ "exe", OPT_EXE, "GLOB", 0, "Go processes whose executable's path matches GLOB", 0 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "Go processes in cgroup PATH or below it (a container, a systemd unit)", 0 },
	{ "max-processes", OPT_MAX_PROCESSES, "N", 0,
	  "Watch at most N processes at once (default " QUOTE(CLI_DEFAULT_MAX_PROCESSES) ")", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Give this help list", 0 }, /* -h, as bcc tools take it */
	{ 0 },
};

static const struct argp_option trace_options[] = {
	{ "pid", 'p', "PID", 0, "Process to attach to", 0 },
	{ "duration", OPT_DURATION, "SEC", 0, "Stop after SEC seconds", 0 },
	{ "exact", OPT_EXACT, NULL, 0,
	  "Also trace map creation (and count inserts, deletes, clears, overflow buckets)", 0 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object an event (schema: docs/json.md)", 0 },
	{ "attach", OPT_ATTACH, "PATH", 0, ATTACH_OPTION_HELP, 0 },
	{ "verbose", 'v', NULL, 0,
	  "Probe plan, counters, all of --exact's table; twice: libbpf debug", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Give this help list", 0 }, /* -h, as bcc tools take it */
	{ 0 },
};

static const struct argp_option inspect_options[] = {
	{ "pid", 'p', "PID", 0, "Inspect the executable of this process", 0 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object (schema: docs/json.md)", 0 },
	{ "verbose", 'v', NULL, 0, "Also each probed function's frame size and RET sites", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Give this help list", 0 }, /* -h, as bcc tools take it */
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

static int parse_percent(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || end == arg || !(v >= 0) || v > 100)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_count(const char *arg, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end || arg[0] == '-' || v == 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * --prometheus [ADDR:]PORT: a numeric IPv4 or bracketed IPv6 address, and a
 * port (0 picks a free one; the one taken is printed). Loopback unless an
 * address is given: metrics name a service's code, not for every network.
 */
static int parse_listen_address(const char *arg, char *host, size_t len, uint16_t *port)
{
	const char *colon = strrchr(arg, ':');
	const char *addr = arg, *port_str = arg;
	size_t addr_len = 0;
	unsigned char bin[16];
	unsigned long v;
	char *end;

	if (colon) {
		port_str = colon + 1;
		addr_len = (size_t)(colon - arg);
		if (addr_len >= 2 && arg[0] == '[' && arg[addr_len - 1] == ']') {
			addr++;
			addr_len -= 2;
		}
	}
	if (!addr_len) {
		addr = "127.0.0.1";
		addr_len = strlen(addr);
	}
	if (addr_len >= len || !*port_str)
		return -EINVAL;
	memcpy(host, addr, addr_len);
	host[addr_len] = 0;
	if (inet_pton(AF_INET, host, bin) != 1 && inet_pton(AF_INET6, host, bin) != 1)
		return -EINVAL;
	errno = 0;
	v = strtoul(port_str, &end, 10);
	if (errno || *end || port_str[0] == '-' || port_str[0] == '+' || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state);

/* Options of watch and run; the common ones go on to parse_opt. */
static error_t parse_detector_opt(int key, char *arg, struct argp_state *state)
{
	struct cli_options *o = state->input;
	uint64_t n;

	switch (key) {
	case 'i':
		if (parse_seconds(arg, &o->interval) || o->interval < 0.01)
			argp_error(state, "invalid interval '%s': seconds, at least 0.01", arg);
		break;
	case OPT_WINDOW:
		if (parse_seconds(arg, &o->window))
			argp_error(state, "invalid window '%s': a positive number of seconds", arg);
		break;
	case OPT_MIN_GROWTH:
		if (parse_count(arg, UINT64_MAX / 2, &o->min_growth))
			argp_error(state, "invalid --min-growth '%s': a positive count", arg);
		break;
	case OPT_CONFIRM:
		if (parse_count(arg, 1000, &n))
			argp_error(state, "invalid --confirm '%s': 1 to 1000 windows", arg);
		o->confirm = (unsigned int)n;
		break;
	case OPT_TOP:
		o->top = true;
		break;
	case OPT_NO_KEYS:
		o->no_keys = true;
		break;
	case OPT_FAIL_ON_LEAK:
		o->fail_on_leak = true;
		break;
	case OPT_PROMETHEUS:
		if (parse_listen_address(arg, o->prometheus_host, sizeof(o->prometheus_host),
					 &o->prometheus_port))
			argp_error(state,
				   "invalid --prometheus '%s': [ADDR:]PORT, e.g. 9464, "
				   "0.0.0.0:9464 or [::1]:9464",
				   arg);
		o->prometheus = true;
		break;
	case OPT_PPROF:
		o->pprof_path = arg;
		break;
	case OPT_FOLDED:
		o->folded_path = arg;
		break;
	case OPT_BUDGET:
		if (parse_percent(arg, &o->budget_percent))
			argp_error(state, "invalid --budget '%s': a percentage, 0 to 100", arg);
		break;
	case OPT_DURATION:
	case OPT_JSON:
	case OPT_EXACT:
	case OPT_ATTACH:
	case 'v':
		return parse_opt(key, arg, state);
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp detector_argp = {
	detector_options, parse_detector_opt, NULL, NULL, NULL, NULL, NULL
};
static const struct argp_child detector_child[] = {
	{ &detector_argp, 0, NULL, 0 },
	{ 0 },
};

static void check_window(struct argp_state *state, const struct cli_options *o)
{
	if (o->window / o->interval < 2)
		argp_error(state, "--window must span at least 2 intervals (-i)");
	if (o->window / o->interval > 100000)
		argp_error(state, "--window spans too many intervals (at most 100000)");
	if (o->top && o->json)
		argp_error(state, "--top and --json cannot be combined");
	if (o->pprof_path && o->folded_path && !strcmp(o->pprof_path, o->folded_path))
		argp_error(state, "--pprof and --folded need two different files");
}

bool cli_node_mode(const struct cli_options *o)
{
	return o->command == GML_CMD_WATCH &&
	       (o->all || o->comm || o->exe_glob || o->cgroup || o->npids > 1);
}

/* What node mode does not do yet: one output file or port for several processes. */
static void check_node_mode(struct argp_state *state, const struct cli_options *o)
{
	if (!cli_node_mode(o))
		return;
	if (o->pprof_path || o->folded_path || o->top)
		argp_error(state, "--pprof, --folded and --top watch one process (-p PID) for now");
	if (o->all && (o->comm || o->exe_glob || o->cgroup))
		argp_error(state, "--all selects every Go process: no --comm, --exe or --cgroup");
}

/* Node mode's selectors and -p, repeated. */
static void parse_process_opt(int key, char *arg, struct argp_state *state)
{
	struct cli_options *o = state->input;
	uint64_t n;

	switch (key) {
	case 'p':
		if (o->npids == CLI_MAX_PIDS)
			argp_error(state, "at most %d -p", CLI_MAX_PIDS);
		if (parse_pid(arg, &o->pids[o->npids]))
			argp_error(state, "invalid PID '%s'", arg);
		o->pid = o->pids[0];
		o->npids++;
		break;
	case OPT_ALL:
		o->all = true;
		break;
	case OPT_COMM:
		o->comm = arg;
		break;
	case OPT_EXE:
		o->exe_glob = arg;
		break;
	case OPT_CGROUP:
		o->cgroup = arg;
		break;
	case OPT_MAX_PROCESSES:
		if (parse_count(arg, 4096, &n))
			argp_error(state, "invalid --max-processes '%s': 1 to 4096", arg);
		o->max_processes = (unsigned int)n;
		break;
	}
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct cli_options *o = state->input;

	switch (key) {
	case OPT_ALL:
	case OPT_COMM:
	case OPT_EXE:
	case OPT_CGROUP:
	case OPT_MAX_PROCESSES:
		parse_process_opt(key, arg, state);
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_INIT:
		/* watch and run have one child, the detector options. */
		if (o->command == GML_CMD_WATCH || o->command == GML_CMD_RUN)
			state->child_inputs[0] = o;
		break;
	case 'p':
		if (o->npids && o->command != GML_CMD_WATCH)
			argp_error(state, "one -p PID");
		parse_process_opt(key, arg, state);
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
	case OPT_ATTACH:
		o->attach_path = attach_path_parse(arg);
		if (o->attach_path < 0)
			argp_error(state,
				   "invalid --attach '%s': auto, uprobe_multi, perf or perf-ip",
				   arg);
		break;
	case ARGP_KEY_ARG:
		if (o->command == GML_CMD_RUN) {
			/* The program and its arguments: everything from here on. */
			o->run_argv = &state->argv[state->next - 1];
			state->next = state->argc;
			break;
		}
		if (o->command != GML_CMD_INSPECT || o->binary)
			argp_error(state, "unexpected argument '%s'", arg);
		o->binary = arg;
		break;
	case ARGP_KEY_END:
		if (o->command == GML_CMD_RUN && !o->run_argv)
			argp_error(state,
				   "run needs a program: gomapleak run [OPTIONS] -- CMD [ARGS]");
		if (o->command == GML_CMD_WATCH || o->command == GML_CMD_RUN)
			check_window(state, o);
		if (o->command == GML_CMD_WATCH && !o->pid && !cli_node_mode(o))
			argp_error(state, "watch needs -p PID, --all, --comm, --exe or --cgroup");
		if (o->command == GML_CMD_TRACE && !o->pid)
			argp_error(state, "trace needs -p PID");
		check_node_mode(state, o);
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
	"Attach to the Go program PID, follow its maps and report the leaking ones:\n"
	"growth (a map that keeps growing), nested (a map of maps whose inner maps do),\n"
	"bloat (a map emptied by delete that keeps its memory), churn (overflow buckets\n"
	"from insert/delete churn, Go <= 1.23). States: SUSPECT after one growing\n"
	"window, LEAK after --confirm in a row, RESOLVED when it stops (docs/alerts.md).\v"
	"Examples:\n"
	"  gomapleak watch -p 4121\n"
	"  gomapleak watch -p 4121 --top\n"
	"  gomapleak watch -p 4121 --budget 5   # more bursts: 5% of its CPU\n"
	"  gomapleak watch -p 4121 -i 0.5 --window 10 --min-growth 200\n"
	"  gomapleak watch -p 4121 --json | jq 'select(.event == \"alert\")'\n"
	"  gomapleak watch -p 4121 --duration 600 --fail-on-leak   # in a CI job\n"
	"  gomapleak watch -p 4121 --prometheus 9464 --pprof growth.pb.gz\n"
	"  gomapleak watch --all                # every Go process, new ones too\n"
	"  gomapleak watch --comm api --cgroup /system.slice/api.service\n"
	"  gomapleak watch -p 4121 -p 4133\n",
	detector_child,
	NULL,
	NULL,
};

static const struct argp_option run_options[] = {
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Give this help list", 0 },
	{ 0 },
};

static const struct argp run_argp = {
	run_options,
	parse_opt,
	"-- CMD [ARGS...]",
	"Start CMD stopped at its first instruction, attach, then let it run: every map\n"
	"it makes is seen. Takes watch's options. When gomapleak stops before CMD\n"
	"exits (--duration, Ctrl-C), it ends CMD with SIGTERM.\v"
	"Examples:\n"
	"  gomapleak run -- ./server -port 8080\n"
	"  gomapleak run --window 10 --fail-on-leak --duration 60 -- ./loadtest\n",
	detector_child,
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
	out->interval = 1;
	out->window = DETECTOR_DEFAULT_WINDOW_SECONDS;
	out->budget_percent = GOVERNOR_DEFAULT_BUDGET_PERCENT;
	out->min_growth = DETECTOR_DEFAULT_MIN_GROWTH;
	out->confirm = DETECTOR_DEFAULT_CONFIRM;
	out->max_processes = CLI_DEFAULT_MAX_PROCESSES;
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
	} else if (!strcmp(argv[1], "run")) {
		out->command = GML_CMD_RUN;
		argp = &run_argp;
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
