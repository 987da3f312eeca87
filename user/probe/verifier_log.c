// SPDX-License-Identifier: GPL-2.0
#include "verifier_log.h"

#include <string.h>

/* The start of log's first line that begins with "processed ", else its end. */
static const char *summary(const char *log)
{
	const char *p = log;

	while (*p) {
		if (!strncmp(p, "processed ", 10))
			return p;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return log + strlen(log);
}

/* The end of the last non-empty line before end. */
static const char *trim_back(const char *log, const char *end)
{
	while (end > log && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	return end;
}

int verifier_log_reason(const char *log, const char **reason)
{
	const char *end = trim_back(log, summary(log)), *p = end;

	while (p > log && p[-1] != '\n')
		p--;
	*reason = p;
	return (int)(end - p);
}

int verifier_log_tail(const char *log, int lines, const char **tail)
{
	const char *end = summary(log), *p = trim_back(log, end);

	while (p > log && lines > 0)
		if (*--p == '\n' && --lines == 0)
			p++;
	*tail = p;
	return (int)(end - p);
}
