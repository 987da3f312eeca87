/* SPDX-License-Identifier: GPL-2.0 */
/* Running the Go toolchain's own tools (nm, addr2line) as references in tests. */
#ifndef GOMAPLEAK_TEST_GOTOOL_H
#define GOMAPLEAK_TEST_GOTOOL_H

#include <stdint.h>
#include <stdio.h>

#include "variants.h"

/* Opens "go tool TOOL ARGS" of Go 1.MINOR for reading; stdin from a file or NULL. */
FILE *gotool_open(int minor, const char *tool, const char *args, const char *stdin_path);

#endif
