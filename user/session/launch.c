// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE /* pipe2 */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

/* In the child: stop at exec for the parent; report exec's errno through the pipe. */
static void child_exec(char *const argv[], int report_fd)
{
	sigset_t none;
	int err;

	/* main blocked SIGINT/SIGTERM for its signalfd; the program must get them. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Killed with gomapleak, it ends as when gomapleak stops: with SIGTERM. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0)
		execvp(argv[0], argv);
	err = errno;
	if (write(report_fd, &err, sizeof(err)) < 0)
		_exit(126);
	_exit(127);
}

static int start_stopped(char *const argv[], pid_t *pid)
{
	int fds[2], status, err = 0;
	ssize_t got;
	pid_t child;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	child = fork();
	if (child < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (child == 0)
		child_exec(argv, fds[1]);
	close(fds[1]);
	/* The pipe closes on a successful exec (CLOEXEC): nothing to read. */
	got = read(fds[0], &err, sizeof(err));
	close(fds[0]);
	if (got == sizeof(err)) {
		waitpid(child, &status, 0);
		return -err;
	}
	if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status)) {
		launch_reap(child);
		return -ECHILD;
	}
	*pid = child;
	return 0;
}

int launch_stopped(char *const argv[], pid_t *pid, char *why, size_t len)
{
	int err = start_stopped(argv, pid);

	if (err)
		return error_set(why, len, err, "cannot run %s: %s", argv[0], strerror(-err));
	return 0;
}

int launch_resume(pid_t pid, const char *name, char *why, size_t len)
{
	if (ptrace(PTRACE_DETACH, pid, NULL, NULL))
		return error_set(why, len, -errno, "cannot resume %s: %s", name, strerror(errno));
	return 0;
}

void launch_end(pid_t pid, int grace_ms)
{
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	int status, waited;

	if (waitpid(pid, &status, WNOHANG) != 0)
		return; /* already ended (and now reaped), or not ours */
	kill(pid, SIGTERM);
	for (waited = 0; waited < grace_ms; waited += 10) {
		if (waitpid(pid, &status, WNOHANG) != 0)
			return;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

int launch_reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}
