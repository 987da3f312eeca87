/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What one probe hit costs on this machine, measured at start-up: the
 * governor's budget is spent in hits, and a hit's cost depends on the CPU,
 * the kernel and whether the machine is virtual (a trap is a VM exit on
 * some). gomapleak probes a function of its own with the programs the
 * target's probes run and times calls to it with and without the probe, in
 * its own thread's CPU time (kernel time included: the trap's), each call
 * after touching 4 MiB of memory a page at a time, as a program between two
 * map operations would: what the trap costs the code after it counts too.
 */
#ifndef GOMAPLEAK_CALIBRATE_H
#define GOMAPLEAK_CALIBRATE_H

#include "tracer.h"

/* Seconds one hit adds, by what the probe runs. */
struct calibration {
	double op_hit;	     /* an operation counter on an emulated instruction (insert...) */
	double overflow_hit; /* the overflow counter */
	double create_entry; /* makemap's entry: the stack walk */
	double create_ret;   /* a RET probe: single-stepped */
	/*
	 * Wall seconds one probe takes to attach, and to detach until its
	 * breakpoint is gone and the kernel done with it, on the attach path in
	 * use: a uprobe_multi link's detach waits once for all its probes, a
	 * perf-event uprobe's once each, one after another.
	 */
	double attach_probe;
	double detach_probe;
};

/*
 * Measures every cost; tr must be loaded and nothing of the target attached
 * yet (the calibration's counters are removed after). On failure why says
 * why and c is left at zero.
 */
int calibrate_probes(struct tracer *tr, struct calibration *c, char *why, size_t why_len);

#endif /* GOMAPLEAK_CALIBRATE_H */
