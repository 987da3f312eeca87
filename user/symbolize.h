/* SPDX-License-Identifier: GPL-2.0 */
/* Call stacks from BPF to the source position a user cares about. */
#ifndef GOMAPLEAK_SYMBOLIZE_H
#define GOMAPLEAK_SYMBOLIZE_H

#include <stdbool.h>

#include "gomapleak.h"
#include "pclntab.h"

bool symbolize_is_runtime(const char *func);
int symbolize_site(const struct pclntab *pt, uint64_t load_bias, const struct gml_stack *stack,
		   struct go_pos *out);

#endif /* GOMAPLEAK_SYMBOLIZE_H */
