// SPDX-License-Identifier: GPL-2.0
#include "gotool.h"

#include <criterion/criterion.h>
#include <stdlib.h>

FILE *gotool_open(int minor, const char *tool, const char *args, const char *stdin_path)
{
	char cmd[8192];
	const char *cache = getenv("GOMAPLEAK_CACHE");
	FILE *f;

	cr_assert(cache, "GOMAPLEAK_CACHE must be set");
	snprintf(cmd, sizeof(cmd), "%s/go/1.%d/usr/lib/go-1.%d/bin/go tool %s %s%s%s", cache, minor,
		 minor, tool, args, stdin_path ? " < " : "", stdin_path ? stdin_path : "");
	f = popen(cmd, "r");
	cr_assert(f, "cannot run %s", cmd);
	return f;
}
