/* chan_test: the bounded channel of include/chan.h: FIFO order, the
 * non-blocking FULL/EMPTY answers, close semantics (sends fail, receivers
 * drain then see CLOSED), blocked senders and receivers woken by a ctx
 * cancel or deadline from elsewhere, no item lost or duplicated under many
 * producers and consumers, and chan_free handing leftovers to drop. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chan.h"
#include "ctx.h"

#define MS 1000000LL

static void *ip(uintptr_t v)
{
	return (void *)v;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * MS };

	while (nanosleep(&ts, &ts))
		;
}

Test(chan, new_channel_is_empty)
{
	struct chan *ch = chan_new(4);

	cr_assert_not_null(ch);
	cr_expect_eq(chan_len(ch), 0);
	chan_free(ch, NULL);
}

Test(chan, items_come_out_in_fifo_order)
{
	struct chan *ch = chan_new(8);
	void *item;

	cr_assert_not_null(ch);
	for (uintptr_t i = 1; i <= 8; i++)
		cr_assert_eq(chan_send(ch, ip(i), NULL), CHAN_OK);
	cr_expect_eq(chan_len(ch), 8);
	for (uintptr_t i = 1; i <= 8; i++) {
		cr_assert_eq(chan_recv(ch, &item, NULL), CHAN_OK);
		cr_expect_eq((uintptr_t)item, i);
	}
	cr_expect_eq(chan_len(ch), 0);
	chan_free(ch, NULL);
}

Test(chan, fifo_order_holds_across_ring_wrap_around)
{
	struct chan *ch = chan_new(3);
	uintptr_t next_in = 1, next_out = 1;
	void *item;

	cr_assert_not_null(ch);
	/* Keep it between 1 and 3 full for many laps of the ring. */
	for (int round = 0; round < 50; round++) {
		while (chan_try_send(ch, ip(next_in)) == CHAN_OK)
			next_in++;
		for (int k = 0; k < 1 + round % 3; k++) {
			cr_assert_eq(chan_try_recv(ch, &item), CHAN_OK);
			cr_assert_eq((uintptr_t)item, next_out, "round %d", round);
			next_out++;
		}
	}
	chan_free(ch, NULL);
}

Test(chan, try_send_on_a_full_channel_gives_full)
{
	struct chan *ch = chan_new(2);
	void *item;

	cr_assert_not_null(ch);
	cr_expect_eq(chan_try_send(ch, ip(1)), CHAN_OK);
	cr_expect_eq(chan_try_send(ch, ip(2)), CHAN_OK);
	cr_expect_eq(chan_try_send(ch, ip(3)), CHAN_FULL);
	cr_expect_eq(chan_len(ch), 2, "a refused item is not queued");
	cr_expect_eq(chan_try_recv(ch, &item), CHAN_OK);
	cr_expect_eq((uintptr_t)item, 1);
	cr_expect_eq(chan_try_send(ch, ip(3)), CHAN_OK, "room again");
	chan_free(ch, NULL);
}

Test(chan, try_recv_on_an_empty_channel_gives_empty)
{
	struct chan *ch = chan_new(2);
	void *item = ip(99);

	cr_assert_not_null(ch);
	cr_expect_eq(chan_try_recv(ch, &item), CHAN_EMPTY);
	cr_expect_eq((uintptr_t)item, 99, "item untouched when empty");
	chan_free(ch, NULL);
}

Test(chan, capacity_one_channel_alternates)
{
	struct chan *ch = chan_new(1);
	void *item;

	cr_assert_not_null(ch);
	for (uintptr_t i = 1; i <= 5; i++) {
		cr_assert_eq(chan_try_send(ch, ip(i)), CHAN_OK);
		cr_assert_eq(chan_try_send(ch, ip(100)), CHAN_FULL);
		cr_assert_eq(chan_try_recv(ch, &item), CHAN_OK);
		cr_assert_eq((uintptr_t)item, i);
		cr_assert_eq(chan_try_recv(ch, &item), CHAN_EMPTY);
	}
	chan_free(ch, NULL);
}

Test(chan, null_items_pass_through)
{
	struct chan *ch = chan_new(2);
	void *item = ip(5);

	cr_assert_not_null(ch);
	cr_expect_eq(chan_send(ch, NULL, NULL), CHAN_OK);
	cr_expect_eq(chan_recv(ch, &item, NULL), CHAN_OK);
	cr_expect_null(item);
	chan_free(ch, NULL);
}

