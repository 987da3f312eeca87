/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit statuses, documented in gomapleak -h, the man page and the README, and
 * the one table that turns a failure (the stage it happened in and its errno)
 * into one of them. Errors are printed here too: one line, or with --json one
 * object on stderr.
 */
#ifndef GOMAPLEAK_EXIT_STATUS_H
#define GOMAPLEAK_EXIT_STATUS_H

#include <stdbool.h>
#include <stdio.h>

enum gml_exit {
	GML_EXIT_OK = 0,
	GML_EXIT_LEAK = 1, /* --fail-on-leak and a leak was found */
	GML_EXIT_USAGE = 2,
	GML_EXIT_NO_TARGET = 3,	  /* no such process, or it could not be read */
	GML_EXIT_UNSUPPORTED = 4, /* not a Go binary, or a Go version not supported */
	GML_EXIT_PERMISSION = 5,  /* missing privileges */
	GML_EXIT_ATTACH = 6,	  /* BPF load or uprobe attach failed */
};

/* Where a failure happened. */
enum gml_stage {
	GML_STAGE_OUTPUT,  /* an output asked for: a port to serve, a file to write */
	GML_STAGE_LAUNCH,  /* run: starting the program */
	GML_STAGE_TARGET,  /* opening the process */
	GML_STAGE_BINARY,  /* reading its Go binary */
	GML_STAGE_MEMORY,  /* finding its image in memory */
	GML_STAGE_LOAD,	   /* loading the BPF object */
	GML_STAGE_ATTACH,  /* attaching probes, the ring buffer, the event loop */
	GML_STAGE_RUNNING, /* anything else once set up (allocations) */
};

/* The exit status for a failure at stage with err (a negative errno). */
int exit_status_for(enum gml_stage stage, int err);
/* Prints an error: "gomapleak: message", or {"event":"error",...} with json. */
void exit_status_print_error(FILE *out, bool json, int code, const char *message);

#endif /* GOMAPLEAK_EXIT_STATUS_H */
