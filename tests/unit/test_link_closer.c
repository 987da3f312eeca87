// SPDX-License-Identifier: GPL-2.0
/* The closer's order: the busiest link first, whatever was queued before it. */
#include <criterion/criterion.h>
#include <semaphore.h>
#include <stdint.h>

#include "link_closer.h"

/* What the stand-in close saw; the first close waits until the test lets it go. */
static struct {
	sem_t first_started, first_may_end;
	uintptr_t closed[8];
	int nclosed;
} seen;

static void record_close(struct bpf_link *link)
{
	if (!seen.nclosed) {
		sem_post(&seen.first_started);
		sem_wait(&seen.first_may_end);
	}
	seen.closed[seen.nclosed++] = (uintptr_t)link;
}

static struct bpf_link *fake_link(uintptr_t n)
{
	return (struct bpf_link *)n;
}

Test(link_closer, links_queued_behind_a_close_go_busiest_first)
{
	struct link_closer c;
	atomic_int pending = 0;

	sem_init(&seen.first_started, 0, 0);
	sem_init(&seen.first_may_end, 0, 0);
	link_closer_init(&c, record_close);
	/* Link 1 is being closed; the rest queue behind it in the order they come. */
	link_closer_add(&c, fake_link(1), 10, &pending);
	sem_wait(&seen.first_started);
	link_closer_add(&c, fake_link(2), 0, &pending);	     /* a cold probe of group A */
	link_closer_add(&c, fake_link(3), 5, &pending);	     /* group A's busier one */
	link_closer_add(&c, fake_link(4), 120000, &pending); /* group B's hot probe, queued last */
	link_closer_add(&c, fake_link(5), 300, &pending);
	cr_expect(link_closer_busy(&c));
	cr_expect_eq(atomic_load(&pending), 5);
	sem_post(&seen.first_may_end);
	link_closer_stop(&c);

	cr_assert_eq(seen.nclosed, 5);
	cr_expect_eq(seen.closed[0], 1);
	cr_expect_eq(seen.closed[1], 4);
	cr_expect_eq(seen.closed[2], 5);
	cr_expect_eq(seen.closed[3], 3);
	cr_expect_eq(seen.closed[4], 2);
	cr_expect_eq(atomic_load(&pending), 0);
	sem_destroy(&seen.first_may_end);
	sem_destroy(&seen.first_started);
}

Test(link_closer, an_idle_closer_is_not_busy_and_stops_without_a_thread)
{
	struct link_closer c;

	link_closer_init(&c, record_close);
	cr_expect(!link_closer_busy(&c));
	link_closer_stop(&c);
	/* Stopping twice, or a closer never set up, is harmless (tracer_object_close()). */
	link_closer_stop(&c);
}