Test(chan, close_makes_sends_fail_with_closed)
{
	struct chan *ch = chan_new(4);
	struct ctx c;

	cr_assert_not_null(ch);
	ctx_init(&c, NULL, 0);
	chan_close(ch);
	cr_expect_eq(chan_send(ch, ip(1), NULL), CHAN_CLOSED);
	cr_expect_eq(chan_send(ch, ip(1), &c), CHAN_CLOSED);
	cr_expect_eq(chan_try_send(ch, ip(1)), CHAN_CLOSED);
	cr_expect_eq(chan_len(ch), 0);
	ctx_release(&c);
	chan_free(ch, NULL);
}

Test(chan, close_lets_receivers_drain_then_reports_closed)
{
	struct chan *ch = chan_new(4);
	void *item;

	cr_assert_not_null(ch);
	cr_assert_eq(chan_send(ch, ip(1), NULL), CHAN_OK);
	cr_assert_eq(chan_send(ch, ip(2), NULL), CHAN_OK);
	cr_assert_eq(chan_send(ch, ip(3), NULL), CHAN_OK);
	chan_close(ch);
	cr_expect_eq(chan_recv(ch, &item, NULL), CHAN_OK);
	cr_expect_eq((uintptr_t)item, 1);
	cr_expect_eq(chan_try_recv(ch, &item), CHAN_OK);
	cr_expect_eq((uintptr_t)item, 2);
	cr_expect_eq(chan_recv(ch, &item, NULL), CHAN_OK);
	cr_expect_eq((uintptr_t)item, 3);
	cr_expect_eq(chan_recv(ch, &item, NULL), CHAN_CLOSED);
	cr_expect_eq(chan_try_recv(ch, &item), CHAN_CLOSED);
	cr_expect_eq(chan_recv(ch, &item, NULL), CHAN_CLOSED, "stays closed");
	chan_free(ch, NULL);
}

Test(chan, full_channel_close_still_drains_everything)
{
	struct chan *ch = chan_new(2);
	void *item;

	cr_assert_not_null(ch);
	cr_assert_eq(chan_try_send(ch, ip(1)), CHAN_OK);
	cr_assert_eq(chan_try_send(ch, ip(2)), CHAN_OK);
	chan_close(ch);
	cr_expect_eq(chan_try_send(ch, ip(3)), CHAN_CLOSED,
		     "closed wins over full");
	cr_expect_eq(chan_recv(ch, &item, NULL), CHAN_OK);
	cr_expect_eq(chan_recv(ch, &item, NULL), CHAN_OK);
	cr_expect_eq((uintptr_t)item, 2);
	cr_expect_eq(chan_recv(ch, &item, NULL), CHAN_CLOSED);
	chan_free(ch, NULL);
}

/* One blocking call on its own thread, so the main thread can end it. */
struct blocked {
	struct chan *ch;
	struct ctx *ctx;
	bool send;        /* chan_send, else chan_recv */
	void *item;       /* sent, or received */
	atomic_int started;
	enum chan_status rc;
};

static void *blocked_call(void *arg)
{
	struct blocked *b = arg;

	atomic_store(&b->started, 1);
	if (b->send)
		b->rc = chan_send(b->ch, b->item, b->ctx);
	else
		b->rc = chan_recv(b->ch, &b->item, b->ctx);
	return NULL;
}

/* Start the call and give it time to block (a call that has not blocked
 * yet must give the same answer, so the sleep only makes the test
 * stronger, never flaky). */
static void start_blocked(pthread_t *t, struct blocked *b)
{
	atomic_store(&b->started, 0);
	b->rc = -1;
	cr_assert_eq(pthread_create(t, NULL, blocked_call, b), 0);
	while (!atomic_load(&b->started))
		sleep_ms(1);
	sleep_ms(50);
}

