// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF object every traced process shares, loaded into the running
 * kernel (the tests run as root): a slot a process until they run out, a
 * slot given back serving the next process, and per-CPU counters summed
 * from a slot's first key (a batch lookup starts after the key it is given).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracer.h"
#include "tracer_object.h"

#define KEYS 200

/* A per-CPU array whose key k holds k + cpu on each CPU. */
static int filled_percpu_array(int ncpu)
{
	uint64_t *values = calloc((size_t)ncpu, sizeof(*values));
	int fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "sum_test", 4, 8, KEYS, NULL);
	uint32_t key;
	int cpu;

	cr_assert(values);
	cr_assert_geq(fd, 0, "bpf_map_create: %s", strerror(errno));
	for (key = 0; key < KEYS; key++) {
		for (cpu = 0; cpu < ncpu; cpu++)
			values[cpu] = key + (uint64_t)cpu;
		cr_assert_eq(bpf_map_update_elem(fd, &key, values, BPF_ANY), 0);
	}
	free(values);
	return fd;
}

static uint64_t expected_sum(int ncpu, uint32_t key)
{
	return (uint64_t)ncpu * key + (uint64_t)ncpu * (uint64_t)(ncpu - 1) / 2;
}

Test(tracer_object, sums_a_per_cpu_range_from_its_first_key)
{
	int ncpu = libbpf_num_possible_cpus(), fd = filled_percpu_array(ncpu);
	uint64_t out[GML_MAX_PROBES];
	uint32_t i;

	cr_assert_eq(tracer_object_sum_percpu(fd, 0, out, GML_MAX_PROBES), 0);
	for (i = 0; i < GML_MAX_PROBES; i++)
		cr_assert_eq(out[i], expected_sum(ncpu, i), "key %u", i);
	cr_assert_eq(tracer_object_sum_percpu(fd, 2 * GML_MAX_PROBES, out, GML_MAX_PROBES), 0);
	for (i = 0; i < GML_MAX_PROBES; i++)
		cr_assert_eq(out[i], expected_sum(ncpu, 2 * GML_MAX_PROBES + i), "key %u", i);
	/* A range past the array's end: what there is, zeros after. */
	cr_assert_eq(tracer_object_sum_percpu(fd, KEYS - 8, out, GML_MAX_PROBES), 0);
	for (i = 0; i < GML_MAX_PROBES; i++)
		cr_assert_eq(out[i], i < 8 ? expected_sum(ncpu, KEYS - 8 + i) : 0, "key %u", i);
	close(fd);
}

static int open_tracer(struct tracer *tr, struct tracer_object *o, uint32_t tgid, char *why,
		       size_t why_len)
{
	struct gml_config cfg = { .target_tgid = tgid, .flags = GML_CFG_COUNT_SMALL_MAPS };

	return tracer_open(tr, o, &cfg, 0, why, why_len);
}

/* Every attach path loads the same object (this kernel has all three). */
static void slots_run_out_and_one_given_back_serves_the_next(enum attach_path path)
{
	struct tracer_object_options opts = { .processes = 2, .path = path };
	struct tracer_object o;
	struct tracer a, b, c;
	struct tracer_counters counters;
	unsigned int slot_of_a;
	char why[256] = "";

	cr_assert_eq(tracer_object_open(&o, &opts, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(o.path, path);
	cr_assert_eq(tracer_object_calibration_slot(&o), 2);
	cr_assert_eq(open_tracer(&a, &o, 1000001, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(open_tracer(&b, &o, 1000002, why, sizeof(why)), 0, "%s", why);
	cr_assert_neq(a.slot, b.slot);
	cr_assert_eq(o.slots[a.slot].cfg.target_tgid, 1000001);
	cr_assert_eq(o.slots[b.slot].cfg.flags, GML_CFG_COUNT_SMALL_MAPS);
	cr_assert_eq(open_tracer(&c, &o, 1000003, why, sizeof(why)), -ENOSPC);
	cr_assert_str_eq(why, "2 processes traced already");

	slot_of_a = a.slot;
	tracer_close(&a);
	cr_assert_eq(o.slots[slot_of_a].cfg.target_tgid, 0, "a slot given back drops its hits");
	cr_assert_eq(open_tracer(&c, &o, 1000003, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(c.slot, slot_of_a);
	cr_assert_eq(o.slots[c.slot].cfg.target_tgid, 1000003);
	cr_assert_eq(tracer_read_counters(&c, &counters), 0);
	cr_assert_eq(counters.hits[0] + counters.lost + counters.ops_lost, 0);

	tracer_close(&b);
	tracer_close(&c);
	tracer_object_close(&o);
}

Test(tracer_object, slots_run_out_and_one_given_back_serves_the_next_process_uprobe_multi)
{
	slots_run_out_and_one_given_back_serves_the_next(ATTACH_PATH_UPROBE_MULTI);
}

Test(tracer_object, slots_run_out_and_one_given_back_serves_the_next_process_perf)
{
	slots_run_out_and_one_given_back_serves_the_next(ATTACH_PATH_PERF);
}

Test(tracer_object, slots_run_out_and_one_given_back_serves_the_next_process_perf_ip)
{
	slots_run_out_and_one_given_back_serves_the_next(ATTACH_PATH_PERF_IP);
}

Test(tracer_object, the_best_path_this_kernel_offers_is_chosen_when_none_is_asked_for)
{
	struct tracer_object_options opts = { .processes = 1, .path = ATTACH_PATH_AUTO };
	struct tracer_object o;
	char why[256] = "";

	cr_assert_eq(tracer_object_open(&o, &opts, why, sizeof(why)), 0, "%s", why);
	cr_assert(o.kernel.uprobe_multi && o.kernel.attach_cookie && o.kernel.ringbuf,
		  "this machine's kernel (6.18) has every feature");
	cr_assert_eq(o.path, ATTACH_PATH_UPROBE_MULTI);
	tracer_object_close(&o);
}
