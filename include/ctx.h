/* ctx: a deadline and a cancel signal shared by the stages of a crawl, in the
 * manner of Go's context.Context.
 *
 * A ctx may have a parent; cancelling the parent cancels every child, and a
 * child's deadline is never later than its parent's. Checking a ctx
 * (ctx_done, ctx_err) takes no lock, so it is cheap on hot paths and safe
 * while holding other locks. Code that blocks registers a ctx_watch, whose
 * function runs once when the ctx is cancelled, to wake itself up; a deadline
 * is not an event, so blocking code also waits no longer than
 * ctx_deadline_ns().
 *
 * Lock order: a ctx's lock is taken before any lock a watch function takes,
 * so a watch function must not call back into the same ctx. A watch is added
 * before, and removed after, the caller holds its own locks.
 *
 * The caller owns the struct ctx (usually embedded or on the stack); a parent
 * must outlive its children. */
#ifndef CRAWLER_CTX_H
#define CRAWLER_CTX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum ctx_err {
	CTX_OK = 0,       /* still running */
	CTX_CANCELED = 1, /* ctx_cancel was called on it or an ancestor */
	CTX_DEADLINE = 2, /* its deadline passed */
};

struct ctx_watch {
	void (*fn)(void *arg); /* called once, with the ctx's lock held */
	void *arg;
	struct ctx_watch *prev, *next;
};

struct ctx {
	pthread_mutex_t lock;       /* guards watches */
	struct ctx *parent;         /* borrowed; NULL for a root */
	struct ctx_watch on_parent; /* our watch on parent: cancels us */
	struct ctx_watch *watches;  /* functions to run on cancel */
	int64_t deadline_ns;        /* CLOCK_MONOTONIC; 0 = none; <= parent's */
	atomic_int canceled;        /* 0, or 1 once cancelled */
	atomic_int cause;           /* caller's reason, given to ctx_cancel */
};

/* Monotonic clock in nanoseconds. */
int64_t ctx_now_ns(void);

/* Start a ctx under parent (may be NULL) that expires at deadline_ns
 * (monotonic; 0 = no deadline of its own). A cancelled parent gives a
 * child that is cancelled from the start. */
void ctx_init(struct ctx *c, struct ctx *parent, int64_t deadline_ns);

/* Remove c's watch on its parent and destroy its lock; the struct itself is
 * the caller's. c must have no watches left. */
void ctx_release(struct ctx *c);

/* Cancel c and its descendants, recording cause (kept only the first time). */
void ctx_cancel(struct ctx *c, int cause);

/* CTX_OK, CTX_CANCELED or CTX_DEADLINE. Lock-free. */
enum ctx_err ctx_err(const struct ctx *c);
bool ctx_done(const struct ctx *c);

/* The cause given to the ctx_cancel that cancelled c (or an ancestor); 0 if
 * c was not cancelled. */
int ctx_cause(const struct ctx *c);

/* Milliseconds left before the deadline: -1 if there is none, 0 if passed. */
int64_t ctx_remaining_ms(const struct ctx *c);
int64_t ctx_deadline_ns(const struct ctx *c);

/* pthread_cond_wait, but no later than c's deadline (c may be NULL). cond
 * must use CLOCK_MONOTONIC (pthread_condattr_setclock). The caller rechecks
 * its condition and ctx_done(c) after it returns. */
void ctx_cond_wait(const struct ctx *c, pthread_cond_t *cond,
		   pthread_mutex_t *mutex);

/* Run w->fn when c is cancelled: CTX_OK, or CTX_CANCELED, without adding,
 * if c is already cancelled (a passed deadline does not refuse it). w is
 * borrowed until ctx_watch_remove, which must be called only for a watch
 * that was added. */
enum ctx_err ctx_watch_add(struct ctx *c, struct ctx_watch *w);
void ctx_watch_remove(struct ctx *c, struct ctx_watch *w);

#endif
