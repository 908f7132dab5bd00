/* rawsrv: a raw-socket HTTP responder for hostile-server tests (see
 * rawsrv.h).
 *
 * Threads: the acceptor polls the listening socket and a wake pipe, and
 * starts a thread per connection; it joins the connections that are done as
 * new ones arrive, and rawsrv_stop joins the rest. A connection's socket is
 * closed only by its own thread, under the lock, and rawsrv_stop shuts
 * sockets down only under the lock: so no thread ever touches a descriptor
 * number that has been closed and reused. Waits (a drip's pause, a request
 * never answered) are on a condition variable that stopping broadcasts;
 * blocked reads and writes are woken by shutdown(). */
#include "rawsrv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FILL_BLOCK 4096   /* bytes of filler per write */
#define DRAIN_MS 1000     /* reading what a client still sends, at the end */
#define RESET_PAUSE_MS 50 /* lets the client read what came before an RST */
#define PATH_MAX_LOGGED 4096

static const char not_found[] =
	"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n"
	"Content-Length: 9\r\nConnection: close\r\n\r\nnot found";

struct conn {
	struct rawsrv *s;
	int fd;          /* -1 once closed; written under s->lock */
	bool done;       /* the thread is about to return; under s->lock */
	pthread_t thread;
	struct conn *next;
};

struct rawsrv {
	int lfd;
	int wake[2];                 /* a byte in the pipe ends the acceptor */
	char ip[INET_ADDRSTRLEN];
	unsigned short port;
	const struct rawsrv_case *cases;
	size_t ncases;
	int64_t end_ns;              /* when the lifetime runs out */
	pthread_t acceptor;

	/* lock guards everything below; cond is broadcast on stopping. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
	struct conn *conns;
	char **log;                  /* requested paths, in arrival order */
	size_t nlog, caplog;
};

enum ending { END_GENTLE, END_RESET };

static void die(const char *what)
{
	fprintf(stderr, "rawsrv: %s: %s\n", what, strerror(errno));
	abort();
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec timespec_at(int64_t ns)
{
	return (struct timespec){ .tv_sec = ns / 1000000000,
				  .tv_nsec = ns % 1000000000 };
}

/* Under s->lock: wake every thread and make every socket's reads and
 * writes fail from now on. */
static void stop_locked(struct rawsrv *s)
{
	s->stopping = true;
	pthread_cond_broadcast(&s->cond);
	for (struct conn *c = s->conns; c; c = c->next)
		if (c->fd >= 0)
			shutdown(c->fd, SHUT_RDWR);
}

/* Wait ms; false if the server is stopping (at once or meanwhile). */
static bool pause_ms(struct rawsrv *s, unsigned ms)
{
	struct timespec end = timespec_at(now_ns() + (int64_t)ms * 1000000);
	bool go;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping &&
	       pthread_cond_timedwait(&s->cond, &s->lock, &end) != ETIMEDOUT)
		;
	go = !s->stopping;
	pthread_mutex_unlock(&s->lock);
	return go;
}

