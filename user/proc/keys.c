// SPDX-License-Identifier: GPL-2.0
#include "keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "walker.h"

/* Go's kind numbers for the integer kinds. */
enum {
	KIND_INT = 2,
	KIND_INT64 = 6,
	KIND_UINT = 7,
	KIND_UINTPTR = 12,
};

static int64_t signed_of(const uint8_t *p, uint64_t size)
{
	switch (size) {
	case 1:
		return (int8_t)p[0];
	case 2:
		return (int16_t)(p[0] | p[1] << 8);
	case 4:
		return (int32_t)le32(p);
	default:
		return (int64_t)le64(p);
	}
}

static uint64_t unsigned_of(const uint8_t *p, uint64_t size)
{
	switch (size) {
	case 1:
		return p[0];
	case 2:
		return (uint64_t)p[0] | (uint64_t)p[1] << 8;
	case 4:
		return le32(p);
	default:
		return le64(p);
	}
}

/* A quoted, truncated string; bytes outside printable ASCII as \xNN. */
static void format_string(const uint8_t *s, uint64_t n, bool truncated, char *out, size_t len)
{
	size_t at = 0;
	uint64_t i;

	at += (size_t)snprintf(out, len, "\"");
	for (i = 0; i < n && at + 5 < len; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			out[at++] = (char)s[i];
		else
			at += (size_t)snprintf(out + at, len - at, "\\x%02x", s[i]);
	}
	snprintf(out + at, len - at, "%s\"", truncated || i < n ? "..." : "");
}

bool keys_format(pid_t pid, uint8_t kind, uint64_t size, const uint8_t *key, char *out, size_t len)
{
	uint8_t text[KEYS_MAX_STRING];
	uint64_t ptr, n, shown;

	if (kind >= KIND_INT && kind <= KIND_INT64 && size <= 8) {
		snprintf(out, len, "%" PRId64, signed_of(key, size));
		return true;
	}
	if (kind >= KIND_UINT && kind <= KIND_UINTPTR && size <= 8) {
		snprintf(out, len, "%" PRIu64, unsigned_of(key, size));
		return true;
	}
	if (kind != GO_KIND_STRING || size != 16)
		return false;
	ptr = le64(key);
	n = le64(key + 8);
	shown = n < sizeof(text) ? n : sizeof(text);
	if (shown && sampler_read_remote(pid, ptr, text, shown))
		return false;
	format_string(text, shown, shown < n, out, len);
	return true;
}

struct key_sample {
	pid_t pid;
	const struct go_map_type *mt;
	char *out;
	size_t len;
	int n, max;
};

static bool take_key(void *data, const uint8_t *key, const uint8_t *elem)
{
	struct key_sample *ks = data;

	(void)elem;
	if (keys_format(ks->pid, ks->mt->key_kind, ks->mt->key_size, key, ks->out + ks->n * ks->len,
			ks->len))
		ks->n++;
	return ks->n < ks->max;
}

int keys_sample_into(pid_t pid, enum go_map_impl impl, const struct go_map_type *mt,
		     const struct map_header *h, char *out, size_t len, int max)
{
	struct key_sample ks = { .pid = pid, .mt = mt, .out = out, .len = len, .max = max };

	if (mt->indirect_key || max <= 0)
		return 0;
	walker_slots(pid, impl, mt, h, take_key, &ks);
	return ks.n;
}
