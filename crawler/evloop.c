/* evloop: epoll with an eventfd for wake-ups (see evloop.h).
 *
 * Level-triggered, as libcurl's socket interface expects: a socket that
 * is still readable after its callback is reported again next round.
 * `woken` keeps a storm of evloop_wake calls (parsers admit links page by
 * page) to one write(2) per round; the round that reads the eventfd clears
 * it after the read, so a wake-up is either still to read or rung before
 * that round ends. */
#include "evloop.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define EVLOOP_BATCH 256 /* events taken per epoll_wait */

struct evloop {
	int epfd;
	struct evloop_io wake; /* the eventfd */
	atomic_bool woken;     /* a wake-up is written and not yet read */
	struct epoll_event ready[EVLOOP_BATCH];
};

static void drain_wake(struct evloop_io *io, unsigned events)
{
	struct evloop *l = io->arg;
	uint64_t n;

	(void)events;
	/* Read, then clear: a wake-up rung between the two is not written
	 * (the flag is still set), but this round returns after it and the
	 * caller looks again. Cleared first, a wake-up in between would be
	 * read away with the flag left set, and every later one skipped. */
	if (read(io->fd, &n, sizeof(n)) < 0)
		n = 0;
	atomic_store(&l->woken, false);
}

struct evloop *evloop_new(void)
{
	struct evloop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->wake = (struct evloop_io){
		.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC),
		.fn = drain_wake,
		.arg = l,
	};
	atomic_init(&l->woken, false);
	if (l->epfd < 0 || l->wake.fd < 0 ||
	    evloop_watch(l, &l->wake, EVLOOP_IN) != EVLOOP_OK) {
		evloop_free(l);
		return NULL;
	}
	return l;
}

void evloop_free(struct evloop *l)
{
	if (!l)
		return;
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->wake.fd >= 0)
		close(l->wake.fd);
	free(l);
}

static uint32_t epoll_bits(unsigned events)
{
	return (events & EVLOOP_IN ? EPOLLIN : 0) | (events & EVLOOP_OUT ? EPOLLOUT : 0);
}

enum evloop_status evloop_watch(struct evloop *l, struct evloop_io *io,
				unsigned events)
{
	struct epoll_event ev = { .events = epoll_bits(events), .data.ptr = io };
	int op = !events ? EPOLL_CTL_DEL : io->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	int rc;

	if (!events && !io->events)
		return EVLOOP_OK;
	rc = epoll_ctl(l->epfd, op, io->fd, &ev);
	/* libcurl may close a socket before it says to stop watching it; the
	 * kernel dropped it from the set with the close. */
	if (rc && op == EPOLL_CTL_DEL && (errno == EBADF || errno == ENOENT))
		rc = 0;
	if (rc)
		return EVLOOP_FAILED;
	io->events = events;
	return EVLOOP_OK;
}

static unsigned evloop_bits(uint32_t ev)
{
	return (ev & EPOLLIN ? EVLOOP_IN : 0u) | (ev & EPOLLOUT ? EVLOOP_OUT : 0u) |
	       (ev & (EPOLLERR | EPOLLHUP) ? EVLOOP_ERR : 0u);
}

void evloop_wait(struct evloop *l, int timeout_ms)
{
	int n = epoll_wait(l->epfd, l->ready, EVLOOP_BATCH, timeout_ms);

	for (int i = 0; i < n; i++) {
		struct evloop_io *io = l->ready[i].data.ptr;

		/* Unwatched by an earlier callback of this round. */
		if (!io->events)
			continue;
		io->fn(io, evloop_bits(l->ready[i].events));
	}
}

void evloop_wake(struct evloop *l)
{
	uint64_t one = 1;

	if (atomic_exchange(&l->woken, true))
		return;
	/* Only EAGAIN can fail here, when the counter is full: then a
	 * wake-up is pending anyway. */
	if (write(l->wake.fd, &one, sizeof(one)) < 0)
		return;
}