Test(chan, blocked_receiver_is_woken_by_ctx_cancel, .timeout = 30)
{
	struct chan *ch = chan_new(2);
	struct ctx c;
	struct blocked b = { .ch = ch, .ctx = &c, .item = ip(7) };
	pthread_t t;

	cr_assert_not_null(ch);
	ctx_init(&c, NULL, 0);
	start_blocked(&t, &b);
	ctx_cancel(&c, 1);
	pthread_join(t, NULL);
	cr_expect_eq(b.rc, CHAN_DONE);
	cr_expect_eq(chan_len(ch), 0);
	ctx_release(&c);
	chan_free(ch, NULL);
}

Test(chan, blocked_receiver_is_woken_by_a_parent_ctx_cancel, .timeout = 30)
{
	struct chan *ch = chan_new(2);
	struct ctx root, child;
	struct blocked b = { .ch = ch, .ctx = &child };
	pthread_t t;

	cr_assert_not_null(ch);
	ctx_init(&root, NULL, 0);
	ctx_init(&child, &root, 0);
	start_blocked(&t, &b);
	ctx_cancel(&root, 1);
	pthread_join(t, NULL);
	cr_expect_eq(b.rc, CHAN_DONE);
	ctx_release(&child);
	ctx_release(&root);
	chan_free(ch, NULL);
}

Test(chan, blocked_receiver_gives_up_at_ctx_deadline, .timeout = 30)
{
	struct chan *ch = chan_new(2);
	struct ctx c;
	void *item;

	cr_assert_not_null(ch);
	ctx_init(&c, NULL, ctx_now_ns() + 100 * MS);
	cr_expect_eq(chan_recv(ch, &item, &c), CHAN_DONE);
	cr_expect_eq(ctx_err(&c), CTX_DEADLINE);
	ctx_release(&c);
	chan_free(ch, NULL);
}

Test(chan, blocked_receiver_gets_a_later_item, .timeout = 30)
{
	struct chan *ch = chan_new(2);
	struct ctx c;
	struct blocked b = { .ch = ch, .ctx = &c };
	pthread_t t;

	cr_assert_not_null(ch);
	ctx_init(&c, NULL, 0);
	start_blocked(&t, &b);
	cr_assert_eq(chan_send(ch, ip(77), NULL), CHAN_OK);
	pthread_join(t, NULL);
	cr_expect_eq(b.rc, CHAN_OK);
	cr_expect_eq((uintptr_t)b.item, 77);
	ctx_release(&c);
	chan_free(ch, NULL);
}

Test(chan, blocked_receiver_is_woken_by_close, .timeout = 30)
{
	struct chan *ch = chan_new(2);
	struct blocked b = { .ch = ch, .ctx = NULL };
	pthread_t t;

	cr_assert_not_null(ch);
	start_blocked(&t, &b);
	chan_close(ch);
	pthread_join(t, NULL);
	cr_expect_eq(b.rc, CHAN_CLOSED);
	chan_free(ch, NULL);
}

Test(chan, receive_on_an_already_cancelled_ctx_gives_done)
{
	struct chan *ch = chan_new(2);
	struct ctx c;
	void *item;

	cr_assert_not_null(ch);
	ctx_init(&c, NULL, 0);
	ctx_cancel(&c, 1);
	cr_expect_eq(chan_recv(ch, &item, &c), CHAN_DONE);
	ctx_release(&c);
	chan_free(ch, NULL);
}

/* Fill a channel of capacity 1 so the next send blocks. */
static struct chan *full_chan(void)
{
	struct chan *ch = chan_new(1);

	cr_assert_not_null(ch);
	cr_assert_eq(chan_try_send(ch, ip(1)), CHAN_OK);
	return ch;
}

Test(chan, blocked_sender_is_woken_by_ctx_cancel, .timeout = 30)
{
	struct chan *ch = full_chan();
	struct ctx c;
	struct blocked b = { .ch = ch, .ctx = &c, .send = true, .item = ip(2) };
	pthread_t t;
	void *item;

	ctx_init(&c, NULL, 0);
	start_blocked(&t, &b);
	ctx_cancel(&c, 1);
	pthread_join(t, NULL);
	cr_expect_eq(b.rc, CHAN_DONE);
	cr_expect_eq(chan_len(ch), 1, "the cancelled item was not queued");
	cr_expect_eq(chan_try_recv(ch, &item), CHAN_OK);
	cr_expect_eq((uintptr_t)item, 1);
	ctx_release(&c);
	chan_free(ch, NULL);
}

