/* SPDX-License-Identifier: GPL-2.0 */
/* A read-only view of an ELF executable: sections, segments, bytes by address. */
#ifndef GOMAPLEAK_GOELF_H
#define GOMAPLEAK_GOELF_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The architecture gomapleak itself is built for, as Go spells it. */
#if defined(__aarch64__)
#define GOMAPLEAK_ARCH "arm64"
#else
#define GOMAPLEAK_ARCH "amd64"
#endif

struct goelf {
	int fd;
	const uint8_t *image; /* the whole file, mapped read-only */
	size_t size;
	Elf *elf;
	bool is_dyn;	  /* ET_DYN: position independent */
	uint16_t machine; /* EM_X86_64 or EM_AARCH64 */
};

struct goelf_section {
	uint64_t vaddr;
	uint64_t offset;
	uint64_t size;
	const uint8_t *data; /* NULL for SHT_NOBITS */
};

int goelf_open(struct goelf *ge, const char *path);
int goelf_open_memory(struct goelf *ge, const uint8_t *image, size_t size);
void goelf_close(struct goelf *ge);

int goelf_find_section(const struct goelf *ge, const char *name, struct goelf_section *out);
int goelf_vaddr_to_offset(const struct goelf *ge, uint64_t vaddr, uint64_t *offset);
int goelf_page_vaddr(const struct goelf *ge, uint64_t page_offset, uint64_t *vaddr);
const uint8_t *goelf_bytes_at(const struct goelf *ge, uint64_t vaddr, size_t len);
int goelf_find_symbol(const struct goelf *ge, const char *name, uint64_t *vaddr, uint64_t *size);
/* The architecture's name as Go spells it: "amd64" or "arm64". */
const char *goelf_arch_name(const struct goelf *ge);
/* Whether the binary's code is the architecture gomapleak itself was built for. */
bool goelf_is_native(const struct goelf *ge);

#endif /* GOMAPLEAK_GOELF_H */
