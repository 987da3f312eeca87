// SPDX-License-Identifier: GPL-2.0
#include "processes.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gobuildinfo.h"
#include "goelf.h"

/* One line of a small /proc file, without its newline. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		err = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return err;
}

/* Copies what fits of src, always terminated. */
static void copy_string(char *out, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(out, src, n);
	out[n] = '\0';
}

/* The cgroup v2 path: /proc/PID/cgroup's "0::PATH" line ("/" on a v1-only host). */
static int read_cgroup(const char *path, char *out, size_t len)
{
	char line[1024];
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	copy_string(out, len, "/");
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "0::", 3)) {
			copy_string(out, len, line + 3);
			break;
		}
	}
	fclose(f);
	return 0;
}

int process_info_read(const char *proc, pid_t pid, struct process_info *out)
{
	char path[128];
	ssize_t n;
	int err;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	snprintf(path, sizeof(path), "%s/%d/comm", proc, pid);
	err = read_line(path, out->comm, sizeof(out->comm));
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/%d/exe", proc, pid);
	n = readlink(path, out->exe, sizeof(out->exe) - 1);
	if (n < 0)
		return -errno; /* a kernel thread has none */
	out->exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/%d/cgroup", proc, pid);
	err = read_cgroup(path, out->cgroup, sizeof(out->cgroup));
	if (err)
		return err;
	process_container(out->cgroup, out->container, sizeof(out->container), out->pod,
			  sizeof(out->pod));
	return 0;
}

/* Whether cgroup is path or below it ("/a/b" is below "/a", "/ab" is not). */
static bool cgroup_within(const char *cgroup, const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 1 && path[0] == '/')
		return true;
	return !strncmp(cgroup, path, n) && (cgroup[n] == '\0' || cgroup[n] == '/');
}

bool process_filter_matches(const struct process_filter *f, const struct process_info *p)
{
	if (f->comm && strcmp(f->comm, p->comm))
		return false;
	if (f->exe_glob && fnmatch(f->exe_glob, p->exe, 0))
		return false;
	if (f->cgroup && !cgroup_within(p->cgroup, f->cgroup))
		return false;
	return true;
}

static size_t hex_run(const char *s)
{
	size_t n = 0;

	while (isxdigit((unsigned char)s[n]) && !isupper((unsigned char)s[n]))
		n++;
	return n;
}

/*
 * The last path component that is, or ends in, a 64-hex-digit ID after a
 * runtime's prefix ("docker-", "cri-containerd-", "crio-", "libpod-", or
 * none under cgroupfs), before an optional ".scope".
 */
static void find_container(const char *cgroup, char *out, size_t len)
{
	const char *c, *id;

	for (c = cgroup; (c = strchr(c, '/')); c++) {
		const char *end = strchr(c + 1, '/');

		id = c + 1;
		if (!end)
			end = id + strlen(id);
		/* The ID is the component's last 64 hex digits, after a '-' or alone. */
		if (end - id > 6 && !strncmp(end - 6, ".scope", 6))
			end -= 6;
		if (end - id < 64)
			continue;
		id = end - 64;
		if (hex_run(id) == 64 && (id == c + 1 || id[-1] == '-') && len > 64) {
			memcpy(out, id, 64);
			out[64] = '\0';
		}
	}
}

/* "pod<uid>" under cgroupfs, "...-pod<uid_with_underscores>.slice" under systemd. */
static void find_pod(const char *cgroup, char *out, size_t len)
{
	const char *p = cgroup;
	size_t i, n;

	while ((p = strstr(p, "pod"))) {
		p += 3;
		if (p - 4 >= cgroup && p[-4] != '/' && p[-4] != '-')
			continue;
		for (n = 0; isxdigit((unsigned char)p[n]) || p[n] == '-' || p[n] == '_'; n++)
			;
		if (n != 36)
			continue;
		for (i = 0; i < n && i + 1 < len; i++)
			out[i] = p[i] == '_' ? '-' : p[i];
		out[i] = '\0';
		return;
	}
}

void process_container(const char *cgroup, char *container, size_t container_len, char *pod,
		       size_t pod_len)
{
	container[0] = '\0';
	pod[0] = '\0';
	find_container(cgroup, container, container_len);
	find_pod(cgroup, pod, pod_len);
}

bool process_runs_go(const char *path)
{
	struct gobuildinfo info;
	struct goelf ge;
	bool go;

	if (goelf_open(&ge, path))
		return false;
	go = !gobuildinfo_read(&ge, &info);
	goelf_close(&ge);
	return go;
}

static int compare_pids(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* The numeric entries of proc, sorted; *n of them. */
static int list_pids(const char *proc, pid_t **pids, size_t *n)
{
	size_t cap = 0;
	struct dirent *d;
	pid_t *grown;
	DIR *dir = opendir(proc);

	*pids = NULL;
	*n = 0;
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			grown = realloc(*pids, cap * sizeof(**pids));
			if (!grown) {
				closedir(dir);
				free(*pids);
				*pids = NULL;
				*n = 0;
				return -ENOMEM;
			}
			*pids = grown;
		}
		(*pids)[(*n)++] = (pid_t)pid;
	}
	closedir(dir);
	qsort(*pids, *n, sizeof(**pids), compare_pids);
	return 0;
}

int processes_scan(const char *proc, const struct process_filter *f, pid_t skip_pid, process_fn fn,
		   void *ctx)
{
	struct process_info p;
	char exe[128];
	pid_t *pids;
	size_t i, n;
	int err;

	err = list_pids(proc, &pids, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (pids[i] == skip_pid || process_info_read(proc, pids[i], &p) ||
		    !process_filter_matches(f, &p))
			continue;
		snprintf(exe, sizeof(exe), "%s/%d/exe", proc, pids[i]);
		if (process_runs_go(exe))
			fn(ctx, &p);
	}
	free(pids);
	return 0;
}
