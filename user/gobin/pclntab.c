// SPDX-License-Identifier: GPL-2.0
/*
 * Layout (Go 1.18+, runtime/symtab.go pcHeader and _func): a 72-byte header
 * whose offsets locate funcnametab, cutab, filetab, pctab and the function
 * table; the function table holds nfunc+1 {entryoff, funcoff} pairs sorted by
 * entry, entryoff relative to the start of Go's text. Every offset read from
 * the file is checked before use.
 */
#include "pclntab.h"
#include "bytes.h"
#include "moduledata.h"
#include "varint.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PCHEADER_SIZE	      72
#define PCHEADER_TEXT_START   24
#define PCHEADER_FUNCNAME_OFF 32
#define PCHEADER_CU_OFF	      40
#define PCHEADER_FILETAB_OFF  48
#define PCHEADER_PCTAB_OFF    56
#define PCHEADER_PCLN_OFF     64
#define FUNC_NAMEOFF	      4
#define FUNC_PCFILE	      20
#define FUNC_PCLN	      24
#define FUNC_CUOFFSET	      32
#define FUNC_FIXED_MIN	      36
/* _func's size, then pcdata[npcdata] and funcdata[nfuncdata] (runtime/symtab.go). */
#define FUNC_NPCDATA	     28
#define FUNC_SIZE_GO118	     40
#define FUNC_SIZE_GO120	     44
#define FUNC_NFUNCDATA_GO118 39
#define FUNC_NFUNCDATA_GO120 43
#define PCDATA_INLTREE_INDEX 2
#define FUNCDATA_INLTREE     3
#define FUNCDATA_NIL	     0xffffffffu
/* runtime.inlinedCall: 20 bytes, name at 12 (1.18-1.19); 16 bytes, name at 4 (1.20+). */
#define INLINEDCALL_SIZE_GO118 20
#define INLINEDCALL_NAME_GO118 12
#define INLINEDCALL_SIZE_GO120 16
#define INLINEDCALL_NAME_GO120 4
#define PCLNTAB_MAX_FUNCS      (16u << 20)

static int pclntab_check_header(const uint8_t *data, size_t size)
{
	uint32_t magic;

	if (size < PCHEADER_SIZE)
		return -EINVAL;
	magic = le32(data);
	if (magic == 0xfffffffau || magic == 0xfffffffbu)
		return -EPROTONOSUPPORT; /* Go 1.2-1.17 formats */
	if (magic != PCLNTAB_MAGIC_GO118 && magic != PCLNTAB_MAGIC_GO120)
		return -EINVAL;
	/* The pc quantum: 1 on amd64, 4 (the instruction size) on arm64; pointers of 8 bytes. */
	if (data[4] || data[5] || (data[6] != 1 && data[6] != 4) || data[7] != 8)
		return -EINVAL;
	return 0;
}

int pclntab_parse(struct pclntab *pt, const uint8_t *data, size_t size, uint64_t vaddr)
{
	uint64_t funcname_off, cu_off, filetab_off, pctab_off, pcln_off;
	int err;

	memset(pt, 0, sizeof(*pt));
	err = pclntab_check_header(data, size);
	if (err)
		return err;
	pt->data = data;
	pt->size = size;
	pt->vaddr = vaddr;
	pt->magic = le32(data);
	pt->pc_quantum = data[6];
	pt->nfunc = le64(data + 8);
	pt->text_start = le64(data + PCHEADER_TEXT_START);
	funcname_off = le64(data + PCHEADER_FUNCNAME_OFF);
	cu_off = le64(data + PCHEADER_CU_OFF);
	filetab_off = le64(data + PCHEADER_FILETAB_OFF);
	pctab_off = le64(data + PCHEADER_PCTAB_OFF);
	pcln_off = le64(data + PCHEADER_PCLN_OFF);
	/* The tables follow the header in this order; each ends where the next begins. */
	if (!pt->nfunc || pt->nfunc > PCLNTAB_MAX_FUNCS || funcname_off < PCHEADER_SIZE ||
	    cu_off < funcname_off || filetab_off < cu_off || pctab_off < filetab_off ||
	    pcln_off < pctab_off || pcln_off >= size)
		return -EINVAL;
	pt->cutab = data + cu_off;
	pt->cutab_size = filetab_off - cu_off;
	pt->filetab = data + filetab_off;
	pt->filetab_size = pctab_off - filetab_off;
	pt->pctab = data + pctab_off;
	pt->pctab_size = pcln_off - pctab_off;
	pt->funcnametab = data + funcname_off;
	pt->funcnametab_size = cu_off - funcname_off;
	pt->pcln = data + pcln_off;
	pt->pcln_size = size - pcln_off;
	if ((pt->nfunc + 1) * 8 > pt->pcln_size)
		return -EINVAL;
	return 0;
}

