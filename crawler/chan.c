/* chan: the bounded queues between pipeline stages (fetch -> parse, and
 * fetch/parse -> writer).
 *
 * A ring of pointers under one mutex, with `room` signalled when an item
 * leaves and `items` when one arrives. A blocked sender or receiver puts a
 * watch on its ctx that broadcasts both conditions, so a cancel wakes it;
 * deadlines are covered by waiting on CLOCK_MONOTONIC no longer than the
 * ctx's deadline. The fast path (room or an item is there) takes only the
 * channel's lock. */
#include "chan.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ctx.h"

#define RECV_YIELDS 16

struct chan {
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t room;  /* an item left, or closed, or ctx ended */
	pthread_cond_t items; /* an item arrived, or closed, or ctx ended */
	void **ring;
	size_t cap;  /* slots in ring */
	size_t head; /* next slot to receive from */
	size_t len;  /* items in ring */
	size_t wake_at; /* items that make `items` signalled; 1 but see
			   chan_wake_at */
	bool closed;
	void (*room_fn)(void *arg); /* see chan_on_room */
	void *room_arg;
	bool room_wanted; /* a try_send found no room since room_fn last ran */
};

struct chan *chan_new(size_t cap)
{
	struct chan *ch = calloc(1, sizeof(*ch));
	pthread_condattr_t attr;

	if (!ch || cap == 0)
		goto fail;
	ch->ring = calloc(cap, sizeof(*ch->ring));
	if (!ch->ring)
		goto fail;
	ch->cap = cap;
	ch->wake_at = 1;
	pthread_mutex_init(&ch->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ch->room, &attr);
	pthread_cond_init(&ch->items, &attr);
	pthread_condattr_destroy(&attr);
	return ch;
fail:
	free(ch);
	return NULL;
}

void chan_free(struct chan *ch, void (*drop)(void *item))
{
	if (!ch)
		return;
	for (size_t i = 0; i < ch->len && drop; i++)
		drop(ch->ring[(ch->head + i) % ch->cap]);
	pthread_cond_destroy(&ch->room);
	pthread_cond_destroy(&ch->items);
	pthread_mutex_destroy(&ch->lock);
	free(ch->ring);
	free(ch);
}

static void push_locked(struct chan *ch, void *item)
{
	ch->ring[(ch->head + ch->len) % ch->cap] = item;
	ch->len++;
	if (ch->len >= ch->wake_at)
		pthread_cond_signal(&ch->items);
}

/* *notify: the caller runs room_fn once it has let go of the lock. */
static void *pop_locked(struct chan *ch, bool *notify)
{
	void *item = ch->ring[ch->head];

	ch->head = (ch->head + 1) % ch->cap;
	ch->len--;
	pthread_cond_signal(&ch->room);
	*notify = ch->room_wanted;
	ch->room_wanted = false;
	return item;
}

static void notify_room(struct chan *ch, bool notify)
{
	if (notify)
		ch->room_fn(ch->room_arg);
}

static void wake_all(void *arg)
{
	struct chan *ch = arg;

	pthread_mutex_lock(&ch->lock);
	pthread_cond_broadcast(&ch->room);
	pthread_cond_broadcast(&ch->items);
	pthread_mutex_unlock(&ch->lock);
}

enum chan_status chan_try_send(struct chan *ch, void *item)
{
	enum chan_status rc = CHAN_OK;

	pthread_mutex_lock(&ch->lock);
	if (ch->closed)
		rc = CHAN_CLOSED;
	else if (ch->len == ch->cap) {
		rc = CHAN_FULL;
		ch->room_wanted = ch->room_fn != NULL;
	} else
		push_locked(ch, item);
	pthread_mutex_unlock(&ch->lock);
	return rc;
}

enum chan_status chan_try_recv(struct chan *ch, void **item)
{
	enum chan_status rc = CHAN_OK;
	bool notify = false;

