// SPDX-License-Identifier: GPL-2.0
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "error.h"

static int open_failed(pid_t pid, int err, char *why, size_t len)
{
	if (err == -EACCES || err == -EPERM)
		return error_set(why, len, err,
				 "cannot read process %d's executable: %s (needs root, or "
				 "CAP_SYS_PTRACE to read another user's process, CAP_BPF and "
				 "CAP_PERFMON to trace it)",
				 pid, strerror(-err));
	return error_set(why, len, err, "cannot open process %d: %s", pid,
			 err == -ESRCH ? "no such process" : strerror(-err));
}

int target_open(struct target *t, pid_t pid, char *why, size_t len)
{
	ssize_t n;
	int err;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (t->pidfd < 0)
		return open_failed(pid, -errno, why, len);
	snprintf(t->exe_path, sizeof(t->exe_path), "/proc/%d/exe", pid);
	n = readlink(t->exe_path, t->exe_name, sizeof(t->exe_name) - 1);
	if (n < 0) {
		err = -errno;
		target_close(t);
		return open_failed(pid, err == -ENOENT ? -ESRCH : err, why, len);
	}
	t->exe_name[n] = '\0';
	return 0;
}

void target_close(struct target *t)
{
	if (t->pidfd > 0)
		close(t->pidfd);
	t->pidfd = -1;
}

/*
 * The load bias is what the kernel added to the file's addresses: find a
 * mapping of the executable's inode in /proc/PID/maps and the segment it maps.
 */
static int find_load_bias(const struct target *t, const struct goelf *ge, uint64_t *bias)
{
	char path[64], line[512];
	struct stat st;
	FILE *maps;
	int err = -ENOENT;

	*bias = 0;
	if (!ge->is_dyn)
		return 0;
	if (stat(t->exe_path, &st))
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/maps", t->pid);
	maps = fopen(path, "re");
	if (!maps)
		return -errno;
	while (err && fgets(line, sizeof(line), maps)) {
		uint64_t start, end, off, inode, vaddr;
		unsigned int dmaj, dmin;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %x:%x %" SCNu64, &start,
			   &end, &off, &dmaj, &dmin, &inode) != 6)
			continue;
		if (inode != st.st_ino || makedev(dmaj, dmin) != st.st_dev)
			continue;
		if (!goelf_page_vaddr(ge, off, &vaddr)) {
			*bias = start - vaddr;
			err = 0;
		}
	}
	fclose(maps);
	return err;
}

int target_load_bias(const struct target *t, const struct goelf *ge, uint64_t *bias, char *why,
		     size_t len)
{
	int err = find_load_bias(t, ge, bias);

	if (err)
		return error_set(why, len, err, "cannot find where %s is loaded in process %d: %s",
				 t->exe_name, t->pid, strerror(-err));
	return 0;
}

/* The stat line of the process, NUL-terminated; returns what follows its comm, or NULL. */
static const char *read_stat(const struct target *t, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", t->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: fields resume after the last ')'. */
	return strrchr(buf, ')');
}

/* PF_EXITING in /proc/PID/stat's flags: the thread is in do_exit (linux/sched.h in the kernel's
 * sources). */
#define TASK_PF_EXITING 0x4
/* How long an ending first thread may take to settle (a few ms when not stuck). */
#define TARGET_SETTLE_MS 250

enum leader_state {
	LEADER_GONE,   /* reaped, or a zombie with no other thread */
	LEADER_ENDING, /* exiting or a zombie, other threads still there */
	LEADER_RUNS,
};

/* The process's first thread, through the pidfd (the same process, not one that took its PID). */
static enum leader_state leader_state(const struct target *t)
{
	const char *after_comm;
	char buf[1024], state;
	unsigned int flags;
	long threads;
	bool zombie;

	if (syscall(SYS_pidfd_send_signal, t->pidfd, 0, NULL, 0) < 0)
		return LEADER_GONE;
	after_comm = read_stat(t, buf, sizeof(buf));
	/* state, ppid, pgrp, session, tty_nr, tpgid, flags, then 10 fields to num_threads */
	if (!after_comm || sscanf(after_comm + 1,
				  " %c %*d %*d %*d %*d %*d %u %*u %*u %*u %*u %*u %*u %*d %*d "
				  "%*d %*d %ld",
				  &state, &flags, &threads) != 3)
		return LEADER_GONE;
	zombie = state == 'Z' || state == 'X';
	if (!zombie && !(flags & TASK_PF_EXITING))
		return LEADER_RUNS;
	return zombie && threads <= 1 ? LEADER_GONE : LEADER_ENDING;
}

/*
 * Both an exit_group and another thread's execve end the first thread
 * first, while other threads are still there (and the memory reads ESRCH):
 * the one settles into a zombie alone or a reaped process, the other into
 * the exec'ing thread in the first one's place.
 */
bool target_still_runs(const struct target *t)
{
	int waited;

	for (waited = 0; waited < TARGET_SETTLE_MS; waited++) {
		switch (leader_state(t)) {
		case LEADER_GONE:
			return false;
		case LEADER_RUNS:
			return true;
		case LEADER_ENDING:
			usleep(1000);
			break;
		}
	}
	return false;
}

int target_cpu_seconds(const struct target *t, double *seconds)
{
	unsigned long long utime, stime;
	const char *after_comm;
	char buf[1024];

	after_comm = read_stat(t, buf, sizeof(buf));
	if (!after_comm ||
	    sscanf(after_comm + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
		   &stime) != 2)
		return -EIO;
	*seconds = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
	return 0;
}
