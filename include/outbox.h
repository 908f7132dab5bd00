/* outbox: what a sender that must never block holds back while its
 * channel is full (the fetch thread: it keeps driving transfers and stops
 * starting new ones instead of sleeping on a channel).
 *
 * Items leave in the order they came. The outbox belongs to one thread;
 * pair it with chan_on_room to be woken when the channel has room again.
 * Items held belong to the outbox until they are in the channel. */
#ifndef CRAWLER_OUTBOX_H
#define CRAWLER_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>

struct chan;

struct outbox {
	struct chan *ch;  /* borrowed */
	void **items;     /* a ring of cap slots */
	size_t head, len, cap;
};

void outbox_init(struct outbox *ob, struct chan *ch);
/* Frees the ring; items still held are passed to drop (may be NULL). */
void outbox_release(struct outbox *ob, void (*drop)(void *item));

/* Into the channel now if nothing is held and there is room, else held.
 * Only when no memory is left to hold it does this wait for room. */
void outbox_send(struct outbox *ob, void *item);

/* Move held items into the channel while it has room. Returns whether
 * the outbox is now empty. */
bool outbox_flush(struct outbox *ob);

/* Move every held item into the channel, waiting for room: for the end
 * of a crawl, while the receivers still drain it. */
void outbox_drain(struct outbox *ob);

size_t outbox_len(const struct outbox *ob);

#endif
