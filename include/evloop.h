/* evloop: the fetch thread's event loop: one epoll set, and a wake-up
 * that any thread may ring (an eventfd).
 *
 * A watched descriptor is a struct evloop_io the caller embeds and owns
 * (libuv's uv__io_t): epoll hands it back on readiness, so dispatch costs
 * nothing per descriptor that is not ready. evloop_wait sleeps until a
 * descriptor is ready, evloop_wake is called, or the timeout passes; work
 * is done in the io callbacks, on the thread that waits.
 *
 * Only evloop_wake may be called from another thread. */
#ifndef CRAWLER_EVLOOP_H
#define CRAWLER_EVLOOP_H

enum evloop_event {
	EVLOOP_IN = 1 << 0,
	EVLOOP_OUT = 1 << 1,
	EVLOOP_ERR = 1 << 2, /* error or hang-up: the reader finds out which */
};

struct evloop_io;
typedef void (*evloop_io_fn)(struct evloop_io *io, unsigned events);

struct evloop_io {
	int fd;
	unsigned events;  /* EVLOOP_IN | EVLOOP_OUT wanted; 0: not watched */
	evloop_io_fn fn;
	void *arg;        /* the caller's */
};

enum evloop_status {
	EVLOOP_OK = 0,
	EVLOOP_FAILED = 1, /* errno says why */
};

struct evloop;

/* NULL when out of memory or descriptors. */
struct evloop *evloop_new(void);
/* Frees the loop and closes its descriptors (not the ones it watched, which
 * are their owners'); NULL is fine. */
void evloop_free(struct evloop *l);

/* Watch io->fd for events (EVLOOP_IN | EVLOOP_OUT), replacing what it was
 * watched for; 0 stops watching. io is borrowed until then, and, when that
 * happens inside a callback, until evloop_wait returns (an event for it may
 * be waiting in the same round; it is skipped). */
enum evloop_status evloop_watch(struct evloop *l, struct evloop_io *io,
				unsigned events);

/* Dispatch what is ready, waiting at most timeout_ms (0: do not wait; -1:
 * no limit) for something to be. Returns after one round of callbacks, or
 * after a wake-up, or at the timeout. */
void evloop_wait(struct evloop *l, int timeout_ms);

/* Make the thread in evloop_wait (or its next call) return. Thread-safe;
 * wake-ups rung before that return are one. */
void evloop_wake(struct evloop *l);

#endif
