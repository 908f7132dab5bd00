/* sema: the counting semaphore that caps transfers in flight. One mutex
 * guards the count; a blocked taker watches its ctx so a cancel wakes it. */
#include "sema.h"

#include "ctx.h"

void sema_init(struct sema *s, unsigned permits)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->freed, &attr);
	pthread_condattr_destroy(&attr);
	s->avail = s->total = permits;
}

void sema_release(struct sema *s)
{
	pthread_cond_destroy(&s->freed);
	pthread_mutex_destroy(&s->lock);
}

enum sema_status sema_try_take(struct sema *s)
{
	enum sema_status rc = SEMA_BUSY;

	pthread_mutex_lock(&s->lock);
	if (s->avail) {
		s->avail--;
		rc = SEMA_OK;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static void wake(void *arg)
{
	struct sema *s = arg;

	pthread_mutex_lock(&s->lock);
	pthread_cond_broadcast(&s->freed);
	pthread_mutex_unlock(&s->lock);
}

enum sema_status sema_take(struct sema *s, struct ctx *ctx)
{
	struct ctx_watch w = { .fn = wake, .arg = s };
	enum sema_status rc = SEMA_DONE;

	if (sema_try_take(s) == SEMA_OK)
		return SEMA_OK;
	if (ctx && ctx_watch_add(ctx, &w) != CTX_OK)
		return SEMA_DONE;
	pthread_mutex_lock(&s->lock);
	while (!s->avail && !(ctx && ctx_done(ctx)))
		ctx_cond_wait(ctx, &s->freed, &s->lock);
	if (s->avail) {
		s->avail--;
		rc = SEMA_OK;
	}
	pthread_mutex_unlock(&s->lock);
	if (ctx)
		ctx_watch_remove(ctx, &w);
	return rc;
}

void sema_give(struct sema *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->avail < s->total)
		s->avail++;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->lock);
}

unsigned sema_taken(struct sema *s)
{
	pthread_mutex_lock(&s->lock);
	unsigned taken = s->total - s->avail;
	pthread_mutex_unlock(&s->lock);
	return taken;
}
