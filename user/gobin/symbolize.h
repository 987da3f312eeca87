/* SPDX-License-Identifier: GPL-2.0 */
/* Call stacks from BPF to the source position a user cares about. */
#ifndef GOMAPLEAK_SYMBOLIZE_H
#define GOMAPLEAK_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "gomapleak.h"
#include "pclntab.h"

int symbolize_site(const struct pclntab *pt, uint64_t load_bias, const struct gml_stack *stack,
		   struct go_pos *out);
/* "func file.go:line", the file's base name: how text output shows a site. */
void symbolize_print_short(FILE *out, const struct go_pos *pos);
/* The same into buf (cut to len); returns what snprintf returns. */
int symbolize_format_short(const struct go_pos *pos, char *buf, size_t len);

#endif /* GOMAPLEAK_SYMBOLIZE_H */
