// SPDX-License-Identifier: GPL-2.0
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

int error_set(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return err;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return err;
}
