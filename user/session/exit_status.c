// SPDX-License-Identifier: GPL-2.0
#include "exit_status.h"

#include <errno.h>
#include <stddef.h>

#include "json_writer.h"

#define ANY_ERRNO 0

/* The rows of a stage are read in order: the first whose errno matches wins. */
static const struct {
	enum gml_stage stage;
	int err; /* negative errno, or ANY_ERRNO */
	enum gml_exit code;
} exit_table[] = {
	/* A port in use or a path that cannot be written is the user's to change. */
	{ GML_STAGE_OUTPUT, -EADDRINUSE, GML_EXIT_USAGE },
	{ GML_STAGE_OUTPUT, -EADDRNOTAVAIL, GML_EXIT_USAGE },
	{ GML_STAGE_OUTPUT, -EACCES, GML_EXIT_USAGE },
	{ GML_STAGE_OUTPUT, -ENOENT, GML_EXIT_USAGE },
	{ GML_STAGE_OUTPUT, -EISDIR, GML_EXIT_USAGE },
	{ GML_STAGE_OUTPUT, -EROFS, GML_EXIT_USAGE },
	{ GML_STAGE_OUTPUT, -ENOTDIR, GML_EXIT_USAGE },
	{ GML_STAGE_OUTPUT, ANY_ERRNO, GML_EXIT_ATTACH },
	{ GML_STAGE_LAUNCH, -ENOENT, GML_EXIT_NO_TARGET },
	{ GML_STAGE_LAUNCH, -EACCES, GML_EXIT_NO_TARGET },
	{ GML_STAGE_LAUNCH, ANY_ERRNO, GML_EXIT_ATTACH },
	{ GML_STAGE_TARGET, -ESRCH, GML_EXIT_NO_TARGET },
	{ GML_STAGE_TARGET, -ENOENT, GML_EXIT_NO_TARGET },
	{ GML_STAGE_TARGET, -EACCES, GML_EXIT_PERMISSION },
	{ GML_STAGE_TARGET, -EPERM, GML_EXIT_PERMISSION },
	{ GML_STAGE_TARGET, ANY_ERRNO, GML_EXIT_UNSUPPORTED },
	{ GML_STAGE_BINARY, -ESRCH, GML_EXIT_NO_TARGET },
	{ GML_STAGE_BINARY, -ENOENT, GML_EXIT_NO_TARGET },
	{ GML_STAGE_BINARY, -EACCES, GML_EXIT_PERMISSION },
	{ GML_STAGE_BINARY, -EPERM, GML_EXIT_PERMISSION },
	{ GML_STAGE_BINARY, ANY_ERRNO, GML_EXIT_UNSUPPORTED },
	/* The process went away, or its mappings cannot be read. */
	{ GML_STAGE_MEMORY, ANY_ERRNO, GML_EXIT_NO_TARGET },
	{ GML_STAGE_LOAD, -EPERM, GML_EXIT_PERMISSION },
	{ GML_STAGE_LOAD, ANY_ERRNO, GML_EXIT_ATTACH },
	{ GML_STAGE_ATTACH, -EPERM, GML_EXIT_PERMISSION },
	{ GML_STAGE_ATTACH, -EACCES, GML_EXIT_PERMISSION },
	{ GML_STAGE_ATTACH, ANY_ERRNO, GML_EXIT_ATTACH },
	{ GML_STAGE_RUNNING, ANY_ERRNO, GML_EXIT_ATTACH },
};

int exit_status_for(enum gml_stage stage, int err)
{
	size_t i;

	for (i = 0; i < sizeof(exit_table) / sizeof(exit_table[0]); i++)
		if (exit_table[i].stage == stage &&
		    (exit_table[i].err == err || exit_table[i].err == ANY_ERRNO))
			return exit_table[i].code;
	return GML_EXIT_ATTACH;
}

void exit_status_print_error(FILE *out, bool json, int code, const char *message)
{
	struct json_writer w;

	if (!json) {
		fprintf(out, "gomapleak: %s\n", message);
		return;
	}
	json_writer_init(&w, out);
	json_object_begin(&w);
	json_field_str(&w, "event", "error");
	json_field_i64(&w, "code", code);
	json_field_str(&w, "message", message);
	json_writer_finish(&w);
}
