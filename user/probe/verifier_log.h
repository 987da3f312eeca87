/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the kernel verifier's log of a program it refused: the reason is
 * the line before its summary ("processed N insns ..."), and what -v shows
 * is the lines up to it.
 */
#ifndef GOMAPLEAK_VERIFIER_LOG_H
#define GOMAPLEAK_VERIFIER_LOG_H

/* The verifier's reason in log: *reason points at it; returns its length (0: none). */
int verifier_log_reason(const char *log, const char **reason);
/* The last lines of log up to its summary: *tail points at them; returns their length. */
int verifier_log_tail(const char *log, int lines, const char **tail);

#endif /* GOMAPLEAK_VERIFIER_LOG_H */
