// SPDX-License-Identifier: GPL-2.0
#include "link_closer.h"

#include <bpf/libbpf.h>
#include <stdlib.h>
#include <string.h>

static void destroy_link(struct bpf_link *link)
{
	bpf_link__destroy(link);
}

void link_closer_init(struct link_closer *c, link_close_fn close)
{
	memset(c, 0, sizeof(*c));
	c->close = close ? close : destroy_link;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	c->ready = true;
}

/* The busiest queued link, taken out of the queue; call with the lock held. */
static struct closing_link take_busiest(struct link_closer *c)
{
	struct closing_link busiest;
	int i, best = 0;

	for (i = 1; i < c->len; i++)
		if (c->queue[i].rate > c->queue[best].rate)
			best = i;
	busiest = c->queue[best];
	c->queue[best] = c->queue[--c->len];
	return busiest;
}

static void *close_queued_links(void *arg)
{
	struct link_closer *c = arg;
	struct closing_link next;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->len && !c->stopping)
			pthread_cond_wait(&c->wake, &c->lock);
		if (!c->len)
			break;
		next = take_busiest(c);
		c->closing = true;
		pthread_mutex_unlock(&c->lock);
		c->close(next.link);
		atomic_fetch_sub(next.pending, 1);
		pthread_mutex_lock(&c->lock);
		c->closing = false;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Room for one more queued link, and the thread running; call with the lock held. */
static int make_room(struct link_closer *c)
{
	struct closing_link *queue;
	int cap;

	if (!c->started) {
		if (pthread_create(&c->thread, NULL, close_queued_links, c))
			return -1;
		c->started = true;
	}
	if (c->len < c->cap)
		return 0;
	cap = c->cap ? c->cap * 2 : 64;
	queue = realloc(c->queue, (size_t)cap * sizeof(*queue));
	if (!queue)
		return -1;
	c->queue = queue;
	c->cap = cap;
	return 0;
}

void link_closer_add(struct link_closer *c, struct bpf_link *link, double rate, atomic_int *pending)
{
	int err;

	pthread_mutex_lock(&c->lock);
	err = c->stopping ? -1 : make_room(c);
	if (!err) {
		c->queue[c->len++] = (struct closing_link){ link, rate, pending };
		atomic_fetch_add(pending, 1);
		pthread_cond_signal(&c->wake);
	}
	pthread_mutex_unlock(&c->lock);
	if (err)
		c->close(link);
}

bool link_closer_busy(struct link_closer *c)
{
	bool busy;

	if (!c->ready)
		return false;
	pthread_mutex_lock(&c->lock);
	busy = c->closing || c->len;
	pthread_mutex_unlock(&c->lock);
	return busy;
}

void link_closer_stop(struct link_closer *c)
{
	if (!c->ready)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	if (c->started)
		pthread_join(c->thread, NULL);
	free(c->queue);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->wake);
	memset(c, 0, sizeof(*c));
}
