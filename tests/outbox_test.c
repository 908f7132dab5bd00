/* outbox_test: what a sender that never blocks holds while its channel is
 * full (include/outbox.h): straight through when there is room, held in
 * order when not, flushed as room comes, drained at the end; and the
 * channel's room callback (chan_on_room) that wakes such a sender. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "chan.h"
#include "outbox.h"

static void *ip(uintptr_t v)
{
	return (void *)v;
}

static uintptr_t recv_one(struct chan *ch)
{
	void *item = NULL;

	cr_assert_eq(chan_try_recv(ch, &item), CHAN_OK);
	return (uintptr_t)item;
}

Test(outbox, with_room_an_item_goes_straight_in)
{
	struct chan *ch = chan_new(2);
	struct outbox ob;

	outbox_init(&ob, ch);
	outbox_send(&ob, ip(1));
	cr_expect_eq(outbox_len(&ob), 0);
	cr_expect_eq(chan_len(ch), 1);
	outbox_release(&ob, NULL);
	chan_free(ch, NULL);
}

Test(outbox, a_full_channel_holds_items_in_order_until_flushed)
{
	struct chan *ch = chan_new(2);
	struct outbox ob;

	outbox_init(&ob, ch);
	for (uintptr_t i = 1; i <= 200; i++)
		outbox_send(&ob, ip(i));
	cr_expect_eq(chan_len(ch), 2);
	cr_expect_eq(outbox_len(&ob), 198);
	for (uintptr_t want = 1; want <= 200; want++) {
		if (!chan_len(ch))
			outbox_flush(&ob);
		cr_assert_eq(recv_one(ch), want);
	}
	cr_expect(outbox_flush(&ob), "empty at the end");
	outbox_release(&ob, NULL);
	chan_free(ch, NULL);
}

Test(outbox, nothing_jumps_the_queue_while_items_are_held)
{
	struct chan *ch = chan_new(1);
	struct outbox ob;

	outbox_init(&ob, ch);
	outbox_send(&ob, ip(1));
	outbox_send(&ob, ip(2));
	cr_expect_eq(recv_one(ch), 1);
	outbox_send(&ob, ip(3)); /* room now, but 2 is held */
	cr_expect_eq(outbox_len(&ob), 2);
	outbox_flush(&ob);
	cr_expect_eq(recv_one(ch), 2);
	outbox_flush(&ob);
	cr_expect_eq(recv_one(ch), 3);
	outbox_release(&ob, NULL);
	chan_free(ch, NULL);
}

static unsigned drops;

static void drop(void *item)
{
	(void)item;
	drops++;
}

Test(outbox, release_hands_held_items_to_drop)
{
	struct chan *ch = chan_new(1);
	struct outbox ob;

	outbox_init(&ob, ch);
	for (uintptr_t i = 1; i <= 5; i++)
		outbox_send(&ob, ip(i));
	outbox_release(&ob, drop);
	cr_expect_eq(drops, 4);
	chan_free(ch, NULL);
}

static unsigned rooms;

static void on_room(void *arg)
{
	(void)arg;
	rooms++;
}

Test(outbox, the_receiver_that_makes_room_after_a_full_send_calls_back_once)
{
	struct chan *ch = chan_new(1);
	void *item;

	chan_on_room(ch, on_room, NULL);
	cr_assert_eq(chan_try_send(ch, ip(1)), CHAN_OK);
	cr_assert_eq(chan_try_recv(ch, &item), CHAN_OK);
	cr_expect_eq(rooms, 0, "no send was refused");
	cr_assert_eq(chan_try_send(ch, ip(2)), CHAN_OK);
	cr_assert_eq(chan_try_send(ch, ip(3)), CHAN_FULL);
	cr_assert_eq(chan_try_send(ch, ip(3)), CHAN_FULL);
	cr_assert_eq(chan_recv(ch, &item, NULL), CHAN_OK);
	cr_expect_eq(rooms, 1);
	cr_assert_eq(chan_try_send(ch, ip(3)), CHAN_OK);
	cr_assert_eq(chan_try_recv(ch, &item), CHAN_OK);
	cr_expect_eq(rooms, 1, "once per refusal, not per receive");
	chan_free(ch, NULL);
}
