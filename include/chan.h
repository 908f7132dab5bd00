/* chan: a bounded multi-producer, multi-consumer queue of pointers with
 * close, the channel between pipeline stages.
 *
 * Items are owned by the queue while in it and by the receiver after
 * chan_recv. Blocking calls take a ctx (may be NULL) and return CHAN_DONE as
 * soon as it is cancelled or its deadline passes. After chan_close, sends
 * fail with CHAN_CLOSED and receivers drain what is left, then get
 * CHAN_CLOSED. One mutex guards the ring; two condition variables wait for
 * room and for items. */
#ifndef CRAWLER_CHAN_H
#define CRAWLER_CHAN_H

#include <stddef.h>

struct ctx;
struct chan;

enum chan_status {
	CHAN_OK = 0,
	CHAN_CLOSED = 1, /* closed (and, for receive, empty) */
	CHAN_DONE = 2,   /* the ctx ended while waiting */
	CHAN_EMPTY = 3,  /* try_recv: nothing there right now */
	CHAN_FULL = 4,   /* try_send: no room right now */
};

/* A channel holding at most cap (>= 1) items; NULL when out of memory. */
struct chan *chan_new(size_t cap);

/* Free the channel and its ring; items still in it are passed to drop
 * (may be NULL: they are not freed). NULL is accepted. */
void chan_free(struct chan *ch, void (*drop)(void *item));

/* Queue item, waiting for room: CHAN_OK, CHAN_CLOSED, or CHAN_DONE when ctx
 * ended first. item belongs to the channel only on CHAN_OK. */
enum chan_status chan_send(struct chan *ch, void *item, struct ctx *ctx);
/* Take the oldest item into *item, waiting for one: CHAN_OK, CHAN_CLOSED
 * (closed and drained), or CHAN_DONE when ctx ended first. */
enum chan_status chan_recv(struct chan *ch, void **item, struct ctx *ctx);
/* chan_send without waiting: CHAN_FULL when there is no room. */
enum chan_status chan_try_send(struct chan *ch, void *item);
/* chan_recv without waiting: CHAN_EMPTY when nothing is queued. */
enum chan_status chan_try_recv(struct chan *ch, void **item);

/* A waiting receiver is woken once n items are queued (or on close, or
 * when its ctx ends), not at the first: a consumer that works in batches
 * sleeps through the rest. n is taken as at most half the capacity. Only
 * for receivers that wait with a deadline,
 * or fewer than n items could wait for ever; call it before they start. */
void chan_wake_at(struct chan *ch, size_t n);

/* For a sender that never blocks: after chan_try_send found no room,
 * the receiver that next takes an item calls fn(arg), once, outside the
 * channel's lock (fn must be thread-safe and quick: a wake-up). Call it
 * before the channel is used. */
void chan_on_room(struct chan *ch, void (*fn)(void *arg), void *arg);

void chan_close(struct chan *ch);
size_t chan_len(struct chan *ch);

#endif
