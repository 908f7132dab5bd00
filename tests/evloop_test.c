/* evloop_test: the fetch thread's event loop of include/evloop.h: a ready
 * descriptor's callback runs with what it is ready for, one that is not
 * ready costs nothing, a watch can change or stop, a wake-up from another
 * thread ends a wait at once and does not outlive the wait it ended, and
 * an io stopped inside a callback of the same round is not called. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "evloop.h"

struct hits {
	unsigned n;
	unsigned events;
};

static void count(struct evloop_io *io, unsigned events)
{
	struct hits *h = io->arg;

	h->n++;
	h->events |= events;
}

static struct evloop_io pipe_io(int fd, struct hits *h)
{
	return (struct evloop_io){ .fd = fd, .fn = count, .arg = h };
}

Test(evloop, a_readable_descriptor_is_dispatched_with_in)
{
	struct evloop *l = evloop_new();
	struct hits h = { 0 };
	int p[2];

	cr_assert_not_null(l);
	cr_assert_eq(pipe(p), 0);
	struct evloop_io io = pipe_io(p[0], &h);
	cr_assert_eq(evloop_watch(l, &io, EVLOOP_IN), EVLOOP_OK);
	evloop_wait(l, 0);
	cr_expect_eq(h.n, 0, "nothing to read yet");
	cr_assert_eq(write(p[1], "x", 1), 1);
	evloop_wait(l, 1000);
	cr_expect_eq(h.n, 1);
	cr_expect(h.events & EVLOOP_IN);
	evloop_wait(l, 0);
	cr_expect_eq(h.n, 2, "level-triggered: still readable, reported again");
	evloop_free(l);
	close(p[0]);
	close(p[1]);
}

Test(evloop, a_watch_changes_and_stops)
{
	struct evloop *l = evloop_new();
	struct hits h = { 0 };
	int p[2];

	cr_assert_eq(pipe(p), 0);
	struct evloop_io io = pipe_io(p[1], &h);
	cr_assert_eq(evloop_watch(l, &io, EVLOOP_IN), EVLOOP_OK);
	evloop_wait(l, 0);
	cr_expect_eq(h.n, 0, "a pipe's write end is never readable");
	cr_assert_eq(evloop_watch(l, &io, EVLOOP_OUT), EVLOOP_OK);
	evloop_wait(l, 0);
	cr_expect_eq(h.n, 1);
	cr_expect(h.events & EVLOOP_OUT);
	cr_assert_eq(evloop_watch(l, &io, 0), EVLOOP_OK);
	evloop_wait(l, 0);
	cr_expect_eq(h.n, 1, "no longer watched");
	cr_expect_eq(io.events, 0);
	evloop_free(l);
	close(p[0]);
	close(p[1]);
}

static void *wake_later(void *arg)
{
	struct timespec ts = { .tv_nsec = 50 * 1000000L };

	nanosleep(&ts, NULL);
	evloop_wake(arg);
	return NULL;
}

Test(evloop, a_wake_up_from_another_thread_ends_the_wait)
{
	struct evloop *l = evloop_new();
	pthread_t t;
	int64_t t0 = ctx_now_ns();

	cr_assert_eq(pthread_create(&t, NULL, wake_later, l), 0);
	evloop_wait(l, 10000);
	cr_expect_lt(ctx_now_ns() - t0, 5000 * 1000000LL, "woken, not timed out");
	pthread_join(t, NULL);
	evloop_free(l);
}

Test(evloop, wake_ups_before_a_wait_end_that_wait_only)
{
	struct evloop *l = evloop_new();
	int64_t t0;

	for (int i = 0; i < 100000; i++)
		evloop_wake(l);
	evloop_wait(l, 10000);
	t0 = ctx_now_ns();
	evloop_wait(l, 100);
	cr_expect_geq(ctx_now_ns() - t0, 90 * 1000000LL,
		      "the second wait is not woken by the first wait's wake-ups");
	evloop_free(l);
}

Test(evloop, a_wake_up_after_the_wait_reads_is_kept_for_the_next)
{
	struct evloop *l = evloop_new();

	evloop_wake(l);
	evloop_wait(l, 10000);
	evloop_wake(l);
	int64_t t0 = ctx_now_ns();
	evloop_wait(l, 10000);
	cr_expect_lt(ctx_now_ns() - t0, 5000 * 1000000LL);
	evloop_free(l);
}

struct pair {
	struct evloop *l;
	struct evloop_io a, b;
	unsigned calls_b;
};

static void stop_b(struct evloop_io *io, unsigned events)
{
	struct pair *p = io->arg;

	(void)events;
	evloop_watch(p->l, &p->b, 0);
}

static void called_b(struct evloop_io *io, unsigned events)
{
	struct pair *p = io->arg;

	(void)events;
	p->calls_b++;
	evloop_watch(p->l, &p->a, 0);
}

Test(evloop, an_io_stopped_in_the_same_round_is_not_called)
{
	struct pair p = { .l = evloop_new() };
	int x[2], y[2];

	cr_assert_eq(pipe(x), 0);
	cr_assert_eq(pipe(y), 0);
	p.a = (struct evloop_io){ .fd = x[1], .fn = stop_b, .arg = &p };
	p.b = (struct evloop_io){ .fd = y[1], .fn = called_b, .arg = &p };
	/* Both write ends are ready at once: whichever runs first stops the
	 * other, which must then not run. */
	cr_assert_eq(evloop_watch(p.l, &p.a, EVLOOP_OUT), EVLOOP_OK);
	cr_assert_eq(evloop_watch(p.l, &p.b, EVLOOP_OUT), EVLOOP_OK);
	evloop_wait(p.l, 0);
	cr_expect(p.calls_b == 0 ? p.b.events == 0 : p.a.events == 0);
	cr_expect_eq(p.a.events + p.b.events, EVLOOP_OUT, "exactly one still watched");
	evloop_free(p.l);
	for (int i = 0; i < 2; i++) {
		close(x[i]);
		close(y[i]);
	}
}

struct ringers {
	struct evloop *l;
	atomic_bool stop;
};

static void *ring_until_stopped(void *arg)
{
	struct ringers *r = arg;

	while (!atomic_load(&r->stop))
		evloop_wake(r->l);
	return NULL;
}

/* A wake-up landing while the loop drains the last one must not leave the
 * loop deaf: after a storm of wake-ups from two threads, one more still
 * ends a wait at once. */
Test(evloop, a_wake_up_after_a_storm_of_them_still_ends_the_wait)
{
	struct ringers r = { .l = evloop_new() };
	pthread_t t[2];

	for (int round = 0; round < 200; round++) {
		atomic_store(&r.stop, false);
		for (int i = 0; i < 2; i++)
			cr_assert_eq(pthread_create(&t[i], NULL, ring_until_stopped, &r), 0);
		for (int i = 0; i < 20; i++)
			evloop_wait(r.l, 10);
		atomic_store(&r.stop, true);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		evloop_wait(r.l, 0); /* take what the storm left */
		evloop_wake(r.l);
		int64_t t0 = ctx_now_ns();
		evloop_wait(r.l, 2000);
		cr_assert_lt(ctx_now_ns() - t0, 1000 * 1000000LL,
			     "round %d: the wake-up was lost", round);
	}
	evloop_free(r.l);
}
