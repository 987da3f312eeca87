// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "processes.h"
#include "target.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD  "3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b"

static void container_of(const char *cgroup, const char *container, const char *pod)
{
	char c[PROCESS_CONTAINER_LEN], p[PROCESS_POD_LEN];

	process_container(cgroup, c, sizeof(c), p, sizeof(p));
	cr_assert_str_eq(c, container, "%s: container %s", cgroup, c);
	cr_assert_str_eq(p, pod, "%s: pod %s", cgroup, p);
}

Test(processes, container_ids_and_pods_come_from_every_runtimes_cgroup_paths)
{
	container_of("/system.slice/docker-" ID64 ".scope", ID64, "");
	container_of("/docker/" ID64, ID64, "");
	container_of("/machine.slice/libpod-" ID64 ".scope/container", ID64, "");
	container_of("/kubepods/burstable/pod" POD "/" ID64, ID64, POD);
	container_of("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
		     "3f1c2a4e_5b6d_4e7f_8a9b_0c1d2e3f4a5b.slice/cri-containerd-" ID64 ".scope",
		     ID64, POD);
	container_of("/kubepods.slice/kubepods-pod" POD ".slice/crio-" ID64 ".scope", ID64, POD);
	/* A service, a user session, an ID too short, capital hex: no container. */
	container_of("/system.slice/prometheus.service", "", "");
	container_of("/user.slice/user-0.slice/session-3.scope", "", "");
	container_of("/system.slice/docker-0123456789abcdef.scope", "", "");
	container_of("/docker/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "",
		     "");
	container_of("/", "", "");
}

static struct process_info info(const char *comm, const char *exe, const char *cgroup)
{
	struct process_info p = { .pid = 42 };

	snprintf(p.comm, sizeof(p.comm), "%s", comm);
	snprintf(p.exe, sizeof(p.exe), "%s", exe);
	snprintf(p.cgroup, sizeof(p.cgroup), "%s", cgroup);
	return p;
}

Test(processes, selectors_combine_and_a_cgroup_selects_the_cgroups_below_it)
{
	struct process_info api = info("api", "/srv/api/bin/api", "/system.slice/api.service");
	struct process_info apix = info("api", "/srv/api/bin/api", "/system.slice/api.servicex");
	struct process_filter none = { 0 };
	struct process_filter by_comm = { .comm = "api" };
	struct process_filter by_exe = { .exe_glob = "/srv/*/bin/*" };
	struct process_filter by_cgroup = { .cgroup = "/system.slice/api.service/" };
	struct process_filter both = { .comm = "api", .cgroup = "/system.slice/db.service" };
	struct process_filter root = { .cgroup = "/" };

	cr_assert(process_filter_matches(&none, &api));
	cr_assert(process_filter_matches(&by_comm, &api));
	cr_assert_not(process_filter_matches(&by_comm, &(struct process_info){ .comm = "ap" }));
	cr_assert(process_filter_matches(&by_exe, &api));
	cr_assert(process_filter_matches(&by_cgroup, &api));
	cr_assert_not(process_filter_matches(&by_cgroup, &apix));
	cr_assert_not(process_filter_matches(&both, &api));
	cr_assert(process_filter_matches(&root, &apix));
}

Test(processes, reads_a_live_process)
{
	struct process_info p;

	cr_assert_eq(process_info_read("/proc", getpid(), &p), 0);
	cr_assert_eq(p.pid, getpid());
	cr_assert_str_eq(p.comm, "test_processes");
	cr_assert_eq(p.exe[0], '/');
	cr_assert_eq(p.cgroup[0], '/');
	cr_assert_not(process_runs_go(p.exe));
	cr_assert_neq(process_info_read("/proc", 0, &p), 0);
}

static void *sleep_until_killed(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/*
 * A child that sleeps until killed. CHILD_EXECS: it runs /bin/sleep (an
 * exec'd program); CHILD_LEADER_ENDS: its first thread ends and a second
 * sleeps (a zombie leader, as in another thread's execve).
 */
enum child_shape { CHILD_SLEEPS, CHILD_EXECS, CHILD_LEADER_ENDS };

static pid_t start_child(enum child_shape shape)
{
	pthread_t thread;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (shape == CHILD_EXECS)
			execl("/bin/sleep", "sleep", "60", (char *)NULL);
		if (shape == CHILD_LEADER_ENDS &&
		    !pthread_create(&thread, NULL, sleep_until_killed, NULL))
			pthread_exit(NULL);
		pause();
		_exit(0);
	}
	return pid;
}

/* The state letter of process pid, from /proc/PID/stat. */
static char state_of(pid_t pid)
{
	char path[64], buf[512], *after_comm;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	after_comm = strrchr(buf, ')');
	return after_comm ? after_comm[2] : 0;
}

Test(processes, a_target_runs_until_it_exits_a_zombie_or_reaped)
{
	struct target t;
	pid_t pid = start_child(CHILD_SLEEPS);
	int status;

	cr_assert_eq(target_open(&t, pid, NULL, 0), 0);
	cr_assert(target_still_runs(&t));
	kill(pid, SIGKILL);
	/* A zombie until its parent waits: gone all the same (run's child is one). */
	while (state_of(pid) != 'Z')
		usleep(1000);
	cr_assert_not(target_still_runs(&t));
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_not(target_still_runs(&t));
	target_close(&t);
}

Test(processes, a_target_that_exec_d_runs_on)
{
	struct target t;
	pid_t pid = start_child(CHILD_EXECS);
	char exe[256];
	ssize_t n = 0;
	int i;

	cr_assert_eq(target_open(&t, pid, NULL, 0), 0);
	/* Once it runs sleep: the process is the same, its program another. */
	for (i = 0; i < 1000; i++) {
		n = readlink(t.exe_path, exe, sizeof(exe) - 1);
		if (n > 0 && (exe[n] = 0, strstr(exe, "sleep")))
			break;
		usleep(1000);
	}
	cr_assert(n > 0 && strstr(exe, "sleep"), "%s", exe);
	cr_assert(target_still_runs(&t));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_not(target_still_runs(&t));
	target_close(&t);
}

Test(processes, a_first_thread_ending_for_longer_than_the_settle_time_is_an_exit)
{
	struct target t;
	pid_t pid = start_child(CHILD_LEADER_ENDS);

	cr_assert_eq(target_open(&t, pid, NULL, 0), 0);
	while (state_of(pid) != 'Z')
		usleep(1000);
	/*
	 * A zombie first thread beside a live one: an exit_group or an execve
	 * under way, which settle in milliseconds; this one never does.
	 */
	cr_assert_not(target_still_runs(&t));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	target_close(&t);
}
