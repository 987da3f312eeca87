// SPDX-License-Identifier: GPL-2.0
/* The attach path chosen from what a kernel offers: faked probe results, each feature or not. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "kernel_features.h"

/* A kernel at the floor: uprobes and ring buffers, nothing newer. */
static struct kernel_features floor_kernel(void)
{
	struct kernel_features kf = { .permitted = true, .uprobes = true, .ringbuf = true };

	strcpy(kf.release, "5.10.0-32-cloud-amd64");
	return kf;
}

static int choose(const struct kernel_features *kf, enum attach_path asked, enum attach_path *path,
		  char *why)
{
	return attach_path_choose(kf, asked, path, why, 256);
}

/* kf, asked for a path, gets want. */
static void assert_chooses(const struct kernel_features *kf, enum attach_path asked,
			   enum attach_path want)
{
	enum attach_path path = ATTACH_PATH_AUTO;
	char why[256] = "";

	cr_assert_eq(choose(kf, asked, &path, why), 0, "%s", why);
	cr_assert_eq(path, want, "asked %s, got %s", attach_path_name(asked),
		     attach_path_name(path));
}

Test(kernel_features, linux_6_6_and_newer_take_uprobe_multi_links)
{
	struct kernel_features kf = floor_kernel();

	kf.attach_cookie = kf.uprobe_multi = true;
	assert_chooses(&kf, ATTACH_PATH_AUTO, ATTACH_PATH_UPROBE_MULTI);
}

Test(kernel_features, linux_5_15_to_6_5_take_perf_event_uprobes_with_cookies)
{
	struct kernel_features kf = floor_kernel();

	kf.attach_cookie = true;
	assert_chooses(&kf, ATTACH_PATH_AUTO, ATTACH_PATH_PERF);
}

Test(kernel_features, linux_5_10_takes_perf_event_uprobes_keyed_by_address)
{
	struct kernel_features kf = floor_kernel();

	assert_chooses(&kf, ATTACH_PATH_AUTO, ATTACH_PATH_PERF_IP);
}

/* kf, asked for a path, is refused with err and the message want; no path is set. */
static void assert_refuses(const struct kernel_features *kf, enum attach_path asked, int err,
			   const char *want)
{
	enum attach_path path = ATTACH_PATH_AUTO;
	char why[256] = "";

	cr_assert_eq(choose(kf, asked, &path, why), err, "%s", why);
	cr_assert_str_eq(why, want);
	cr_assert_eq(path, ATTACH_PATH_AUTO, "no path is set on failure");
}

Test(kernel_features, uprobe_multi_that_filters_by_thread_is_not_used)
{
	/* kernel_features_probe() leaves uprobe_multi false there: cookies still serve. */
	struct kernel_features kf = floor_kernel();

	kf.attach_cookie = true;
	assert_refuses(&kf, ATTACH_PATH_UPROBE_MULTI, -ENOTSUP,
		       "--attach=uprobe_multi: kernel 5.10.0-32-cloud-amd64 has no "
		       "uprobe_multi links filtering by process (Linux 6.6)");
}

Test(kernel_features, a_path_the_kernel_lacks_is_refused_naming_what_is_missing)
{
	struct kernel_features kf = floor_kernel();

	assert_refuses(&kf, ATTACH_PATH_PERF, -ENOTSUP,
		       "--attach=perf: kernel 5.10.0-32-cloud-amd64 has no BPF cookies "
		       "for uprobes (Linux 5.15)");
}

Test(kernel_features, an_older_path_may_be_asked_for_on_a_newer_kernel)
{
	struct kernel_features kf = floor_kernel();

	kf.attach_cookie = kf.uprobe_multi = true;
	assert_chooses(&kf, ATTACH_PATH_PERF_IP, ATTACH_PATH_PERF_IP);
	assert_chooses(&kf, ATTACH_PATH_PERF, ATTACH_PATH_PERF);
}

Test(kernel_features, a_kernel_without_ring_buffers_is_below_the_floor)
{
	struct kernel_features kf = floor_kernel();

	strcpy(kf.release, "5.4.0-216-generic");
	kf.ringbuf = false;
	assert_refuses(&kf, ATTACH_PATH_AUTO, -ENOTSUP,
		       "kernel 5.4.0-216-generic has no BPF ring buffer (Linux 5.8): "
		       "gomapleak needs Linux 5.10 or newer");
}

Test(kernel_features, a_kernel_without_uprobes_says_so)
{
	struct kernel_features kf = floor_kernel();

	kf.uprobes = false;
	assert_refuses(&kf, ATTACH_PATH_AUTO, -ENOTSUP,
		       "kernel 5.10.0-32-cloud-amd64 has no uprobes "
		       "(CONFIG_UPROBE_EVENTS): gomapleak needs them");
}

Test(kernel_features, no_privileges_is_said_before_anything_the_kernel_lacks)
{
	struct kernel_features kf = { .permitted = false };

	assert_refuses(&kf, ATTACH_PATH_AUTO, -EPERM,
		       "cannot load BPF programs: needs CAP_BPF and CAP_PERFMON, or root");
}

Test(kernel_features, path_names_parse_back)
{
	enum attach_path p;

	for (p = ATTACH_PATH_AUTO; p <= ATTACH_PATH_PERF_IP; p++)
		cr_assert_eq(attach_path_parse(attach_path_name(p)), (int)p);
	cr_assert_eq(attach_path_parse("kprobe"), -1);
}
