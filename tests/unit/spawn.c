// SPDX-License-Identifier: GPL-2.0
#include "spawn.h"

#include <criterion/criterion.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void spawn_start(struct spawned *s, const char *path, const char *const *args)
{
	const char *argv[16] = { path };
	int in[2], out[2], i;

	for (i = 0; args && args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	cr_assert_eq(pipe(in), 0);
	cr_assert_eq(pipe(out), 0);
	s->pid = fork();
	cr_assert_geq(s->pid, 0);
	if (s->pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		close(in[1]);
		close(out[0]);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	s->in = fdopen(in[1], "w");
	s->out = fdopen(out[0], "r");
	cr_assert(s->in && s->out);
}

void spawn_send(struct spawned *s, const char *line)
{
	fprintf(s->in, "%s\n", line);
	fflush(s->in);
}

void spawn_read_line(struct spawned *s, char *buf, size_t len)
{
	cr_assert(fgets(buf, (int)len, s->out), "target %d closed its output", s->pid);
	buf[strcspn(buf, "\n")] = '\0';
}

void spawn_stop(struct spawned *s)
{
	int status;

	fclose(s->in);
	fclose(s->out);
	waitpid(s->pid, &status, 0);
}