/* A name in funcnametab, or NULL when the offset is out of it. */
static const char *pclntab_name_at(const struct pclntab *pt, int32_t nameoff)
{
	if (nameoff < 0 || (uint64_t)nameoff >= pt->funcnametab_size ||
	    !memchr(pt->funcnametab + nameoff, '\0', pt->funcnametab_size - nameoff))
		return NULL;
	return (const char *)pt->funcnametab + nameoff;
}

/* Entry and name of function i, without the text start applied. */
static int pclntab_raw_func(const struct pclntab *pt, uint64_t index, uint32_t *entryoff,
			    uint32_t *endoff, const char **name)
{
	const uint8_t *pair;
	uint32_t funcoff;

	if (index >= pt->nfunc)
		return -ERANGE;
	pair = pt->pcln + index * 8; /* pairs index and index+1 fit: checked at parse */
	funcoff = le32(pair + 4);
	*entryoff = le32(pair);
	*endoff = le32(pair + 8);
	if (funcoff > pt->pcln_size || pt->pcln_size - funcoff < FUNC_FIXED_MIN)
		return -EINVAL;
	*name = pclntab_name_at(pt, (int32_t)le32(pt->pcln + funcoff + FUNC_NAMEOFF));
	if (!*name)
		return -EINVAL;
	return 0;
}

int pclntab_func_at(const struct pclntab *pt, uint64_t index, struct go_func *out)
{
	uint32_t entryoff, endoff;
	int err = pclntab_raw_func(pt, index, &entryoff, &endoff, &out->name);

	if (err)
		return err;
	out->entry = pt->text_start + entryoff;
	out->end = pt->text_start + endoff;
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	const struct pclntab_name *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int pclntab_index_names(struct pclntab *pt)
{
	uint32_t entryoff, endoff;
	uint64_t i;
	int err;

	pt->by_name = calloc(pt->nfunc, sizeof(*pt->by_name));
	if (!pt->by_name)
		return -ENOMEM;
	for (i = 0; i < pt->nfunc; i++) {
		err = pclntab_raw_func(pt, i, &entryoff, &endoff, &pt->by_name[i].name);
		if (err)
			return err;
		pt->by_name[i].index = i;
	}
	qsort(pt->by_name, pt->nfunc, sizeof(*pt->by_name), compare_names);
	return 0;
}

/* Without a section of its own (PIE, external linking) the table hides in .data.rel.ro. */
static int pclntab_scan_section(struct pclntab *pt, const struct goelf *ge, const char *name)
{
	struct goelf_section sec;
	uint64_t off;

	if (goelf_find_section(ge, name, &sec) || !sec.data)
		return -ENOENT;
	for (off = 0; off + PCHEADER_SIZE <= sec.size; off += 8) {
		uint32_t magic = le32(sec.data + off);

		if (magic != PCLNTAB_MAGIC_GO118 && magic != PCLNTAB_MAGIC_GO120)
			continue;
		if (!pclntab_parse(pt, sec.data + off, sec.size - off, sec.vaddr + off))
			return 0;
	}
	return -ENOENT;
}

static int pclntab_locate(struct pclntab *pt, const struct goelf *ge)
{
	static const char *const sections[] = { ".gopclntab", ".data.rel.ro.gopclntab" };
	struct goelf_section sec;
	size_t i;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (goelf_find_section(ge, sections[i], &sec) || !sec.data)
			continue;
		return pclntab_parse(pt, sec.data, sec.size, sec.vaddr);
	}
	return pclntab_scan_section(pt, ge, ".data.rel.ro");
}

/*
 * Go 1.26 stopped writing pcHeader.textStart; moduledata still holds text.
 */
