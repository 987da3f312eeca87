/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A few keys of a map, read from the target for an alert: strings (quoted,
 * truncated) and integers. Other key kinds are not shown. Keys never leave
 * the terminal or the JSON stream (never Prometheus).
 */
#ifndef GOMAPLEAK_KEYS_H
#define GOMAPLEAK_KEYS_H

#include <sys/types.h>

#include "gotypes.h"
#include "sampler.h"

#define KEYS_MAX_STRING 24 /* bytes of a string key shown */

/*
 * Formats up to max keys of the map h into out (each at most len bytes).
 * Returns how many, 0 when the key kind is not shown or nothing was read.
 */
int keys_sample_into(pid_t pid, enum go_map_impl impl, const struct go_map_type *mt,
		     const struct map_header *h, char *out, size_t len, int max);
/* Same, into a fixed-size array of REGISTRY_KEY_LEN-long strings. */
#define keys_sample(pid, impl, mt, h, keys, max)                                                   \
	keys_sample_into(pid, impl, mt, h, &(keys)[0][0], sizeof((keys)[0]), max)
/* One key's text from its bytes; false when the kind is not shown (exposed for tests). */
bool keys_format(pid_t pid, uint8_t kind, uint64_t size, const uint8_t *key, char *out, size_t len);

#endif /* GOMAPLEAK_KEYS_H */