Test(chan, blocked_sender_gives_up_at_ctx_deadline, .timeout = 30)
{
	struct chan *ch = full_chan();
	struct ctx c;

	ctx_init(&c, NULL, ctx_now_ns() + 100 * MS);
	cr_expect_eq(chan_send(ch, ip(2), &c), CHAN_DONE);
	cr_expect_eq(ctx_err(&c), CTX_DEADLINE);
	cr_expect_eq(chan_len(ch), 1);
	ctx_release(&c);
	chan_free(ch, NULL);
}

Test(chan, blocked_sender_is_woken_by_close, .timeout = 30)
{
	struct chan *ch = full_chan();
	struct blocked b = { .ch = ch, .ctx = NULL, .send = true, .item = ip(2) };
	pthread_t t;

	start_blocked(&t, &b);
	chan_close(ch);
	pthread_join(t, NULL);
	cr_expect_eq(b.rc, CHAN_CLOSED);
	cr_expect_eq(chan_len(ch), 1);
	chan_free(ch, NULL);
}

Test(chan, blocked_sender_proceeds_when_room_is_made, .timeout = 30)
{
	struct chan *ch = full_chan();
	struct ctx c;
	struct blocked b = { .ch = ch, .ctx = &c, .send = true, .item = ip(2) };
	pthread_t t;
	void *item;

	ctx_init(&c, NULL, 0);
	start_blocked(&t, &b);
	cr_assert_eq(chan_recv(ch, &item, NULL), CHAN_OK);
	cr_expect_eq((uintptr_t)item, 1);
	pthread_join(t, NULL);
	cr_expect_eq(b.rc, CHAN_OK);
	cr_expect_eq(chan_recv(ch, &item, NULL), CHAN_OK);
	cr_expect_eq((uintptr_t)item, 2);
	ctx_release(&c);
	chan_free(ch, NULL);
}

Test(chan, send_on_an_already_cancelled_ctx_to_a_full_channel_gives_done)
{
	struct chan *ch = full_chan();
	struct ctx c;

	ctx_init(&c, NULL, 0);
	ctx_cancel(&c, 1);
	cr_expect_eq(chan_send(ch, ip(2), &c), CHAN_DONE);
	cr_expect_eq(chan_len(ch), 1);
	ctx_release(&c);
	chan_free(ch, NULL);
}

/* Many producers and consumers: every item arrives exactly once. */
#define PRODUCERS 4
#define CONSUMERS 4
#define PER_PRODUCER 50000
#define TOTAL (PRODUCERS * PER_PRODUCER)

struct mpmc {
	struct chan *ch;
	atomic_uchar seen[TOTAL]; /* receipts per item */
	atomic_int bad;           /* items out of range */
	atomic_int send_errors;
};

struct producer {
	struct mpmc *m;
	uintptr_t first;
};

static void *produce(void *arg)
{
	struct producer *p = arg;

	for (uintptr_t i = 0; i < PER_PRODUCER; i++)
		if (chan_send(p->m->ch, ip(p->first + i + 1), NULL) != CHAN_OK)
			atomic_fetch_add(&p->m->send_errors, 1);
	return NULL;
}

static void *consume(void *arg)
{
	struct mpmc *m = arg;
	void *item;

	while (chan_recv(m->ch, &item, NULL) == CHAN_OK) {
		uintptr_t v = (uintptr_t)item;

		if (v < 1 || v > TOTAL)
			atomic_fetch_add(&m->bad, 1);
		else
			atomic_fetch_add(&m->seen[v - 1], 1);
	}
	return NULL;
}

