/* SPDX-License-Identifier: GPL-2.0 */
/* The little JSON the reports need: escaped strings; the rest is printf. */
#ifndef GOMAPLEAK_JSON_WRITER_H
#define GOMAPLEAK_JSON_WRITER_H

#include <stdio.h>

/* Writes s as a JSON string literal, quotes included; NULL as null. */
void json_string(FILE *out, const char *s);

#endif /* GOMAPLEAK_JSON_WRITER_H */
