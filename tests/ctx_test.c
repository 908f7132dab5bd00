/* ctx_test: what include/ctx.h promises: deadlines expire as CTX_DEADLINE,
 * ctx_cancel gives CTX_CANCELED with the first cause, cancellation flows
 * down to children and grandchildren (cause included), a child never
 * outlives its parent's deadline, ctx_remaining_ms rounds up, watches run
 * once and never after removal, and ctx_cond_wait gives up by the deadline.
 * Timing bounds are generous: the tests share a loaded machine. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "ctx.h"

#define MS 1000000LL
#define SEC 1000000000LL

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * MS };

	while (nanosleep(&ts, &ts))
		;
}

/* Wait (up to 10 s) until c's deadline has passed. */
static void wait_past_deadline(const struct ctx *c)
{
	int64_t give_up = ctx_now_ns() + 10 * SEC;

	while (ctx_now_ns() < ctx_deadline_ns(c) && ctx_now_ns() < give_up)
		sleep_ms(5);
}

static void count_call(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
}

Test(ctx, fresh_root_is_ok_with_no_cause)
{
	struct ctx c;

	ctx_init(&c, NULL, 0);
	cr_expect_eq(ctx_err(&c), CTX_OK);
	cr_expect_not(ctx_done(&c));
	cr_expect_eq(ctx_cause(&c), 0);
	cr_expect_eq(ctx_deadline_ns(&c), 0);
	ctx_release(&c);
}

Test(ctx, now_is_monotonic)
{
	int64_t a = ctx_now_ns();

	sleep_ms(2);
	int64_t b = ctx_now_ns();

	cr_expect_gt(a, 0);
	cr_expect_gt(b, a);
}

Test(ctx, deadline_expiry_gives_ctx_deadline, .timeout = 30)
{
	struct ctx c;

	ctx_init(&c, NULL, ctx_now_ns() + 50 * MS);
	wait_past_deadline(&c);
	cr_expect_eq(ctx_err(&c), CTX_DEADLINE);
	cr_expect(ctx_done(&c));
	cr_expect_eq(ctx_cause(&c), 0, "a deadline is not a cancel");
	ctx_release(&c);
}

Test(ctx, far_deadline_is_not_done)
{
	struct ctx c;

	ctx_init(&c, NULL, ctx_now_ns() + 3600 * SEC);
	cr_expect_eq(ctx_err(&c), CTX_OK);
	cr_expect_not(ctx_done(&c));
	ctx_release(&c);
}

Test(ctx, cancel_gives_ctx_canceled_with_the_cause)
{
	struct ctx c;

	ctx_init(&c, NULL, 0);
	ctx_cancel(&c, 7);
	cr_expect_eq(ctx_err(&c), CTX_CANCELED);
	cr_expect(ctx_done(&c));
	cr_expect_eq(ctx_cause(&c), 7);
	ctx_release(&c);
}

Test(ctx, second_cancel_keeps_the_first_cause)
{
	struct ctx c;

	ctx_init(&c, NULL, 0);
	ctx_cancel(&c, 3);
	ctx_cancel(&c, 9);
	cr_expect_eq(ctx_cause(&c), 3);
	ctx_release(&c);
}

Test(ctx, cancel_wins_over_a_passed_deadline)
{
	struct ctx c;

	ctx_init(&c, NULL, ctx_now_ns() - 1);
	cr_expect_eq(ctx_err(&c), CTX_DEADLINE);
	ctx_cancel(&c, 4);
	cr_expect_eq(ctx_err(&c), CTX_CANCELED);
	cr_expect_eq(ctx_cause(&c), 4);
	ctx_release(&c);
}

Test(ctx, cancelling_parent_cancels_children_and_grandchildren)
{
	struct ctx root, a, b, grand;

	ctx_init(&root, NULL, 0);
	ctx_init(&a, &root, 0);
	ctx_init(&b, &root, 0);
	ctx_init(&grand, &a, 0);
	cr_expect_eq(ctx_err(&grand), CTX_OK);

	ctx_cancel(&root, 5);
	cr_expect_eq(ctx_err(&a), CTX_CANCELED);
	cr_expect_eq(ctx_err(&b), CTX_CANCELED);
	cr_expect_eq(ctx_err(&grand), CTX_CANCELED);
	cr_expect_eq(ctx_cause(&a), 5);
	cr_expect_eq(ctx_cause(&b), 5);
	cr_expect_eq(ctx_cause(&grand), 5, "cause reaches the grandchild");

	ctx_release(&grand);
	ctx_release(&b);
	ctx_release(&a);
	ctx_release(&root);
}

