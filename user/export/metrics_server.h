/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /metrics endpoint: libmicrohttpd on its own thread hands out the
 * last text the exporters published. Scrapes copy that text under a mutex held for a
 * memcpy; they never wait for, nor hold up, event processing.
 */
#ifndef GOMAPLEAK_METRICS_SERVER_H
#define GOMAPLEAK_METRICS_SERVER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_server {
	struct MHD_Daemon *daemon;
	int listen_fd;
	uint16_t port; /* the port bound (the one asked for, or the one the kernel picked) */
	pthread_mutex_t lock;
	char *text; /* guarded by lock */
	size_t len;
	uint64_t scrapes; /* guarded by lock */
};

/* Listens on host:port (port 0: any free one); on failure why says why. */
int metrics_server_start(struct metrics_server *s, const char *host, uint16_t port, char *why,
			 size_t why_len);
/* Hands text (from malloc) over to the server, which frees the one it replaces. */
void metrics_server_publish(struct metrics_server *s, char *text, size_t len);
void metrics_server_stop(struct metrics_server *s);

#endif /* GOMAPLEAK_METRICS_SERVER_H */
