/* outbox: a ring of held items in front of a channel (see outbox.h). */
#include "outbox.h"

#include <errno.h>
#include <stdlib.h>

#include "chan.h"

void outbox_init(struct outbox *ob, struct chan *ch)
{
	*ob = (struct outbox){ .ch = ch };
}

void outbox_release(struct outbox *ob, void (*drop)(void *item))
{
	for (size_t i = 0; drop && i < ob->len; i++)
		drop(ob->items[(ob->head + i) % ob->cap]);
	free(ob->items);
	*ob = (struct outbox){ 0 };
}

/* Room for one more held item: the ring doubles, unwrapped into order.
 * 0 or ENOMEM. */
static int hold_room(struct outbox *ob)
{
	size_t cap = ob->cap ? ob->cap * 2 : 64;
	void **items;

	if (ob->len < ob->cap)
		return 0;
	items = malloc(cap * sizeof(*items));
	if (!items)
		return ENOMEM;
	/* Full: the held items are the whole ring, from head around. */
	for (size_t i = 0; i < ob->len; i++)
		items[i] = ob->items[(ob->head + i) % ob->len];
	free(ob->items);
	ob->items = items;
	ob->head = 0;
	ob->cap = cap;
	return 0;
}

void outbox_send(struct outbox *ob, void *item)
{
	if (!ob->len && chan_try_send(ob->ch, item) != CHAN_FULL)
		return;
	if (hold_room(ob)) {
		/* Nothing is dropped: wait for the receivers instead. */
		outbox_drain(ob);
		chan_send(ob->ch, item, NULL);
		return;
	}
	ob->items[(ob->head + ob->len) % ob->cap] = item;
	ob->len++;
}

bool outbox_flush(struct outbox *ob)
{
	while (ob->len && chan_try_send(ob->ch, ob->items[ob->head]) != CHAN_FULL) {
		ob->head = (ob->head + 1) % ob->cap;
		ob->len--;
	}
	return ob->len == 0;
}

void outbox_drain(struct outbox *ob)
{
	while (ob->len) {
		chan_send(ob->ch, ob->items[ob->head], NULL);
		ob->head = (ob->head + 1) % ob->cap;
		ob->len--;
	}
}

size_t outbox_len(const struct outbox *ob)
{
	return ob->len;
}