Test(ctx, cancelling_child_leaves_parent_and_sibling_running)
{
	struct ctx root, a, b;

	ctx_init(&root, NULL, 0);
	ctx_init(&a, &root, 0);
	ctx_init(&b, &root, 0);
	ctx_cancel(&a, 2);
	cr_expect_eq(ctx_err(&a), CTX_CANCELED);
	cr_expect_eq(ctx_err(&root), CTX_OK);
	cr_expect_eq(ctx_err(&b), CTX_OK);
	cr_expect_eq(ctx_cause(&root), 0);
	ctx_release(&b);
	ctx_release(&a);
	ctx_release(&root);
}

Test(ctx, child_cancelled_first_keeps_its_own_cause)
{
	struct ctx root, a;

	ctx_init(&root, NULL, 0);
	ctx_init(&a, &root, 0);
	ctx_cancel(&a, 1);
	ctx_cancel(&root, 8);
	cr_expect_eq(ctx_cause(&a), 1);
	cr_expect_eq(ctx_cause(&root), 8);
	ctx_release(&a);
	ctx_release(&root);
}

Test(ctx, released_child_is_not_touched_by_a_later_parent_cancel)
{
	struct ctx root, a, b;
	atomic_int calls = 0;
	struct ctx_watch w = { .fn = count_call, .arg = &calls };

	ctx_init(&root, NULL, 0);
	ctx_init(&a, &root, 0);
	ctx_init(&b, &root, 0);
	cr_assert_eq(ctx_watch_add(&b, &w), CTX_OK);
	ctx_release(&a);
	ctx_cancel(&root, 6); /* must not reach the released a */
	cr_expect_eq(ctx_err(&b), CTX_CANCELED);
	cr_expect_eq(atomic_load(&calls), 1);
	ctx_watch_remove(&b, &w);
	ctx_release(&b);
	ctx_release(&root);
}

Test(ctx, child_deadline_is_capped_by_the_parents)
{
	struct ctx root, later, none, sooner;
	int64_t now = ctx_now_ns();
	int64_t parent_dl = now + 100 * SEC;

	ctx_init(&root, NULL, parent_dl);
	ctx_init(&later, &root, now + 500 * SEC);
	ctx_init(&none, &root, 0);
	ctx_init(&sooner, &root, now + 50 * SEC);
	cr_expect_eq(ctx_deadline_ns(&later), parent_dl);
	cr_expect_eq(ctx_deadline_ns(&none), parent_dl,
		     "no deadline of its own: the parent's");
	cr_expect_eq(ctx_deadline_ns(&sooner), now + 50 * SEC,
		     "an earlier deadline of its own stays");
	ctx_release(&sooner);
	ctx_release(&none);
	ctx_release(&later);
	ctx_release(&root);
}

Test(ctx, child_expires_with_its_parent_deadline, .timeout = 30)
{
	struct ctx root, child;

	ctx_init(&root, NULL, ctx_now_ns() + 50 * MS);
	ctx_init(&child, &root, ctx_now_ns() + 3600 * SEC);
	wait_past_deadline(&root);
	cr_expect_eq(ctx_err(&child), CTX_DEADLINE);
	ctx_release(&child);
	ctx_release(&root);
}

Test(ctx, child_of_a_cancelled_parent_starts_cancelled)
{
	struct ctx root, child, grand;

	ctx_init(&root, NULL, 0);
	ctx_cancel(&root, 11);
	ctx_init(&child, &root, 0);
	cr_expect_eq(ctx_err(&child), CTX_CANCELED);
	cr_expect_eq(ctx_cause(&child), 11);
	ctx_init(&grand, &child, 0);
	cr_expect_eq(ctx_err(&grand), CTX_CANCELED);
	cr_expect_eq(ctx_cause(&grand), 11);
	ctx_release(&grand);
	ctx_release(&child);
	ctx_release(&root);
}

Test(ctx, remaining_ms_is_minus_one_without_deadline)
{
	struct ctx root, child;

	ctx_init(&root, NULL, 0);
	ctx_init(&child, &root, 0);
	cr_expect_eq(ctx_remaining_ms(&root), -1);
	cr_expect_eq(ctx_remaining_ms(&child), -1);
	ctx_release(&child);
	ctx_release(&root);
}

Test(ctx, remaining_ms_is_zero_after_the_deadline)
{
	struct ctx c;

	ctx_init(&c, NULL, ctx_now_ns() - 5 * MS);
	cr_expect_eq(ctx_remaining_ms(&c), 0);
	ctx_release(&c);
}

/* The answer must never understate what is left (a wait of that long must
 * not wake before the deadline) and must not overstate it by a whole ms.
 * With truncation instead of rounding up, the first check fails unless the
 * sub-millisecond remainder is shorter than the few ns between the call
 * and t1, so a few rounds make the test fail for that bug. */
