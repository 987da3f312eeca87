// SPDX-License-Identifier: GPL-2.0
/*
 * Format (cmd/link buildinfo(), debug/buildinfo): a 32-byte header "\xff Go
 * buildinf:", pointer size, flags, then since Go 1.18 (flags bit 1) two
 * uvarint-prefixed strings: the runtime version and the module info.
 */
#include "gobuildinfo.h"
#include "varint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUILDINFO_MAGIC		      "\xff Go buildinf:"
#define BUILDINFO_MAGIC_LEN	      14
#define BUILDINFO_HEADER_LEN	      32
#define BUILDINFO_FLAG_INLINE_STRINGS 0x2

static int read_string(const uint8_t *data, size_t size, size_t *pos, const uint8_t **str,
		       size_t *len)
{
	uint64_t n;

	if (uvarint_read(data, size, pos, &n) || n > size - *pos)
		return -EINVAL;
	*str = data + *pos;
	*len = n;
	*pos += n;
	return 0;
}

static void copy_field(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* One line of module info: "path\tP", "build\tKEY=VALUE", ... */
static void parse_modinfo_line(const char *line, size_t len, struct gobuildinfo *out)
{
	static const struct {
		const char *prefix;
		size_t offset, cap;
	} fields[] = {
		{ "path\t", offsetof(struct gobuildinfo, main_path), sizeof(out->main_path) },
		{ "build\tGOEXPERIMENT=", offsetof(struct gobuildinfo, goexperiment),
		  sizeof(out->goexperiment) },
		{ "build\tCGO_ENABLED=", offsetof(struct gobuildinfo, cgo_enabled),
		  sizeof(out->cgo_enabled) },
		{ "build\t-buildmode=", offsetof(struct gobuildinfo, buildmode),
		  sizeof(out->buildmode) },
	};
	size_t i, plen;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		plen = strlen(fields[i].prefix);
		if (len >= plen && !memcmp(line, fields[i].prefix, plen))
			copy_field((char *)out + fields[i].offset, fields[i].cap, line + plen,
				   len - plen);
	}
}

static void parse_modinfo(const char *mod, size_t len, struct gobuildinfo *out)
{
	const char *end = mod + len, *nl;

	while (mod < end) {
		nl = memchr(mod, '\n', end - mod);
		if (!nl)
			nl = end;
		parse_modinfo_line(mod, nl - mod, out);
		mod = nl + 1;
	}
}

int go_version_parse(const char *text, struct go_version *out)
{
	char *end;
	long major, minor, patch = 0;

	if (strncmp(text, "go", 2))
		return -EINVAL;
	major = strtol(text + 2, &end, 10);
	if (*end != '.')
		return -EINVAL;
	minor = strtol(end + 1, &end, 10);
	if (*end == '.')
		patch = strtol(end + 1, &end, 10);
	/* Release candidates ("go1.26rc1") and suffixes (" X:...") keep the series. */
	if (major < 1 || minor < 0 || patch < 0 || minor > 1000 || patch > 1000)
		return -EINVAL;
	out->major = major;
	out->minor = minor;
	out->patch = patch;
	return 0;
}

int gobuildinfo_parse(const uint8_t *data, size_t size, struct gobuildinfo *out)
{
	const uint8_t *version, *mod;
	size_t pos, vlen, mlen, start;

	memset(out, 0, sizeof(*out));
	for (start = 0; start + BUILDINFO_HEADER_LEN <= size; start += 16) {
		if (memcmp(data + start, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN))
			continue;
		if (!(data[start + 15] & BUILDINFO_FLAG_INLINE_STRINGS))
			return -EPROTONOSUPPORT; /* Go older than 1.18 */
		pos = start + BUILDINFO_HEADER_LEN;
		if (read_string(data, size, &pos, &version, &vlen) ||
		    read_string(data, size, &pos, &mod, &mlen))
			return -EINVAL;
		/* debug/buildinfo: modinfo is framed by 16-byte sentinels. */
		if (mlen >= 33 && mod[mlen - 17] == '\n') {
			mod += 16;
			mlen -= 32;
		}
		copy_field(out->version, sizeof(out->version), (const char *)version, vlen);
		if (go_version_parse(out->version, &out->parsed))
			return -EINVAL;
		parse_modinfo((const char *)mod, mlen, out);
		return 0;
	}
	return -ENOENT;
}

int gobuildinfo_read(const struct goelf *ge, struct gobuildinfo *out)
{
	struct goelf_section sec;
	int err;

	err = goelf_find_section(ge, ".go.buildinfo", &sec);
	if (err)
		return err;
	if (!sec.data)
		return -ENOEXEC;
	return gobuildinfo_parse(sec.data, sec.size, out);
}
