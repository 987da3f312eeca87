/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How a failure is told: the function that fails fills its caller's reason
 * buffer with one line that names what failed and with what, and returns a
 * negative errno. main turns (stage, errno) into an exit status.
 */
#ifndef GOMAPLEAK_ERROR_H
#define GOMAPLEAK_ERROR_H

#include <stddef.h>

/* Writes the reason into why (len bytes, may be 0) and returns err, so: return error_set(...). */
int error_set(char *why, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* GOMAPLEAK_ERROR_H */
