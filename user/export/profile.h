/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Map growth by call stack, for --pprof (profile.proto, gzip) and --folded
 * (flame graph input). Each growth event adds to its stack: one grow, the
 * entries the map held, the bytes of storage the growth allocated. The leaf
 * frame is the runtime function that grew the map. Beside them, live_bytes:
 * the bytes the tracked maps hold now, at the stack where each last grew,
 * set anew before each write.
 */
#ifndef GOMAPLEAK_PROFILE_H
#define GOMAPLEAK_PROFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gomapleak.h"
#include "pclntab.h"

/* Stacks kept; growth past it is added to one stack of the growth function alone. */
#define PROFILE_MAX_STACKS 16384
#define PROFILE_MAX_FRAMES (GML_STACK_DEPTH + 1)

enum profile_value {
	PROFILE_GROWS,
	PROFILE_ENTRIES,
	PROFILE_BYTES,
	PROFILE_LIVE_BYTES, /* what the maps that last grew there hold now */
	PROFILE_VALUES,
};

struct profile_stack {
	uint64_t key; /* the BPF stack hash */
	uint16_t probe;
	bool used;
	uint64_t pcs[GML_STACK_DEPTH]; /* return addresses, innermost first; 0 ends */
	uint64_t value[PROFILE_VALUES];
};

/*
 * A frame: a runtime address and where it is in the source. Code inlined
 * into another function is at func, file:line, inside holder (NULL when not
 * inlined) whose own file is holder_file.
 */
struct profile_frame {
	uint64_t pc;
	const char *func, *file; /* NULL when pclntab does not know pc */
	int32_t line;
	const char *holder, *holder_file;
};

struct profile {
	const struct pclntab *pt;
	uint64_t load_bias;
	const char *exe_path;
	uint64_t probe_pc[GML_MAX_PROBES]; /* runtime address of each probed function */
	const char *probe_func[GML_MAX_PROBES];
	struct profile_stack *stacks; /* open addressing by (key, probe) */
	uint32_t nstacks;
	uint64_t start_ns; /* CLOCK_REALTIME when tracing began */
};

int profile_init(struct profile *p, const struct pclntab *pt, uint64_t load_bias,
		 const char *exe_path);
void profile_free(struct profile *p);
/* Names the growth function probe is on (its plan index), at runtime address pc. */
void profile_set_probe(struct profile *p, int probe, const char *func, uint64_t pc);
/* One growth; stack NULL when its call stack is unknown. */
void profile_add(struct profile *p, int probe, uint64_t key, const struct gml_stack *stack,
		 uint64_t entries, uint64_t bytes);
/* Forgets the live bytes, before they are added anew. */
void profile_clear_live(struct profile *p);
/* A tracked map holding bytes now, which last grew at (probe, key). */
void profile_add_live(struct profile *p, int probe, uint64_t key, uint64_t bytes);
/* Frames of s, root first, the growth function last; returns how many. */
int profile_frames(const struct profile *p, const struct profile_stack *s,
		   struct profile_frame *out);
/* Folded stacks: "root;...;leaf grows" a line. */
int profile_write_folded(const struct profile *p, FILE *out);
/* gzip'd profile.proto to path (written aside, then renamed into place). */
int profile_write_pprof(const struct profile *p, const char *path);
int profile_write_folded_file(const struct profile *p, const char *path);
/*
 * Replaces path with what write puts in path.tmp, renamed into place only
 * when complete: a reader never sees half a profile.
 */
int profile_replace_file(const char *path, int (*write)(const char *tmp, void *ctx), void *ctx);

#endif /* GOMAPLEAK_PROFILE_H */
