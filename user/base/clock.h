/* SPDX-License-Identifier: GPL-2.0 */
/* CLOCK_MONOTONIC: what every interval, burst and window is timed with. */
#ifndef GOMAPLEAK_CLOCK_H
#define GOMAPLEAK_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline double monotonic_seconds(void)
{
	return (double)monotonic_ns() / 1e9;
}

#endif /* GOMAPLEAK_CLOCK_H */
