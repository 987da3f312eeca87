/* SPDX-License-Identifier: GPL-2.0 */
/* The Go version and build settings a binary records in .go.buildinfo. */
#ifndef GOMAPLEAK_GOBUILDINFO_H
#define GOMAPLEAK_GOBUILDINFO_H

#include "goelf.h"

struct go_version {
	int major, minor, patch;
};

struct gobuildinfo {
	char version[64]; /* "go1.26.10" as the runtime reports it */
	struct go_version parsed;
	char main_path[256];	/* main module's package path */
	char goexperiment[128]; /* build setting GOEXPERIMENT, "" when unset */
	char cgo_enabled[8];	/* build setting CGO_ENABLED */
	char buildmode[32];	/* build setting -buildmode */
};

int gobuildinfo_parse(const uint8_t *data, size_t size, struct gobuildinfo *out);
int gobuildinfo_read(const struct goelf *ge, struct gobuildinfo *out);
int go_version_parse(const char *text, struct go_version *out);

#endif /* GOMAPLEAK_GOBUILDINFO_H */