Test(chan, many_producers_and_consumers_lose_and_duplicate_nothing,
     .timeout = 120)
{
	struct mpmc *m = calloc(1, sizeof(*m));
	struct producer prod[PRODUCERS];
	pthread_t pt[PRODUCERS], ct[CONSUMERS];
	size_t missing = 0, doubled = 0;

	cr_assert_not_null(m);
	m->ch = chan_new(16);
	cr_assert_not_null(m->ch);
	for (int i = 0; i < CONSUMERS; i++)
		cr_assert_eq(pthread_create(&ct[i], NULL, consume, m), 0);
	for (int i = 0; i < PRODUCERS; i++) {
		prod[i] = (struct producer){ .m = m,
					     .first = (uintptr_t)i * PER_PRODUCER };
		cr_assert_eq(pthread_create(&pt[i], NULL, produce, &prod[i]), 0);
	}
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(pt[i], NULL);
	chan_close(m->ch);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(ct[i], NULL);

	for (size_t i = 0; i < TOTAL; i++) {
		unsigned n = atomic_load(&m->seen[i]);

		missing += n == 0;
		doubled += n > 1;
	}
	cr_expect_eq(atomic_load(&m->send_errors), 0);
	cr_expect_eq(atomic_load(&m->bad), 0);
	cr_expect_eq(missing, 0, "%zu items lost", missing);
	cr_expect_eq(doubled, 0, "%zu items received twice", doubled);
	cr_expect_eq(chan_len(m->ch), 0);
	chan_free(m->ch, NULL);
	free(m);
}

/* chan_free's drop: every leftover item, once each. */
static atomic_int dropped_sum, dropped_count;

static void drop_count(void *item)
{
	atomic_fetch_add(&dropped_sum, (int)(uintptr_t)item);
	atomic_fetch_add(&dropped_count, 1);
}

Test(chan, free_passes_every_leftover_item_to_drop)
{
	struct chan *ch = chan_new(4);
	void *item;

	cr_assert_not_null(ch);
	atomic_store(&dropped_sum, 0);
	atomic_store(&dropped_count, 0);
	/* Wrap around the ring: 1 2 3 4 in, 1 2 out, 5 6 in. */
	for (uintptr_t i = 1; i <= 4; i++)
		cr_assert_eq(chan_try_send(ch, ip(i)), CHAN_OK);
	cr_assert_eq(chan_try_recv(ch, &item), CHAN_OK);
	cr_assert_eq(chan_try_recv(ch, &item), CHAN_OK);
	cr_assert_eq(chan_try_send(ch, ip(5)), CHAN_OK);
	cr_assert_eq(chan_try_send(ch, ip(6)), CHAN_OK);
	chan_close(ch);
	chan_free(ch, drop_count);
	cr_expect_eq(atomic_load(&dropped_count), 4);
	cr_expect_eq(atomic_load(&dropped_sum), 3 + 4 + 5 + 6);
}

Test(chan, free_of_an_empty_channel_drops_nothing)
{
	struct chan *ch = chan_new(4);
	void *item;

	cr_assert_not_null(ch);
	atomic_store(&dropped_count, 0);
	cr_assert_eq(chan_try_send(ch, ip(1)), CHAN_OK);
	cr_assert_eq(chan_try_recv(ch, &item), CHAN_OK);
	chan_free(ch, drop_count);
	cr_expect_eq(atomic_load(&dropped_count), 0);
}

Test(chan, free_with_heap_items_and_free_as_drop_leaks_nothing)
{
	struct chan *ch = chan_new(3);

	cr_assert_not_null(ch);
	for (int i = 0; i < 3; i++) {
		char *s = malloc(32);

		cr_assert_not_null(s);
		snprintf(s, 32, "item %d", i);
		cr_assert_eq(chan_try_send(ch, s), CHAN_OK);
	}
	chan_free(ch, free); /* ASan reports a leak if drop is skipped */
}

/* A batch larger than the channel can hold never comes: the receiver is
 * woken at half the ring instead of sleeping to its deadline while the
 * senders find the channel full (the writer's batch of 64 on a --warc
 * results channel of 32 stalled a crawl 20 ms at a time). */
Test(chan, a_batch_larger_than_the_ring_wakes_at_half_of_it, .timeout = 30)
{
	struct chan *ch = chan_new(8);
	struct ctx c;
	struct blocked b = { .ch = ch, .ctx = &c };
	pthread_t t;

	cr_assert_not_null(ch);
	chan_wake_at(ch, 64);
	ctx_init(&c, NULL, ctx_now_ns() + 20000 * MS);
	start_blocked(&t, &b);
	for (uintptr_t i = 1; i <= 4; i++)
		cr_assert_eq(chan_send(ch, ip(i), NULL), CHAN_OK);
	pthread_join(t, NULL);
	cr_expect_eq(b.rc, CHAN_OK, "woken by four items, not by the deadline");
	cr_expect_eq((uintptr_t)b.item, 1);
	ctx_release(&c);
	chan_free(ch, NULL);
}