static int pclntab_set_text_start(struct pclntab *pt, const struct goelf *ge)
{
	struct moduledata md;
	int err;

	if (pt->text_start)
		return 0;
	err = moduledata_find(ge, pt->vaddr, pt->magic, &md);
	if (!err)
		pt->text_start = md.text;
	return err;
}

int pclntab_open(struct pclntab *pt, const struct goelf *ge)
{
	int err;

	memset(pt, 0, sizeof(*pt));
	err = pclntab_locate(pt, ge);
	if (!err)
		err = pclntab_set_text_start(pt, ge);
	if (!err)
		err = pclntab_index_names(pt);
	if (err)
		pclntab_close(pt);
	return err;
}

/* A table without its ELF (fuzzing, tests): text_start given when the header has none. */
int pclntab_open_memory(struct pclntab *pt, const uint8_t *data, size_t size, uint64_t vaddr,
			uint64_t text_start)
{
	int err = pclntab_parse(pt, data, size, vaddr);

	if (err)
		return err;
	if (!pt->text_start)
		pt->text_start = text_start;
	err = pclntab_index_names(pt);
	if (err)
		pclntab_close(pt);
	return err;
}

void pclntab_close(struct pclntab *pt)
{
	free(pt->by_name);
	memset(pt, 0, sizeof(*pt));
}

int pclntab_find_func(const struct pclntab *pt, const char *name, struct go_func *out)
{
	struct pclntab_name key = { .name = name };
	const struct pclntab_name *hit;

	if (!pt->by_name)
		return -ENOENT;
	hit = bsearch(&key, pt->by_name, pt->nfunc, sizeof(*pt->by_name), compare_names);
	if (!hit)
		return -ENOENT;
	/* ABI wrappers share their function's name: refuse to guess between them. */
	if ((hit > pt->by_name && !strcmp(hit[-1].name, name)) ||
	    (hit + 1 < pt->by_name + pt->nfunc && !strcmp(hit[1].name, name)))
		return -EEXIST;
	return pclntab_func_at(pt, hit->index, out);
}