Test(ctx, remaining_ms_rounds_up)
{
	for (int round = 0; round < 20; round++) {
		struct ctx c;
		int64_t dl = ctx_now_ns() + 100 * SEC + 123457 + round * 31337;

		ctx_init(&c, NULL, dl);
		int64_t t0 = ctx_now_ns();
		int64_t r = ctx_remaining_ms(&c);
		int64_t t1 = ctx_now_ns();

		cr_assert_geq(r * MS, dl - t1, "round %d: %lld ms understates",
			      round, (long long)r);
		cr_assert_lt((r - 1) * MS, dl - t0, "round %d: %lld ms overstates",
			     round, (long long)r);
		ctx_release(&c);
	}
}

Test(ctx, remaining_ms_of_a_sub_millisecond_wait_is_not_zero)
{
	/* Half a millisecond left rounds up to 1, unless it passed already. */
	struct ctx c;
	int64_t dl = ctx_now_ns() + MS / 2;

	ctx_init(&c, NULL, dl);
	int64_t r = ctx_remaining_ms(&c);
	int64_t after = ctx_now_ns();

	if (after < dl)
		cr_expect_eq(r, 1);
	else
		cr_expect_leq(r, 1);
	ctx_release(&c);
}

Test(ctx, watch_runs_once_on_cancel)
{
	struct ctx c;
	atomic_int calls = 0;
	struct ctx_watch w = { .fn = count_call, .arg = &calls };

	ctx_init(&c, NULL, 0);
	cr_assert_eq(ctx_watch_add(&c, &w), CTX_OK);
	cr_expect_eq(atomic_load(&calls), 0, "not run before the cancel");
	ctx_cancel(&c, 1);
	cr_expect_eq(atomic_load(&calls), 1);
	ctx_cancel(&c, 2);
	cr_expect_eq(atomic_load(&calls), 1, "a second cancel runs it again");
	ctx_watch_remove(&c, &w);
	ctx_release(&c);
}

Test(ctx, every_watch_runs_on_cancel)
{
	struct ctx c;
	atomic_int calls[3] = { 0, 0, 0 };
	struct ctx_watch w[3];

	ctx_init(&c, NULL, 0);
	for (int i = 0; i < 3; i++) {
		w[i] = (struct ctx_watch){ .fn = count_call, .arg = &calls[i] };
		cr_assert_eq(ctx_watch_add(&c, &w[i]), CTX_OK);
	}
	ctx_cancel(&c, 1);
	for (int i = 0; i < 3; i++)
		cr_expect_eq(atomic_load(&calls[i]), 1, "watch %d", i);
	for (int i = 0; i < 3; i++)
		ctx_watch_remove(&c, &w[i]);
	ctx_release(&c);
}

Test(ctx, removed_watch_does_not_run)
{
	struct ctx c;
	atomic_int gone = 0, kept_first = 0, kept_last = 0;
	struct ctx_watch w1 = { .fn = count_call, .arg = &kept_first };
	struct ctx_watch w2 = { .fn = count_call, .arg = &gone };
	struct ctx_watch w3 = { .fn = count_call, .arg = &kept_last };

	ctx_init(&c, NULL, 0);
	cr_assert_eq(ctx_watch_add(&c, &w1), CTX_OK);
	cr_assert_eq(ctx_watch_add(&c, &w2), CTX_OK);
	cr_assert_eq(ctx_watch_add(&c, &w3), CTX_OK);
	ctx_watch_remove(&c, &w2); /* from the middle of the list */
	ctx_cancel(&c, 1);
	cr_expect_eq(atomic_load(&gone), 0);
	cr_expect_eq(atomic_load(&kept_first), 1);
	cr_expect_eq(atomic_load(&kept_last), 1);
	ctx_watch_remove(&c, &w1);
	ctx_watch_remove(&c, &w3);
	ctx_release(&c);
}

Test(ctx, only_watch_removed_does_not_run)
{
	struct ctx c;
	atomic_int calls = 0;
	struct ctx_watch w = { .fn = count_call, .arg = &calls };

	ctx_init(&c, NULL, 0);
	cr_assert_eq(ctx_watch_add(&c, &w), CTX_OK);
	ctx_watch_remove(&c, &w);
	ctx_cancel(&c, 1);
	cr_expect_eq(atomic_load(&calls), 0);
	ctx_release(&c);
}

Test(ctx, watch_add_on_a_cancelled_ctx_fails_and_never_runs)
{
	struct ctx c;
	atomic_int calls = 0;
	struct ctx_watch w = { .fn = count_call, .arg = &calls };

	ctx_init(&c, NULL, 0);
	ctx_cancel(&c, 1);
	cr_expect_eq(ctx_watch_add(&c, &w), CTX_CANCELED);
	ctx_cancel(&c, 2);
	cr_expect_eq(atomic_load(&calls), 0);
	ctx_release(&c);
}

