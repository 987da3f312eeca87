// SPDX-License-Identifier: GPL-2.0
/*
 * The linker writes the pcHeader's address as moduledata's first word
 * (cmd/link symtab.go), so a stripped binary's moduledata is the 8-aligned
 * word equal to the pclntab's address in .go.module (Go 1.26+) or .noptrdata
 * (before), whose text and types fields point into the file.
 */
#include "moduledata.h"
#include "bytes.h"

#include <errno.h>
#include <string.h>

#define MODULEDATA_TEXT_OFF 176
#define PCLNTAB_MAGIC_GO118 0xfffffff0u

uint32_t moduledata_types_offset(uint32_t pclntab_magic)
{
	return pclntab_magic == PCLNTAB_MAGIC_GO118 ? 280 : 296;
}

static int moduledata_check(const struct goelf *ge, const uint8_t *md, uint32_t types_off,
			    struct moduledata *out)
{
	out->text = le64(md + MODULEDATA_TEXT_OFF);
	out->types = le64(md + types_off);
	if (!out->text || !goelf_bytes_at(ge, out->text, 1))
		return -EINVAL;
	if (!out->types || !goelf_bytes_at(ge, out->types, 1))
		return -EINVAL;
	return 0;
}

int moduledata_find(const struct goelf *ge, uint64_t pclntab_vaddr, uint32_t pclntab_magic,
		    struct moduledata *out)
{
	static const char *const sections[] = { ".go.module", ".noptrdata" };
	uint32_t types_off = moduledata_types_offset(pclntab_magic);
	struct goelf_section sec;
	uint64_t off;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (goelf_find_section(ge, sections[i], &sec) || !sec.data)
			continue;
		for (off = 0; off + types_off + 8 <= sec.size; off += 8) {
			if (le64(sec.data + off) != pclntab_vaddr)
				continue;
			if (!moduledata_check(ge, sec.data + off, types_off, out)) {
				out->vaddr = sec.vaddr + off;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* moduledata.gofunc: 304 in Go 1.18-1.19, 320 in 1.20-1.26, 344 in 1.27. */
static uint32_t moduledata_gofunc_offset(int go_minor)
{
	if (go_minor < 20)
		return 304;
	return go_minor < 27 ? 320 : 344;
}

int moduledata_read_gofunc(const struct goelf *ge, struct moduledata *md, int go_minor)
{
	const uint8_t *field =
		goelf_bytes_at(ge, md->vaddr + moduledata_gofunc_offset(go_minor), 8);

	if (!field)
		return -EINVAL;
	md->gofunc = le64(field);
	return md->gofunc && goelf_bytes_at(ge, md->gofunc, 1) ? 0 : -EINVAL;
}
