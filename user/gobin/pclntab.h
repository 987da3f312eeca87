/* SPDX-License-Identifier: GPL-2.0 */
/* Go's function table (.gopclntab): functions by name and by PC, stripped or not. */
#ifndef GOMAPLEAK_PCLNTAB_H
#define GOMAPLEAK_PCLNTAB_H

#include "goelf.h"

#define PCLNTAB_MAGIC_GO118 0xfffffff0u
#define PCLNTAB_MAGIC_GO120 0xfffffff1u

struct go_func {
	uint64_t entry; /* virtual address of the first instruction */
	uint64_t end;	/* first address past the function */
	const char *name;
};

/*
 * A source position: the function holding the PC and the file:line, which for
 * inlined code is the inlined body's; inlined names that body's function
 * (NULL when the PC is not in inlined code, or inline trees are not read).
 */
struct go_pos {
	struct go_func func;
	const char *inlined;
	const char *file;
	int32_t line;
};

struct pclntab_name {
	const char *name;
	uint32_t index;
};

struct pclntab {
	const uint8_t *data; /* the table, starting at its header */
	size_t size;
	uint64_t vaddr;
	uint32_t magic;
	uint8_t pc_quantum; /* pc deltas in pcvalue tables are in these units */
	uint64_t nfunc;
	uint64_t text_start;
	const uint8_t *funcnametab;
	size_t funcnametab_size;
	const uint8_t *cutab; /* u32 file indexes per compilation unit */
	size_t cutab_size;
	const uint8_t *filetab;
	size_t filetab_size;
	const uint8_t *pctab;
	size_t pctab_size;
	const uint8_t *pcln; /* functab pairs, then the _func records */
	size_t pcln_size;
	struct pclntab_name *by_name; /* every function, sorted by name */
	const struct goelf *ge;	      /* for funcdata, which lives outside the table */
	uint64_t gofunc;	      /* moduledata.gofunc: 0 = inline trees not read */
};

int pclntab_open(struct pclntab *pt, const struct goelf *ge);
int pclntab_parse(struct pclntab *pt, const uint8_t *data, size_t size, uint64_t vaddr);
int pclntab_open_memory(struct pclntab *pt, const uint8_t *data, size_t size, uint64_t vaddr,
			uint64_t text_start);
void pclntab_close(struct pclntab *pt);

int pclntab_func_at(const struct pclntab *pt, uint64_t index, struct go_func *out);
int pclntab_find_func(const struct pclntab *pt, const char *name, struct go_func *out);
int pclntab_func_for_pc(const struct pclntab *pt, uint64_t pc, struct go_func *out);
int pclntab_pos_for_pc(const struct pclntab *pt, uint64_t pc, struct go_pos *out);
/* Enables inlined function names: gofunc from moduledata_read_gofunc. */
void pclntab_set_gofunc(struct pclntab *pt, const struct goelf *ge, uint64_t gofunc);
/* The innermost function at pc: the inlined one if any, else the holder. */
const char *go_pos_func(const struct go_pos *pos);

#endif /* GOMAPLEAK_PCLNTAB_H */
