// SPDX-License-Identifier: GPL-2.0
#include "kernel_features.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "error.h"
#include "uprobe_multi.h"

/* Where the kernel lists its uprobe PMU's type: perf-event uprobes exist. */
#define UPROBE_PMU_TYPE "/sys/bus/event_source/devices/uprobe/type"

/* A kprobe-type program that returns 0: what a uprobe runs, as small as can be. */
static int load_trivial_program(enum bpf_attach_type expected)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = expected);
	int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &opts);

	return fd < 0 ? -errno : fd;
}

/*
 * As libbpf's own probe does: a link on "/" (not a regular file) fails with
 * EBADF where uprobe_multi exists, and, asked for process -1, with EINVAL
 * before the path is looked at where the process filter is the fixed one.
 */
static bool probe_uprobe_multi(void)
{
	uint64_t offset = 0;
	int prog = load_trivial_program((enum bpf_attach_type)GML_BPF_TRACE_UPROBE_MULTI);
	int any, fixed;

	if (prog < 0)
		return false;
	any = uprobe_multi_link_create(prog, "/", &offset, NULL, 1, 0);
	fixed = uprobe_multi_link_create(prog, "/", &offset, NULL, 1, -1);
	if (any >= 0)
		close(any);
	if (fixed >= 0)
		close(fixed);
	close(prog);
	return any == -EBADF && fixed == -EINVAL;
}

void kernel_features_probe(struct kernel_features *kf)
{
	struct utsname u;
	int prog;

	memset(kf, 0, sizeof(*kf));
	if (!uname(&u))
		snprintf(kf->release, sizeof(kf->release), "%s", u.release);
	prog = load_trivial_program((enum bpf_attach_type)0);
	kf->permitted = prog != -EPERM && prog != -EACCES;
	if (prog >= 0)
		close(prog);
	kf->uprobes = access(UPROBE_PMU_TYPE, R_OK) == 0;
	kf->ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) > 0;
	kf->attach_cookie =
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_attach_cookie, NULL) > 0;
	kf->uprobe_multi = probe_uprobe_multi();
	kf->memcg_accounting = libbpf_probe_bpf_helper(BPF_PROG_TYPE_SOCKET_FILTER,
						       BPF_FUNC_ktime_get_coarse_ns, NULL) > 0;
}

/* What a path needs beyond the floor, if kf lacks it: its name and Linux version; else NULL. */
static const char *path_lacks(const struct kernel_features *kf, enum attach_path path)
{
	switch (path) {
	case ATTACH_PATH_UPROBE_MULTI:
		return kf->uprobe_multi ? NULL
					: "uprobe_multi links filtering by process (Linux 6.6)";
	case ATTACH_PATH_PERF:
		return kf->attach_cookie ? NULL : "BPF cookies for uprobes (Linux 5.15)";
	case ATTACH_PATH_PERF_IP:
	case ATTACH_PATH_AUTO:
		break;
	}
	return NULL;
}

int attach_path_choose(const struct kernel_features *kf, enum attach_path asked,
		       enum attach_path *path, char *why, size_t why_len)
{
	const char *lacks;

	if (!kf->permitted)
		return error_set(
			why, why_len, -EPERM,
			"cannot load BPF programs: needs CAP_BPF and CAP_PERFMON, or root");
	if (!kf->uprobes)
		return error_set(
			why, why_len, -ENOTSUP,
			"kernel %s has no uprobes (CONFIG_UPROBE_EVENTS): gomapleak needs them",
			kf->release);
	if (!kf->ringbuf)
		return error_set(
			why, why_len, -ENOTSUP,
			"kernel %s has no BPF ring buffer (Linux 5.8): gomapleak needs Linux 5.10 or newer",
			kf->release);
	if (asked == ATTACH_PATH_AUTO) {
		*path = kf->uprobe_multi    ? ATTACH_PATH_UPROBE_MULTI
			: kf->attach_cookie ? ATTACH_PATH_PERF
					    : ATTACH_PATH_PERF_IP;
		return 0;
	}
	lacks = path_lacks(kf, asked);
	if (lacks)
		return error_set(why, why_len, -ENOTSUP, "--attach=%s: kernel %s has no %s",
				 attach_path_name(asked), kf->release, lacks);
	*path = asked;
	return 0;
}

static const char *const path_names[] = {
	[ATTACH_PATH_AUTO] = "auto",
	[ATTACH_PATH_UPROBE_MULTI] = "uprobe_multi",
	[ATTACH_PATH_PERF] = "perf",
	[ATTACH_PATH_PERF_IP] = "perf-ip",
};

const char *attach_path_name(enum attach_path path)
{
	return (size_t)path < sizeof(path_names) / sizeof(path_names[0]) ? path_names[path] : "?";
}

const char *attach_path_describe(enum attach_path path)
{
	switch (path) {
	case ATTACH_PATH_UPROBE_MULTI:
		return "uprobe_multi links";
	case ATTACH_PATH_PERF:
		return "perf-event uprobes with BPF cookies";
	case ATTACH_PATH_PERF_IP:
		return "perf-event uprobes keyed by address";
	case ATTACH_PATH_AUTO:
		break;
	}
	return "the best path the kernel has";
}

int attach_path_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(path_names) / sizeof(path_names[0]); i++)
		if (!strcmp(name, path_names[i]))
			return (int)i;
	return -1;
}
