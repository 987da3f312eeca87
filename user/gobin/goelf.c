// SPDX-License-Identifier: GPL-2.0
/*
 * The binary is mapped once and every later read is a bounds-checked pointer
 * into that mapping: the parsers above this file never see a file offset that
 * was not checked against the file's size.
 */
#include "goelf.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int goelf_begin(struct goelf *ge)
{
	GElf_Ehdr ehdr;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	ge->elf = elf_memory((char *)ge->image, ge->size);
	if (!ge->elf || elf_kind(ge->elf) != ELF_K_ELF || !gelf_getehdr(ge->elf, &ehdr))
		return -ENOEXEC;
	if (ehdr.e_ident[EI_CLASS] != ELFCLASS64 ||
	    (ehdr.e_machine != EM_X86_64 && ehdr.e_machine != EM_AARCH64) ||
	    ehdr.e_ident[EI_DATA] != ELFDATA2LSB)
		return -ENOEXEC;
	ge->is_dyn = ehdr.e_type == ET_DYN;
	ge->machine = ehdr.e_machine;
	return 0;
}

int goelf_open_memory(struct goelf *ge, const uint8_t *image, size_t size)
{
	int err;

	memset(ge, 0, sizeof(*ge));
	ge->fd = -1;
	ge->image = image;
	ge->size = size;
	err = goelf_begin(ge);
	if (err) {
		if (ge->elf)
			elf_end(ge->elf);
		ge->elf = NULL;
	}
	return err;
}

int goelf_open(struct goelf *ge, const char *path)
{
	struct stat st;
	void *image;
	int fd, err;

	memset(ge, 0, sizeof(*ge));
	ge->fd = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return -ENOEXEC;
	}
	image = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (image == MAP_FAILED) {
		err = -errno;
		close(fd);
		return err;
	}
	err = goelf_open_memory(ge, image, st.st_size);
	ge->fd = fd;
	if (err)
		goelf_close(ge);
	return err;
}

void goelf_close(struct goelf *ge)
{
	if (ge->elf)
		elf_end(ge->elf);
	if (ge->fd >= 0) {
		munmap((void *)ge->image, ge->size);
		close(ge->fd);
	}
	memset(ge, 0, sizeof(*ge));
	ge->fd = -1;
}

int goelf_find_section(const struct goelf *ge, const char *name, struct goelf_section *out)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	const char *sname;

	if (elf_getshdrstrndx(ge->elf, &shstrndx))
		return -ENOEXEC;
	while ((scn = elf_nextscn(ge->elf, scn))) {
		if (!gelf_getshdr(scn, &shdr))
			return -ENOEXEC;
		sname = elf_strptr(ge->elf, shstrndx, shdr.sh_name);
		if (!sname || strcmp(sname, name))
			continue;
		out->vaddr = shdr.sh_addr;
		out->offset = shdr.sh_offset;
		out->size = shdr.sh_size;
		out->data = NULL;
		if (shdr.sh_type == SHT_NOBITS)
			return 0;
		if (shdr.sh_offset > ge->size || shdr.sh_size > ge->size - shdr.sh_offset)
			return -ENOEXEC;
		out->data = ge->image + shdr.sh_offset;
		return 0;
	}
	return -ENOENT;
}

typedef bool (*segment_match_fn)(const GElf_Phdr *phdr, uint64_t key);

/* The first PT_LOAD segment for which match(phdr, key) holds. */
static int find_load_segment(const struct goelf *ge, segment_match_fn match, uint64_t key,
			     GElf_Phdr *out)
{
	size_t i, nphdr;

	if (elf_getphdrnum(ge->elf, &nphdr))
		return -ENOEXEC;
	for (i = 0; i < nphdr; i++) {
		if (gelf_getphdr(ge->elf, i, out) && out->p_type == PT_LOAD && match(out, key))
			return 0;
	}
	return -ENOENT;
}

static bool segment_holds_vaddr(const GElf_Phdr *phdr, uint64_t vaddr)
{
	return vaddr >= phdr->p_vaddr && vaddr - phdr->p_vaddr < phdr->p_filesz;
}

static bool segment_starts_in_page(const GElf_Phdr *phdr, uint64_t page_offset)
{
	return (phdr->p_offset & ~(uint64_t)0xfff) == page_offset;
}

int goelf_vaddr_to_offset(const struct goelf *ge, uint64_t vaddr, uint64_t *offset)
{
	GElf_Phdr phdr;
	int err = find_load_segment(ge, segment_holds_vaddr, vaddr, &phdr);

	if (err)
		return err;
	*offset = vaddr - phdr.p_vaddr + phdr.p_offset;
	return *offset < ge->size ? 0 : -ENOEXEC;
}

/* The file's virtual address of the page a mapping at file offset page_offset starts. */
int goelf_page_vaddr(const struct goelf *ge, uint64_t page_offset, uint64_t *vaddr)
{
	GElf_Phdr phdr;
	int err = find_load_segment(ge, segment_starts_in_page, page_offset, &phdr);

	if (!err)
		*vaddr = phdr.p_vaddr & ~(uint64_t)0xfff;
	return err;
}

const uint8_t *goelf_bytes_at(const struct goelf *ge, uint64_t vaddr, size_t len)
{
	uint64_t offset;

	if (goelf_vaddr_to_offset(ge, vaddr, &offset))
		return NULL;
	if (len > ge->size - offset)
		return NULL;
	return ge->image + offset;
}

int goelf_find_symbol(const struct goelf *ge, const char *name, uint64_t *vaddr, uint64_t *size)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	GElf_Sym sym;
	Elf_Data *data;
	const char *sname;
	size_t i, n;

	while ((scn = elf_nextscn(ge->elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_SYMTAB || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			return -ENOEXEC;
		n = shdr.sh_size / shdr.sh_entsize;
		for (i = 0; i < n; i++) {
			if (!gelf_getsym(data, i, &sym))
				break;
			sname = elf_strptr(ge->elf, shdr.sh_link, sym.st_name);
			if (sname && !strcmp(sname, name)) {
				*vaddr = sym.st_value;
				*size = sym.st_size;
				return 0;
			}
		}
	}
	return -ENOENT;
}

const char *goelf_arch_name(const struct goelf *ge)
{
	return ge->machine == EM_AARCH64 ? "arm64" : "amd64";
}

bool goelf_is_native(const struct goelf *ge)
{
#if defined(__aarch64__)
	return ge->machine == EM_AARCH64;
#else
	return ge->machine == EM_X86_64;
#endif
}
