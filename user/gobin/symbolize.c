// SPDX-License-Identifier: GPL-2.0
#include "symbolize.h"

#include <errno.h>
#include <string.h>

/* Packages whose frames are the map implementation, not where a map is used. */
static const char *const runtime_prefixes[] = {
	"runtime.",
	"internal/runtime/",
	"runtime/internal/",
};

static bool symbolize_is_runtime(const char *func)
{
	size_t i;

	for (i = 0; i < sizeof(runtime_prefixes) / sizeof(runtime_prefixes[0]); i++)
		if (!strncmp(func, runtime_prefixes[i], strlen(runtime_prefixes[i])))
			return true;
	return false;
}

/*
 * The first frame outside the runtime. Frames are return addresses: pc - 1 is
 * inside the CALL, so its line is the call's, not the next statement's.
 */
int symbolize_site(const struct pclntab *pt, uint64_t load_bias, const struct gml_stack *stack,
		   struct go_pos *out)
{
	int i;

	for (i = 0; i < GML_STACK_DEPTH && stack->pcs[i]; i++) {
		if (pclntab_pos_for_pc(pt, stack->pcs[i] - 1 - load_bias, out))
			continue;
		if (!symbolize_is_runtime(go_pos_func(out)))
			return 0;
	}
	return -ENOENT;
}

/* "func file.go:line", the file's base name: one format for every output. */
#define SHORT_FORMAT "%s %s:%d"

static const char *base_name(const char *file)
{
	const char *base = strrchr(file, '/');

	return base ? base + 1 : file;
}

void symbolize_print_short(FILE *out, const struct go_pos *pos)
{
	fprintf(out, SHORT_FORMAT, go_pos_func(pos), base_name(pos->file), pos->line);
}

int symbolize_format_short(const struct go_pos *pos, char *buf, size_t len)
{
	return snprintf(buf, len, SHORT_FORMAT, go_pos_func(pos), base_name(pos->file), pos->line);
}