/* Index of the function holding pc, or -ENOENT. */
static int64_t pclntab_index_for_pc(const struct pclntab *pt, uint64_t pc, struct go_func *out)
{
	uint64_t lo = 0, hi = pt->nfunc, mid;

	if (pc < pt->text_start)
		return -ENOENT;
	/* Last function whose entry is <= pc; entries are sorted. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (pt->text_start + le32(pt->pcln + mid * 8) <= pc)
			lo = mid;
		else
			hi = mid;
	}
	if (pclntab_func_at(pt, lo, out))
		return -EINVAL;
	return pc >= out->entry && pc < out->end ? (int64_t)lo : -ENOENT;
}

int pclntab_func_for_pc(const struct pclntab *pt, uint64_t pc, struct go_func *out)
{
	int64_t index = pclntab_index_for_pc(pt, pc, out);

	return index < 0 ? (int)index : 0;
}

/*
 * runtime.pcvalue: a table of (value delta, pc delta) uvarint pairs starting
 * at the function's entry with value -1; value deltas are zig-zag encoded.
 */
static int pcvalue(const struct pclntab *pt, uint32_t off, uint64_t entry, uint64_t target,
		   int32_t *out)
{
	size_t pos = off;
	uint64_t pc = entry, uvdelta, pcdelta;
	int32_t value = -1;
	int first = 1;

	if (!off || off >= pt->pctab_size)
		return -ENOENT;
	while (!uvarint_read(pt->pctab, pt->pctab_size, &pos, &uvdelta)) {
		if (!uvdelta && !first)
			return -ENOENT;
		first = 0;
		if (uvarint_read(pt->pctab, pt->pctab_size, &pos, &pcdelta))
			return -EINVAL;
		/* Go's int32 arithmetic wraps: add as uint32 to do the same without UB. */
		value = (int32_t)((uint32_t)value + ((uvdelta & 1) ? ~(uint32_t)(uvdelta >> 1)
								   : (uint32_t)(uvdelta >> 1)));
		pc += pcdelta * pt->pc_quantum;
		if (target < pc) {
			*out = value;
			return 0;
		}
	}
	return -EINVAL;
}

/* The file name of file number fileno in the function's compilation unit. */
static const char *pclntab_file(const struct pclntab *pt, uint32_t cu_offset, int32_t fileno)
{
	uint64_t slot = ((uint64_t)cu_offset + (uint32_t)fileno) * 4;
	uint32_t off;

	if (fileno < 0 || slot + 4 > pt->cutab_size)
		return NULL;
	off = le32(pt->cutab + slot);
	if (off >= pt->filetab_size || !memchr(pt->filetab + off, '\0', pt->filetab_size - off))
		return NULL;
	return (const char *)pt->filetab + off;
}

void pclntab_set_gofunc(struct pclntab *pt, const struct goelf *ge, uint64_t gofunc)
{
	pt->ge = ge;
	pt->gofunc = gofunc;
}

const char *go_pos_func(const struct go_pos *pos)
{
	return pos->inlined ? pos->inlined : pos->func.name;
}

/* _func f's pcdata[i] or funcdata[i], bounds-checked against the table. */
static int func_table_entry(const struct pclntab *pt, const uint8_t *f, bool funcdata, uint32_t i,
			    uint32_t *out)
{
	bool go118 = pt->magic == PCLNTAB_MAGIC_GO118;
	uint32_t npcdata = le32(f + FUNC_NPCDATA);
	uint8_t nfuncdata = f[go118 ? FUNC_NFUNCDATA_GO118 : FUNC_NFUNCDATA_GO120];
	uint64_t slot = (go118 ? FUNC_SIZE_GO118 : FUNC_SIZE_GO120) +
			4 * ((uint64_t)i + (funcdata ? npcdata : 0));

	if (i >= (funcdata ? nfuncdata : npcdata))
		return -ENOENT;
	if ((uint64_t)(f - pt->pcln) + slot + 4 > pt->pcln_size)
		return -EINVAL;
	*out = le32(f + slot);
	return 0;
}

/* The name of the inlined function at pc, from the function's inline tree. */
static const char *pclntab_inlined_name(const struct pclntab *pt, const uint8_t *f, uint64_t entry,
					uint64_t pc)
{
	bool go118 = pt->magic == PCLNTAB_MAGIC_GO118;
	uint32_t pcdata, tree;
	const uint8_t *call;
	int32_t index, nameoff;

	if (!pt->gofunc || func_table_entry(pt, f, false, PCDATA_INLTREE_INDEX, &pcdata) ||
	    func_table_entry(pt, f, true, FUNCDATA_INLTREE, &tree) || tree == FUNCDATA_NIL)
		return NULL;
	if (pcvalue(pt, pcdata, entry, pc, &index) || index < 0)
		return NULL;
	call = goelf_bytes_at(
		pt->ge,
		pt->gofunc + tree +
			(uint64_t)index * (go118 ? INLINEDCALL_SIZE_GO118 : INLINEDCALL_SIZE_GO120),
		go118 ? INLINEDCALL_SIZE_GO118 : INLINEDCALL_SIZE_GO120);
	if (!call)
		return NULL;
	memcpy(&nameoff, call + (go118 ? INLINEDCALL_NAME_GO118 : INLINEDCALL_NAME_GO120),
	       sizeof(nameoff));
	return pclntab_name_at(pt, nameoff);
}

int pclntab_pos_for_pc(const struct pclntab *pt, uint64_t pc, struct go_pos *out)
{
	int64_t index = pclntab_index_for_pc(pt, pc, &out->func);
	const uint8_t *f;
	int32_t fileno = -1;

	if (index < 0)
		return (int)index;
	f = pt->pcln + le32(pt->pcln + index * 8 + 4); /* bounds checked in func_at */
	if (pcvalue(pt, le32(f + FUNC_PCLN), out->func.entry, pc, &out->line) || out->line < 0)
		return -ENOENT;
	/* Like debug/gosym, a line without a file (linker-made code) has file "". */
	pcvalue(pt, le32(f + FUNC_PCFILE), out->func.entry, pc, &fileno);
	out->file = pclntab_file(pt, le32(f + FUNC_CUOFFSET), fileno);
	if (!out->file)
		out->file = "";
	out->inlined = pclntab_inlined_name(pt, f, out->func.entry, pc);
	return 0;
}
