// SPDX-License-Identifier: GPL-2.0
#include "gobinary.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int open_buildinfo(struct gobinary *gb, const char *path, char *why, size_t len)
{
	int err = gobuildinfo_read(&gb->elf, &gb->buildinfo);

	if (err == -ENOENT)
		snprintf(why, len, "%s is not a Go binary (no Go build info)", path);
	else if (err == -EPROTONOSUPPORT)
		snprintf(why, len, "%s was built by Go older than 1.18, which is not supported",
			 path);
	else if (err)
		snprintf(why, len, "%s: Go build info is corrupt", path);
	return err;
}

static int open_layout(struct gobinary *gb, const char *path, char *why, size_t len)
{
	int err = golayout_for(&gb->buildinfo, &gb->layout);

	if (err)
		snprintf(why, len, "%s: %s is not supported (Go 1.%d to 1.%d are)", path,
			 gb->buildinfo.version, GOLAYOUT_MIN_MINOR, GOLAYOUT_MAX_MINOR);
	return err;
}

static int open_pclntab(struct gobinary *gb, const char *path, char *why, size_t len)
{
	int err = pclntab_open(&gb->pclntab, &gb->elf);

	if (err == -ENOMEM)
		snprintf(why, len, "out of memory reading the function table of %s", path);
	else if (err)
		snprintf(why, len, "%s: Go function table (pclntab) is missing or corrupt", path);
	return err ? -EINVAL : 0;
}

static int open_moduledata(struct gobinary *gb, const char *path, char *why, size_t len)
{
	int err = moduledata_find(&gb->elf, gb->pclntab.vaddr, gb->pclntab.magic, &gb->moduledata);

	if (err) {
		snprintf(why, len, "%s: Go module data (runtime.firstmoduledata) not found", path);
		return -EINVAL;
	}
	gotypes_init(&gb->types, &gb->elf, &gb->moduledata, gb->buildinfo.parsed.minor);
	/* Without funcdata, sites name the function holding inlined code: still right by line. */
	if (!moduledata_read_gofunc(&gb->elf, &gb->moduledata, gb->buildinfo.parsed.minor))
		pclntab_set_gofunc(&gb->pclntab, &gb->elf, gb->moduledata.gofunc);
	return 0;
}

int gobinary_open(struct gobinary *gb, const char *path, char *why, size_t why_len)
{
	int err;

	memset(gb, 0, sizeof(*gb));
	err = goelf_open(&gb->elf, path);
	if (err) {
		if (err == -ENOEXEC)
			snprintf(why, why_len, "%s is not an amd64 or arm64 ELF executable", path);
		else
			snprintf(why, why_len, "cannot read %s: %s", path, strerror(-err));
		return err;
	}
	err = open_buildinfo(gb, path, why, why_len);
	if (!err)
		err = open_layout(gb, path, why, why_len);
	if (!err)
		err = open_pclntab(gb, path, why, why_len);
	if (!err)
		err = open_moduledata(gb, path, why, why_len);
	if (!err) {
		err = probe_plan_build(&gb->plan, &gb->elf, &gb->pclntab, gb->layout.impl);
		if (err)
			snprintf(why, why_len, "%s: cannot plan probes: %s", path, strerror(-err));
	}
	if (err) {
		gobinary_close(gb);
		return err == -ENOENT || err == -EPROTONOSUPPORT ? -EPROTONOSUPPORT : -EINVAL;
	}
	return 0;
}

void gobinary_close(struct gobinary *gb)
{
	pclntab_close(&gb->pclntab);
	goelf_close(&gb->elf);
}
