// SPDX-License-Identifier: GPL-2.0
#include "profile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"

/* Slots in the table: twice the stacks kept, so probing stays short. */
#define PROFILE_SLOTS (2 * PROFILE_MAX_STACKS)

int profile_init(struct profile *p, const struct pclntab *pt, uint64_t load_bias,
		 const char *exe_path)
{
	struct timespec now;

	memset(p, 0, sizeof(*p));
	p->pt = pt;
	p->load_bias = load_bias;
	p->exe_path = exe_path;
	p->stacks = calloc(PROFILE_SLOTS, sizeof(*p->stacks));
	if (!p->stacks)
		return -ENOMEM;
	clock_gettime(CLOCK_REALTIME, &now);
	p->start_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	return 0;
}

void profile_free(struct profile *p)
{
	free(p->stacks);
	memset(p, 0, sizeof(*p));
}

void profile_set_probe(struct profile *p, int probe, const char *func, uint64_t pc)
{
	if (probe < 0 || probe >= GML_MAX_PROBES)
		return;
	p->probe_func[probe] = func;
	p->probe_pc[probe] = pc;
}

static struct profile_stack *stack_slot(struct profile *p, int probe, uint64_t key, bool *added)
{
	uint32_t i = hash_u64(key ^ (uint64_t)probe) & (PROFILE_SLOTS - 1);

	*added = false;
	for (; p->stacks[i].used; i = (i + 1) & (PROFILE_SLOTS - 1))
		if (p->stacks[i].key == key && p->stacks[i].probe == probe)
			return &p->stacks[i];
	/* Key 0 (no stack) may always be added: it is where growth goes once full. */
	if (p->nstacks >= PROFILE_MAX_STACKS && key)
		return NULL;
	p->nstacks++;
	p->stacks[i].used = true;
	p->stacks[i].key = key;
	p->stacks[i].probe = (uint16_t)probe;
	*added = true;
	return &p->stacks[i];
}

void profile_add(struct profile *p, int probe, uint64_t key, const struct gml_stack *stack,
		 uint64_t entries, uint64_t bytes)
{
	struct profile_stack *s;
	bool added;

	if (probe < 0 || probe >= GML_MAX_PROBES)
		return;
	if (!stack)
		key = 0;
	s = stack_slot(p, probe, key, &added);
	if (!s) {
		/* Full: the growth still counts, under its growth function alone. */
		key = 0;
		stack = NULL;
		s = stack_slot(p, probe, 0, &added);
		if (!s)
			return;
	}
	if (added && stack)
		memcpy(s->pcs, stack->pcs, sizeof(s->pcs));
	s->value[PROFILE_GROWS]++;
	s->value[PROFILE_ENTRIES] += entries;
	s->value[PROFILE_BYTES] += bytes;
}

void profile_clear_live(struct profile *p)
{
	uint32_t i;

	for (i = 0; i < 2 * PROFILE_MAX_STACKS; i++)
		p->stacks[i].value[PROFILE_LIVE_BYTES] = 0;
}

void profile_add_live(struct profile *p, int probe, uint64_t key, uint64_t bytes)
{
	struct profile_stack *s;
	bool added;

	if (probe < 0 || probe >= GML_MAX_PROBES)
		return;
	/* Its growth made the slot; a slot made now (table full then) has no frames. */
	s = stack_slot(p, probe, key, &added);
	if (!s)
		s = stack_slot(p, probe, 0, &added);
	if (s)
		s->value[PROFILE_LIVE_BYTES] += bytes;
}

/* A return address's frame is the CALL before it: its line is at pc - 1. */
static void frame_at(const struct profile *p, uint64_t pc, bool return_address,
		     struct profile_frame *f)
{
	struct go_pos pos, entry;

	memset(f, 0, sizeof(*f));
	f->pc = pc;
	if (pclntab_pos_for_pc(p->pt, pc - (return_address ? 1 : 0) - p->load_bias, &pos))
		return;
	f->func = go_pos_func(&pos);
	f->file = pos.file;
	f->line = pos.line;
	if (!pos.inlined || pos.inlined == pos.func.name)
		return;
	f->holder = pos.func.name;
	/* A function's entry is its own code, never inlined: its file is the holder's. */
	if (!pclntab_pos_for_pc(p->pt, pos.func.entry, &entry))
		f->holder_file = entry.file;
}

int profile_frames(const struct profile *p, const struct profile_stack *s,
		   struct profile_frame *out)
{
	int depth = 0, n = 0, i;

	while (depth < GML_STACK_DEPTH && s->pcs[depth])
		depth++;
	for (i = depth - 1; i >= 0; i--)
		frame_at(p, s->pcs[i], true, &out[n++]);
	frame_at(p, p->probe_pc[s->probe], false, &out[n]);
	if (!out[n].func)
		out[n].func = p->probe_func[s->probe];
	return n + 1;
}

/* ';' separates frames: generic instantiations can carry one in a struct type. */
static void print_folded_name(FILE *out, const char *name)
{
	for (; *name; name++)
		fputc(*name == ';' ? ',' : *name == '\n' ? ' ' : *name, out);
}

static void print_folded_frame(FILE *out, const struct profile_frame *f)
{
	if (f->func)
		print_folded_name(out, f->func);
	else
		fprintf(out, "0x%" PRIx64, f->pc);
}

int profile_write_folded(const struct profile *p, FILE *out)
{
	struct profile_frame frames[PROFILE_MAX_FRAMES];
	uint32_t i;
	int n, j;

	for (i = 0; i < PROFILE_SLOTS; i++) {
		const struct profile_stack *s = &p->stacks[i];

		if (!s->used)
			continue;
		n = profile_frames(p, s, frames);
		for (j = 0; j < n; j++) {
			if (j)
				fputc(';', out);
			if (frames[j].holder) {
				print_folded_name(out, frames[j].holder);
				fputc(';', out);
			}
			print_folded_frame(out, &frames[j]);
		}
		fprintf(out, " %" PRIu64 "\n", s->value[PROFILE_GROWS]);
	}
	return ferror(out) ? -EIO : 0;
}

int profile_replace_file(const char *path, int (*write)(const char *tmp, void *ctx), void *ctx)
{
	char tmp[4096];
	int err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	err = write(tmp, ctx);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static int write_folded(const char *path, void *ctx)
{
	FILE *f = fopen(path, "w");
	int err;

	if (!f)
		return -errno;
	err = profile_write_folded(ctx, f);
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

int profile_write_folded_file(const struct profile *p, const char *path)
{
	return profile_replace_file(path, write_folded, (void *)p);
}
