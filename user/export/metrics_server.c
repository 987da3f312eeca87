// SPDX-License-Identifier: GPL-2.0
#include "metrics_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONNECTION_LIMIT   16
#define CONNECTION_TIMEOUT 10 /* seconds */

static const char not_found[] = "gomapleak serves /metrics only\n";

static enum MHD_Result queue_text(struct MHD_Connection *conn, unsigned int status,
				  const char *text, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)text, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? METRICS_CONTENT_TYPE : "text/plain");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	struct metrics_server *s = cls;
	enum MHD_Result ret;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return queue_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, not_found,
				  sizeof(not_found) - 1, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return queue_text(conn, MHD_HTTP_NOT_FOUND, not_found, sizeof(not_found) - 1,
				  MHD_RESPMEM_PERSISTENT);
	pthread_mutex_lock(&s->lock);
	s->scrapes++;
	ret = queue_text(conn, MHD_HTTP_OK, s->text ? s->text : "", s->text ? s->len : 0,
			 MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* A listening socket of our own: errors such as EADDRINUSE come back as they are. */
static int listen_on(const char *host, uint16_t port, uint16_t *bound)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;

	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		len = sizeof(*in6);
	} else {
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	*bound = ntohs(ss.ss_family == AF_INET ? in4->sin_port : in6->sin6_port);
	return fd;
}

int metrics_server_start(struct metrics_server *s, const char *host, uint16_t port, char *why,
			 size_t why_len)
{
	memset(s, 0, sizeof(*s));
	s->listen_fd = listen_on(host, port, &s->port);
	if (s->listen_fd < 0) {
		snprintf(why, why_len, "cannot listen on %s:%u for --prometheus: %s", host, port,
			 strerror(-s->listen_fd));
		return s->listen_fd;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
				     on_request, s, MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTION_LIMIT,
				     MHD_OPTION_CONNECTION_TIMEOUT,
				     (unsigned int)CONNECTION_TIMEOUT, MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(why, why_len, "cannot start the metrics server on %s:%u", host, s->port);
		close(s->listen_fd);
		pthread_mutex_destroy(&s->lock);
		s->listen_fd = -1;
		return -EIO;
	}
	return 0;
}

void metrics_server_publish(struct metrics_server *s, char *text, size_t len)
{
	char *old;

	pthread_mutex_lock(&s->lock);
	old = s->text;
	s->text = text;
	s->len = len;
	pthread_mutex_unlock(&s->lock);
	free(old);
}

void metrics_server_stop(struct metrics_server *s)
{
	if (!s->daemon)
		return;
	/* MHD closes the listening socket it was given when it stops. */
	MHD_stop_daemon(s->daemon);
	pthread_mutex_destroy(&s->lock);
	free(s->text);
	memset(s, 0, sizeof(*s));
	s->listen_fd = -1;
}
