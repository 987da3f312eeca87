/* SPDX-License-Identifier: GPL-2.0 */
/* The Go variants of tests/targets/variants.txt and the binaries built from them. */
#ifndef GOMAPLEAK_TEST_VARIANTS_H
#define GOMAPLEAK_TEST_VARIANTS_H

#include <stddef.h>

struct variant {
	char name[32];	     /* go1.24-noswiss */
	int minor;	     /* 24 */
	char experiment[32]; /* noswissmap, or "" */
	char impl[16];	     /* classic | swiss */
};

#define MAX_VARIANTS 32

/* Reads variants.txt from $GOMAPLEAK_SOURCE; returns the count (fails the test on error). */
size_t variants_load(struct variant *out, size_t cap);
/* $GOMAPLEAK_TARGETS/VARIANT/FLAVOR/TARGET */
void variant_binary(char *buf, size_t len, const struct variant *v, const char *flavor,
		    const char *target);

struct gobinary;
/* Checks one binary of a variant, opened. */
typedef void (*variant_binary_fn)(const struct variant *v, const char *path,
				  const struct gobinary *gb);
/* Runs check on target's two flavors built by every toolchain here (fails if one won't open). */
void variants_each_binary(const char *target, const char *const flavors[2],
			  variant_binary_fn check);

#endif
