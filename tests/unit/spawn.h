/* SPDX-License-Identifier: GPL-2.0 */
/* Running a test target with pipes to its stdin and stdout. */
#ifndef GOMAPLEAK_TEST_SPAWN_H
#define GOMAPLEAK_TEST_SPAWN_H

#include <stdio.h>
#include <sys/types.h>

struct spawned {
	pid_t pid;
	FILE *in;  /* the target's stdin */
	FILE *out; /* the target's stdout */
};

/* Starts path with args (NULL-terminated, argv[0] excluded); fails the test on error. */
void spawn_start(struct spawned *s, const char *path, const char *const *args);
/* Writes a line to the target's stdin. */
void spawn_send(struct spawned *s, const char *line);
/* Reads the next line of the target's stdout (newline removed); fails at end of stream. */
void spawn_read_line(struct spawned *s, char *buf, size_t len);
/* Closes stdin (the targets exit then) and reaps the process. */
void spawn_stop(struct spawned *s);

#endif