	pthread_mutex_lock(&ch->lock);
	if (ch->len)
		*item = pop_locked(ch, &notify);
	else
		rc = ch->closed ? CHAN_CLOSED : CHAN_EMPTY;
	pthread_mutex_unlock(&ch->lock);
	notify_room(ch, notify);
	return rc;
}

enum chan_status chan_send(struct chan *ch, void *item, struct ctx *ctx)
{
	struct ctx_watch w = { .fn = wake_all, .arg = ch };
	enum chan_status rc = chan_try_send(ch, item);

	if (rc != CHAN_FULL)
		return rc;
	if (ctx && ctx_watch_add(ctx, &w) != CTX_OK)
		return CHAN_DONE;
	pthread_mutex_lock(&ch->lock);
	for (;;) {
		if (ch->closed) {
			rc = CHAN_CLOSED;
			break;
		}
		if (ch->len < ch->cap) {
			push_locked(ch, item);
			rc = CHAN_OK;
			break;
		}
		if (ctx && ctx_done(ctx)) {
			rc = CHAN_DONE;
			break;
		}
		ctx_cond_wait(ctx, &ch->room, &ch->lock);
	}
	pthread_mutex_unlock(&ch->lock);
	if (ctx)
		ctx_watch_remove(ctx, &w);
	return rc;
}

enum chan_status chan_recv(struct chan *ch, void **item, struct ctx *ctx)
{
	struct ctx_watch w = { .fn = wake_all, .arg = ch };
	enum chan_status rc = chan_try_recv(ch, item);
	bool notify = false;

	/* Yield a few times before sleeping: in a busy crawl the next page
	 * is usually a few microseconds away, and sleeping costs a futex
	 * wait, a wake-up from the sender and two context switches (6-9%
	 * of the wall time of the 20,000-page bench, docs/PERFORMANCE.md).
	 * Not for a receiver that asked to sleep until a batch is there
	 * (chan_wake_at, set before it starts): it would take items one by
	 * one again. */
	for (int i = 0; rc == CHAN_EMPTY && ch->wake_at == 1 && i < RECV_YIELDS;
	     i++) {
		sched_yield();
		rc = chan_try_recv(ch, item);
	}
	if (rc != CHAN_EMPTY)
		return rc;
	if (ctx && ctx_watch_add(ctx, &w) != CTX_OK)
		return CHAN_DONE;
	pthread_mutex_lock(&ch->lock);
	for (;;) {
		if (ch->len) {
			*item = pop_locked(ch, &notify);
			rc = CHAN_OK;
			break;
		}
		if (ch->closed) {
			rc = CHAN_CLOSED;
			break;
		}
		if (ctx && ctx_done(ctx)) {
			rc = CHAN_DONE;
			break;
		}
		ctx_cond_wait(ctx, &ch->items, &ch->lock);
	}
	pthread_mutex_unlock(&ch->lock);
	if (ctx)
		ctx_watch_remove(ctx, &w);
	notify_room(ch, notify);
	return rc;
}

void chan_on_room(struct chan *ch, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&ch->lock);
	ch->room_fn = fn;
	ch->room_arg = arg;
	pthread_mutex_unlock(&ch->lock);
}

void chan_wake_at(struct chan *ch, size_t n)
{
	/* Half the ring at most: a batch larger than the channel holds would
	 * never come, and senders would wait on a full channel while the
	 * receiver sleeps to its deadline. */
	size_t half = ch->cap / 2 ? ch->cap / 2 : 1;

	pthread_mutex_lock(&ch->lock);
	ch->wake_at = n && n < half ? n : n ? half : 1;
	pthread_mutex_unlock(&ch->lock);
}

void chan_close(struct chan *ch)
{
	pthread_mutex_lock(&ch->lock);
	ch->closed = true;
	pthread_cond_broadcast(&ch->room);
	pthread_cond_broadcast(&ch->items);
	pthread_mutex_unlock(&ch->lock);
}

size_t chan_len(struct chan *ch)
{
	pthread_mutex_lock(&ch->lock);
	size_t len = ch->len;
	pthread_mutex_unlock(&ch->lock);
	return len;
}