static void wait_for_stop(struct rawsrv *s)
{
	pthread_mutex_lock(&s->lock);
	while (!s->stopping)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

static bool send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static void log_hit(struct rawsrv *s, const char *path)
{
	char *copy = strdup(path);

	if (!copy)
		die("out of memory");
	pthread_mutex_lock(&s->lock);
	if (s->nlog == s->caplog) {
		s->caplog = s->caplog ? 2 * s->caplog : 64;
		s->log = realloc(s->log, s->caplog * sizeof(*s->log));
		if (!s->log)
			die("out of memory");
	}
	s->log[s->nlog++] = copy;
	pthread_mutex_unlock(&s->lock);
}

/* The request-target of the request line in head (n bytes), cut to fit. */
static void request_path(const char *head, size_t n, char *path, size_t size)
{
	const char *eol = memmem(head, n, "\r\n", 2);
	const char *sp, *end;
	size_t len;

	path[0] = '\0';
	n = eol ? (size_t)(eol - head) : n;
	sp = memchr(head, ' ', n);
	if (!sp)
		return;
	sp++;
	end = memchr(sp, ' ', n - (size_t)(sp - head));
	len = (size_t)((end ? end : head + n) - sp);
	if (len >= size)
		len = size - 1;
	memcpy(path, sp, len);
	path[len] = '\0';
}

/* Read one request head into buf, which holds *have bytes already (a
 * pipelined request); what follows the head stays for the next call. A head
 * longer than RAWSRV_REQUEST_MAX is taken as it is. False at the end of
 * the connection. */
static bool read_request(int fd, char *buf, size_t *have, char *path,
			 size_t size)
{
	for (;;) {
		const char *end = memmem(buf, *have, "\r\n\r\n", 4);
		ssize_t n;

		if (end || *have == RAWSRV_REQUEST_MAX) {
			size_t used = end ? (size_t)(end - buf) + 4 : *have;

			request_path(buf, used, path, size);
			memmove(buf, buf + used, *have - used);
			*have -= used;
			return true;
		}
		n = recv(fd, buf + *have, RAWSRV_REQUEST_MAX - *have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		*have += (size_t)n;
	}
}

static const struct rawsrv_case *find_case(const struct rawsrv *s,
					   const char *path)
{
	for (size_t i = 0; i < s->ncases; i++)
		if (!strcmp(s->cases[i].path, path))
			return &s->cases[i];
	return NULL;
}

static void drip(struct conn *c, const char *b, size_t len, size_t burst,
		 unsigned ms)
{
	if (burst > len)
		burst = len;
	if (!send_all(c->fd, b, burst))
		return;
	for (size_t i = burst; i < len; i++)
		if (!pause_ms(c->s, ms) || !send_all(c->fd, b + i, 1))
			return;
}

/* Filler until the client goes away or the server stops (either makes a
 * write fail). */
static void endless(struct conn *c, enum rawsrv_fill fill)
{
	static const char chunk_head[] = "1000\r\n"; /* 0x1000 = FILL_BLOCK */
	char *block = xmalloc(FILL_BLOCK + sizeof(chunk_head) + 2);
	size_t n = 0;

	switch (fill) {
	case RAWSRV_FILL_CHUNKS:
		memcpy(block, chunk_head, sizeof(chunk_head) - 1);
		n = sizeof(chunk_head) - 1;
		memset(block + n, 'x', FILL_BLOCK);
		n += FILL_BLOCK;
		memcpy(block + n, "\r\n", 2);
		n += 2;
		break;
	case RAWSRV_FILL_HEADERS:
		/* 64 lines of 64 bytes: "X-Fill: " 54 'x' "\r\n". */
		for (n = 0; n < FILL_BLOCK; n += 64) {
			memcpy(block + n, "X-Fill: ", 8);
			memset(block + n + 8, 'x', 54);
			memcpy(block + n + 62, "\r\n", 2);
		}
		break;
	case RAWSRV_FILL_RAW:
	default:
		memset(block, 'x', FILL_BLOCK);
		n = FILL_BLOCK;
		break;
	}
	while (send_all(c->fd, block, n))
		;
	free(block);
}

static enum ending play(struct conn *c, const struct rawsrv_case *k)
{
	const char *b = k->bytes ? k->bytes : "";
	size_t len = k->len ? k->len : strlen(b);
	size_t first = k->param < len ? k->param : len;

	switch (k->action) {
	case RAWSRV_SEND:
	case RAWSRV_SEND_KEEP:
		send_all(c->fd, b, len);
		break;
	case RAWSRV_DRIP:
		drip(c, b, len, k->burst, k->param);
		break;
	case RAWSRV_NEVER:
		wait_for_stop(c->s);
		break;
	case RAWSRV_ENDLESS:
		if (send_all(c->fd, b, len))
			endless(c, (enum rawsrv_fill)k->param);
		break;
	case RAWSRV_CLOSE_AFTER:
		send_all(c->fd, b, first);
		break;
	case RAWSRV_RESET:
		if (send_all(c->fd, b, first))
			pause_ms(c->s, RESET_PAUSE_MS);
		return END_RESET;
	}
	return END_GENTLE;
}

/* A FIN after what was sent; what the client still sends is read and
 * dropped for a while, since closing with unread bytes would send an RST. */
static void close_gently(int fd)
{
	int64_t end = now_ns() + (int64_t)DRAIN_MS * 1000000;
	char sink[4096];

	shutdown(fd, SHUT_WR);
	for (;;) {
		int64_t left = (end - now_ns()) / 1000000;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (left <= 0 || poll(&p, 1, (int)left) <= 0 ||
		    recv(fd, sink, sizeof(sink), 0) <= 0)
			break;
	}
}

static void conn_end(struct conn *c, enum ending how)
{
	struct linger rst = { .l_onoff = 1, .l_linger = 0 };

	if (how == END_RESET)
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
	else
		close_gently(c->fd);
	pthread_mutex_lock(&c->s->lock);
	close(c->fd);
	c->fd = -1;
	c->done = true;
	pthread_mutex_unlock(&c->s->lock);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct rawsrv *s = c->s;
	char *buf = xmalloc(RAWSRV_REQUEST_MAX);
	char path[PATH_MAX_LOGGED];
	enum ending how = END_GENTLE;
	size_t have = 0;

	while (read_request(c->fd, buf, &have, path, sizeof(path))) {
		const struct rawsrv_case *k = find_case(s, path);

		log_hit(s, path);
		if (!k) {
			send_all(c->fd, not_found, sizeof(not_found) - 1);
			break;
		}
		how = play(c, k);
		if (k->action != RAWSRV_SEND_KEEP)
			break;
	}
	free(buf);
	conn_end(c, how);
	return NULL;
}

/* Join the connections whose threads are done. */
static void reap(struct rawsrv *s)
{
	struct conn *dead = NULL, **pp;

	pthread_mutex_lock(&s->lock);
	for (pp = &s->conns; *pp;) {
		struct conn *c = *pp;

		if (c->done) {
			*pp = c->next;
			c->next = dead;
			dead = c;
		} else {
			pp = &c->next;
		}
	}
	pthread_mutex_unlock(&s->lock);
	while (dead) {
		struct conn *next = dead->next;

		pthread_join(dead->thread, NULL);
		free(dead);
		dead = next;
	}
}

static void add_conn(struct rawsrv *s, int fd)
{
	struct conn *c = xmalloc(sizeof(*c));

	*c = (struct conn){ .s = s, .fd = fd };
	pthread_mutex_lock(&s->lock);
	/* Stopping, or out of threads: the connection is dropped. */
	if (s->stopping || pthread_create(&c->thread, NULL, conn_main, c)) {
		pthread_mutex_unlock(&s->lock);
		close(fd);
		free(c);
		return;
	}
	c->next = s->conns;
	s->conns = c;
	pthread_mutex_unlock(&s->lock);
}

static void *accept_main(void *arg)
{
	struct rawsrv *s = arg;

	for (;;) {
		struct pollfd p[2] = { { .fd = s->lfd, .events = POLLIN },
				       { .fd = s->wake[0], .events = POLLIN } };
		int64_t left = (s->end_ns - now_ns()) / 1000000;
		int fd;

		if (left <= 0) {
			pthread_mutex_lock(&s->lock);
			if (!s->stopping)
				fprintf(stderr, "rawsrv: %s:%u outlived its %d s, stopping\n",
					s->ip, s->port, RAWSRV_LIFETIME_MS / 1000);
			stop_locked(s);
			pthread_mutex_unlock(&s->lock);
			break;
		}
		if (poll(p, 2, left > INT_MAX ? INT_MAX : (int)left) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		reap(s);
		if (fd >= 0)
			add_conn(s, fd);
	}
	return NULL;
}

static void listen_on(struct rawsrv *s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t salen = sizeof(sa);
	int one = 1;

	if (inet_pton(AF_INET, s->ip, &sa.sin_addr) != 1)
		die("not an IPv4 address");
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		die("socket");
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(s->lfd, 128) ||
	    getsockname(s->lfd, (struct sockaddr *)&sa, &salen))
		die("cannot listen (is the address on loopback?)");
	s->port = ntohs(sa.sin_port);
}

struct rawsrv *rawsrv_start(const char *ip, const struct rawsrv_case *cases,
			    size_t ncases)
{
	struct rawsrv *s = xmalloc(sizeof(*s));
	pthread_condattr_t ca;

	*s = (struct rawsrv){ .cases = cases, .ncases = cases ? ncases : 0,
			      .end_ns = now_ns() + (int64_t)RAWSRV_LIFETIME_MS * 1000000 };
	if (snprintf(s->ip, sizeof(s->ip), "%s", ip) >= (int)sizeof(s->ip))
		die("not an IPv4 address");
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pipe2(s->wake, O_CLOEXEC))
		die("pipe");
	listen_on(s);
	if (pthread_create(&s->acceptor, NULL, accept_main, s))
		die("cannot start the acceptor thread");
	return s;
}

void rawsrv_stop(struct rawsrv *s)
{
	ssize_t w;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	stop_locked(s);
	pthread_mutex_unlock(&s->lock);
	w = write(s->wake[1], "x", 1);
	(void)w;
	pthread_join(s->acceptor, NULL);
	/* The acceptor is gone: nothing adds to the list any more. */
	for (struct conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		pthread_join(c->thread, NULL);
		free(c);
	}
	close(s->lfd);
	close(s->wake[0]);
	close(s->wake[1]);
	for (size_t i = 0; i < s->nlog; i++)
		free(s->log[i]);
	free(s->log);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

unsigned short rawsrv_port(const struct rawsrv *s)
{
	return s->port;
}

char *rawsrv_url(const struct rawsrv *s, const char *path)
{
	char *url;

	if (asprintf(&url, "http://%s:%u%s", s->ip, s->port, path) < 0)
		die("out of memory");
	return url;
}

size_t rawsrv_hits(struct rawsrv *s, const char *path)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nlog; i++)
		n += !strcmp(s->log[i], path);
	pthread_mutex_unlock(&s->lock);
	return n;
}

size_t rawsrv_nrequests(struct rawsrv *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->nlog;
	pthread_mutex_unlock(&s->lock);
	return n;
}
