// SPDX-License-Identifier: GPL-2.0
/*
 * A scan of a fake /proc for the Go processes a filter selects: a Go binary is
 * needed to tell them apart, so in the integration suite.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "processes.h"
#include "variants.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD  "3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b"

/* A fake /proc under dir: pid's comm, exe (a symlink) and cgroup. */
static void fake_process(const char *dir, pid_t pid, const char *comm, const char *exe,
			 const char *cgroup)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", dir, pid);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%d/comm", dir, pid);
	cr_assert_not_null(f = fopen(path, "w"));
	fprintf(f, "%s\n", comm);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%d/cgroup", dir, pid);
	cr_assert_not_null(f = fopen(path, "w"));
	fprintf(f, "0::%s\n", cgroup);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%d/exe", dir, pid);
	cr_assert_eq(symlink(exe, path), 0);
}

struct found {
	struct process_info p[8];
	int n;
};

static void take(void *ctx, const struct process_info *p)
{
	struct found *f = ctx;

	cr_assert_lt(f->n, 8);
	f->p[f->n++] = *p;
}

Test(processes, a_scan_finds_the_go_processes_a_filter_selects)
{
	char dir[] = "/tmp/gomapleak-unit-proc-XXXXXX", go[512], cmd[600];
	struct variant v[MAX_VARIANTS];
	struct process_filter all = { 0 }, docker = { .cgroup = "/system.slice" };
	struct found f = { 0 };

	cr_assert_gt(variants_load(v, MAX_VARIANTS), 0);
	variant_binary(go, sizeof(go), &v[0], "stripped-pie", "leaks");
	cr_assert_not_null(mkdtemp(dir));
	fake_process(dir, 300, "leaks", go, "/system.slice/docker-" ID64 ".scope");
	fake_process(dir, 20, "sh", "/bin/sh", "/user.slice");
	fake_process(dir, 1000, "self", go, "/user.slice");
	fake_process(dir, 7, "api", go, "/kubepods/pod" POD "/" ID64);
	cr_assert_eq(mkdir(strcat(strcpy(cmd, dir), "/self"), 0755), 0); /* not a pid */

	cr_assert_eq(processes_scan(dir, &all, 1000, take, &f), 0);
	cr_assert_eq(f.n, 2); /* in pid order; not the shell, not the skipped pid */
	cr_assert_eq(f.p[0].pid, 7);
	cr_assert_str_eq(f.p[0].comm, "api");
	cr_assert_str_eq(f.p[0].pod, POD);
	cr_assert_eq(f.p[1].pid, 300);
	cr_assert_str_eq(f.p[1].exe, go);
	cr_assert_str_eq(f.p[1].container, ID64);

	f.n = 0;
	cr_assert_eq(processes_scan(dir, &docker, 0, take, &f), 0);
	cr_assert_eq(f.n, 1);
	cr_assert_eq(f.p[0].pid, 300);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}