Test(ctx, watch_on_grandchild_runs_when_root_is_cancelled)
{
	struct ctx root, child, grand;
	atomic_int calls = 0;
	struct ctx_watch w = { .fn = count_call, .arg = &calls };

	ctx_init(&root, NULL, 0);
	ctx_init(&child, &root, 0);
	ctx_init(&grand, &child, 0);
	cr_assert_eq(ctx_watch_add(&grand, &w), CTX_OK);
	ctx_cancel(&root, 1);
	cr_expect_eq(atomic_load(&calls), 1);
	ctx_watch_remove(&grand, &w);
	ctx_release(&grand);
	ctx_release(&child);
	ctx_release(&root);
}

/* A condition variable on CLOCK_MONOTONIC, as ctx_cond_wait requires. */
struct waitable {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool flag;
};

static void waitable_init(struct waitable *w)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &attr);
	pthread_condattr_destroy(&attr);
	w->flag = false;
}

static void waitable_destroy(struct waitable *w)
{
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

/* Nobody signals: only the deadline can end the wait. The Criterion
 * timeout catches a wait that ignores it. */
Test(ctx, cond_wait_returns_by_the_deadline, .timeout = 30)
{
	struct waitable w;
	struct ctx c;
	int rounds = 0;

	waitable_init(&w);
	ctx_init(&c, NULL, ctx_now_ns() + 100 * MS);
	pthread_mutex_lock(&w.lock);
	while (!ctx_done(&c) && rounds++ < 1000000) /* spurious wakeups */
		ctx_cond_wait(&c, &w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	cr_expect_eq(ctx_err(&c), CTX_DEADLINE);
	ctx_release(&c);
	waitable_destroy(&w);
}

Test(ctx, cond_wait_past_deadline_returns_at_once, .timeout = 30)
{
	struct waitable w;
	struct ctx c;
	int64_t start = ctx_now_ns();

	waitable_init(&w);
	ctx_init(&c, NULL, start - SEC);
	pthread_mutex_lock(&w.lock);
	ctx_cond_wait(&c, &w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	cr_expect_lt(ctx_now_ns() - start, 5 * SEC);
	ctx_release(&c);
	waitable_destroy(&w);
}

Test(ctx, cond_wait_of_a_child_ends_by_the_parents_deadline, .timeout = 30)
{
	struct waitable w;
	struct ctx root, child;
	int rounds = 0;

	waitable_init(&w);
	ctx_init(&root, NULL, ctx_now_ns() + 100 * MS);
	ctx_init(&child, &root, 0);
	pthread_mutex_lock(&w.lock);
	while (!ctx_done(&child) && rounds++ < 1000000)
		ctx_cond_wait(&child, &w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	cr_expect_eq(ctx_err(&child), CTX_DEADLINE);
	ctx_release(&child);
	ctx_release(&root);
	waitable_destroy(&w);
}

static void *set_flag_later(void *arg)
{
	struct waitable *w = arg;

	sleep_ms(20);
	pthread_mutex_lock(&w->lock);
	w->flag = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

Test(ctx, cond_wait_without_ctx_waits_for_a_signal, .timeout = 30)
{
	struct waitable w;
	pthread_t t;

	waitable_init(&w);
	pthread_mutex_lock(&w.lock);
	cr_assert_eq(pthread_create(&t, NULL, set_flag_later, &w), 0);
	while (!w.flag)
		ctx_cond_wait(NULL, &w.cond, &w.lock);
	/* Reaching here before the suite's timeout is the test. */
	pthread_mutex_unlock(&w.lock);
	pthread_join(t, NULL);
	waitable_destroy(&w);
}

/* The pattern blocking code uses: a watch that wakes the waiter on cancel. */
static void wake_waitable(void *arg)
{
	struct waitable *w = arg;

	pthread_mutex_lock(&w->lock);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void *cancel_later(void *arg)
{
	sleep_ms(20);
	ctx_cancel(arg, 42);
	return NULL;
}

Test(ctx, watch_wakes_a_cond_wait_on_cancel_from_another_thread, .timeout = 30)
{
	struct waitable w;
	struct ctx c;
	struct ctx_watch cw = { .fn = wake_waitable, .arg = &w };
	pthread_t t;

	waitable_init(&w);
	ctx_init(&c, NULL, 0); /* no deadline: only the watch can wake us */
	cr_assert_eq(ctx_watch_add(&c, &cw), CTX_OK);
	cr_assert_eq(pthread_create(&t, NULL, cancel_later, &c), 0);
	pthread_mutex_lock(&w.lock);
	while (!ctx_done(&c))
		ctx_cond_wait(&c, &w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	ctx_watch_remove(&c, &cw);
	pthread_join(t, NULL);
	cr_expect_eq(ctx_err(&c), CTX_CANCELED);
	cr_expect_eq(ctx_cause(&c), 42);
	ctx_release(&c);
	waitable_destroy(&w);
}
