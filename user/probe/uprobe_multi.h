/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uprobe_multi links (Linux 6.6), created by hand: libbpf 1.1, Debian 12's,
 * predates them. libbpf 1.3 has bpf_program__attach_uprobe_multi() (and
 * bpf_link_create's uprobe_multi options from 1.2): with it as the floor,
 * this file goes.
 */
#ifndef GOMAPLEAK_UPROBE_MULTI_H
#define GOMAPLEAK_UPROBE_MULTI_H

#include <stdint.h>
#include <sys/types.h>

/* enum bpf_attach_type's BPF_TRACE_UPROBE_MULTI (newer than Debian 12's headers). */
#define GML_BPF_TRACE_UPROBE_MULTI 48

/*
 * A link running prog_fd at each of cnt file offsets of path, with its
 * cookie, in process pid only. Returns its descriptor or a negative errno.
 */
int uprobe_multi_link_create(int prog_fd, const char *path, const uint64_t *offsets,
			     const uint64_t *cookies, uint32_t cnt, pid_t pid);

#endif /* GOMAPLEAK_UPROBE_MULTI_H */
