/* ctx: deadlines and cancellation for every stage of the crawl.
 *
 * A child registers a watch on its parent, so cancelling a parent walks down
 * the tree with each ctx's lock held in turn (parent before child: the only
 * lock order). Reading state never locks: `canceled` is atomic and the
 * deadline never changes after ctx_init. */
#include "ctx.h"

#include <time.h>

int64_t ctx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void cancel_from_parent(void *arg)
{
	struct ctx *c = arg;

	ctx_cancel(c, atomic_load(&c->parent->cause));
}

void ctx_init(struct ctx *c, struct ctx *parent, int64_t deadline_ns)
{
	pthread_mutex_init(&c->lock, NULL);
	c->parent = parent;
	c->watches = NULL;
	atomic_init(&c->canceled, 0);
	atomic_init(&c->cause, 0);
	c->deadline_ns = deadline_ns;
	if (!parent)
		return;
	if (parent->deadline_ns &&
	    (!deadline_ns || parent->deadline_ns < deadline_ns))
		c->deadline_ns = parent->deadline_ns;
	c->on_parent = (struct ctx_watch){ .fn = cancel_from_parent, .arg = c };
	if (ctx_watch_add(parent, &c->on_parent) != CTX_OK) {
		c->parent = NULL; /* nothing to detach from later */
		atomic_store(&c->canceled, 1);
		atomic_store(&c->cause, atomic_load(&parent->cause));
	}
}

void ctx_release(struct ctx *c)
{
	if (c->parent)
		ctx_watch_remove(c->parent, &c->on_parent);
	pthread_mutex_destroy(&c->lock);
}

void ctx_cancel(struct ctx *c, int cause)
{
	pthread_mutex_lock(&c->lock);
	if (!atomic_load(&c->canceled)) {
		atomic_store(&c->cause, cause);
		atomic_store(&c->canceled, 1);
		for (struct ctx_watch *w = c->watches; w; w = w->next)
			w->fn(w->arg);
	}
	pthread_mutex_unlock(&c->lock);
}

enum ctx_err ctx_err(const struct ctx *c)
{
	if (atomic_load(&c->canceled))
		return CTX_CANCELED;
	if (c->deadline_ns && ctx_now_ns() >= c->deadline_ns)
		return CTX_DEADLINE;
	return CTX_OK;
}

bool ctx_done(const struct ctx *c)
{
	return ctx_err(c) != CTX_OK;
}

int ctx_cause(const struct ctx *c)
{
	return atomic_load(&c->canceled) ? atomic_load(&c->cause) : 0;
}

int64_t ctx_deadline_ns(const struct ctx *c)
{
	return c->deadline_ns;
}

int64_t ctx_remaining_ms(const struct ctx *c)
{
	if (!c->deadline_ns)
		return -1;
	int64_t left = c->deadline_ns - ctx_now_ns();
	/* Round up so a wait of "what is left" never wakes just before it. */
	return left <= 0 ? 0 : (left + 999999) / 1000000;
}

void ctx_cond_wait(const struct ctx *c, pthread_cond_t *cond,
		   pthread_mutex_t *mutex)
{
	int64_t deadline = c ? c->deadline_ns : 0;

	if (!deadline) {
		pthread_cond_wait(cond, mutex);
		return;
	}
	struct timespec ts = { .tv_sec = deadline / 1000000000,
			       .tv_nsec = deadline % 1000000000 };
	pthread_cond_timedwait(cond, mutex, &ts);
}

enum ctx_err ctx_watch_add(struct ctx *c, struct ctx_watch *w)
{
	enum ctx_err rc = CTX_CANCELED;

	pthread_mutex_lock(&c->lock);
	if (!atomic_load(&c->canceled)) {
		w->prev = NULL;
		w->next = c->watches;
		if (c->watches)
			c->watches->prev = w;
		c->watches = w;
		rc = CTX_OK;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void ctx_watch_remove(struct ctx *c, struct ctx_watch *w)
{
	pthread_mutex_lock(&c->lock);
	if (w->prev)
		w->prev->next = w->next;
	else if (c->watches == w)
		c->watches = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	pthread_mutex_unlock(&c->lock);
}
