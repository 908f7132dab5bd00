/* sema_test: the counting semaphore of include/sema.h: try_take succeeds
 * up to the permits and then fails, give frees one permit, sema_taken
 * counts, and a blocked sema_take gives up (SEMA_DONE) when its ctx is
 * cancelled or its deadline passes, and takes a permit given back. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "ctx.h"
#include "sema.h"

#define MS 1000000LL

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * MS };

	while (nanosleep(&ts, &ts))
		;
}

Test(sema, try_take_succeeds_up_to_the_permits_then_fails)
{
	struct sema s;

	sema_init(&s, 3);
	cr_expect_eq(sema_try_take(&s), SEMA_OK);
	cr_expect_eq(sema_try_take(&s), SEMA_OK);
	cr_expect_eq(sema_try_take(&s), SEMA_OK);
	cr_expect_eq(sema_try_take(&s), SEMA_BUSY);
	cr_expect_eq(sema_try_take(&s), SEMA_BUSY);
	cr_expect_eq(sema_taken(&s), 3);
	sema_release(&s);
}

Test(sema, give_frees_exactly_one_permit)
{
	struct sema s;

	sema_init(&s, 2);
	cr_assert_eq(sema_try_take(&s), SEMA_OK);
	cr_assert_eq(sema_try_take(&s), SEMA_OK);
	sema_give(&s);
	cr_expect_eq(sema_taken(&s), 1);
	cr_expect_eq(sema_try_take(&s), SEMA_OK);
	cr_expect_eq(sema_try_take(&s), SEMA_BUSY);
	sema_release(&s);
}

Test(sema, taken_counts_takes_minus_gives)
{
	struct sema s;

	sema_init(&s, 5);
	cr_expect_eq(sema_taken(&s), 0);
	cr_assert_eq(sema_try_take(&s), SEMA_OK);
	cr_expect_eq(sema_taken(&s), 1);
	cr_assert_eq(sema_take(&s, NULL), SEMA_OK);
	cr_expect_eq(sema_taken(&s), 2);
	cr_assert_eq(sema_try_take(&s), SEMA_OK);
	cr_expect_eq(sema_taken(&s), 3);
	sema_give(&s);
	cr_expect_eq(sema_taken(&s), 2);
	sema_give(&s);
	sema_give(&s);
	cr_expect_eq(sema_taken(&s), 0);
	sema_release(&s);
}

Test(sema, take_with_a_free_permit_succeeds_at_once)
{
	struct sema s;
	struct ctx c;

	sema_init(&s, 1);
	ctx_init(&c, NULL, 0);
	cr_expect_eq(sema_take(&s, &c), SEMA_OK);
	cr_expect_eq(sema_taken(&s), 1);
	ctx_release(&c);
	sema_release(&s);
}

Test(sema, take_on_an_exhausted_sema_with_a_cancelled_ctx_is_done)
{
	struct sema s;
	struct ctx c;

	sema_init(&s, 1);
	cr_assert_eq(sema_try_take(&s), SEMA_OK);
	ctx_init(&c, NULL, 0);
	ctx_cancel(&c, 1);
	cr_expect_eq(sema_take(&s, &c), SEMA_DONE);
	cr_expect_eq(sema_taken(&s), 1, "a failed take takes nothing");
	ctx_release(&c);
	sema_release(&s);
}

struct taker {
	struct sema *s;
	struct ctx *ctx;
	atomic_int started;
	enum sema_status got;
};

static void *take_thread(void *arg)
{
	struct taker *t = arg;

	atomic_store(&t->started, 1);
	t->got = sema_take(t->s, t->ctx);
	return NULL;
}

/* Start a taker and give it time to block; one that has not blocked yet
 * must give the same answer, so the sleep only strengthens the test. */
static void start_taker(pthread_t *th, struct taker *t)
{
	cr_assert_eq(pthread_create(th, NULL, take_thread, t), 0);
	while (!atomic_load(&t->started))
		sleep_ms(1);
	sleep_ms(50);
}

Test(sema, blocked_take_gives_up_when_the_ctx_is_cancelled, .timeout = 30)
{
	struct sema s;
	struct ctx c;
	struct taker t = { .s = &s, .ctx = &c, .got = SEMA_OK };
	pthread_t th;

	sema_init(&s, 1);
	cr_assert_eq(sema_try_take(&s), SEMA_OK);
	ctx_init(&c, NULL, 0);
	start_taker(&th, &t);
	ctx_cancel(&c, 1);
	pthread_join(th, NULL);
	cr_expect_eq(t.got, SEMA_DONE);
	cr_expect_eq(sema_taken(&s), 1);
	ctx_release(&c);
	sema_release(&s);
}

Test(sema, blocked_take_gives_up_at_the_ctx_deadline, .timeout = 30)
{
	struct sema s;
	struct ctx c;

	sema_init(&s, 1);
	cr_assert_eq(sema_try_take(&s), SEMA_OK);
	ctx_init(&c, NULL, ctx_now_ns() + 100 * MS);
	cr_expect_eq(sema_take(&s, &c), SEMA_DONE);
	cr_expect_eq(ctx_err(&c), CTX_DEADLINE);
	cr_expect_eq(sema_taken(&s), 1);
	ctx_release(&c);
	sema_release(&s);
}

Test(sema, blocked_take_gets_a_permit_given_back, .timeout = 30)
{
	struct sema s;
	struct ctx c;
	struct taker t = { .s = &s, .ctx = &c, .got = SEMA_DONE };
	pthread_t th;

	sema_init(&s, 1);
	cr_assert_eq(sema_try_take(&s), SEMA_OK);
	ctx_init(&c, NULL, 0);
	start_taker(&th, &t);
	sema_give(&s);
	pthread_join(th, NULL);
	cr_expect_eq(t.got, SEMA_OK);
	cr_expect_eq(sema_taken(&s), 1, "the taker holds the permit now");
	cr_expect_eq(sema_try_take(&s), SEMA_BUSY);
	ctx_release(&c);
	sema_release(&s);
}

Test(sema, blocked_take_without_ctx_gets_a_permit_given_back, .timeout = 30)
{
	struct sema s;
	struct taker t = { .s = &s, .ctx = NULL, .got = SEMA_DONE };
	pthread_t th;

	sema_init(&s, 1);
	cr_assert_eq(sema_try_take(&s), SEMA_OK);
	start_taker(&th, &t);
	sema_give(&s);
	pthread_join(th, NULL);
	cr_expect_eq(t.got, SEMA_OK);
	cr_expect_eq(sema_taken(&s), 1);
	sema_release(&s);
}

/* Many threads taking and giving never hold more than the permits. */
struct churn {
	struct sema *s;
	atomic_int holders, max_holders;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;

	for (int i = 0; i < 2000; i++) {
		if (sema_take(c->s, NULL) != SEMA_OK)
			continue;
		int now = atomic_fetch_add(&c->holders, 1) + 1;
		int max = atomic_load(&c->max_holders);

		while (now > max &&
		       !atomic_compare_exchange_weak(&c->max_holders, &max, now))
			;
		atomic_fetch_sub(&c->holders, 1);
		sema_give(c->s);
	}
	return NULL;
}

Test(sema, concurrent_takers_never_exceed_the_permits, .timeout = 60)
{
	struct sema s;
	struct churn c = { .s = &s };
	pthread_t th[8];

	sema_init(&s, 3);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, churn_thread, &c), 0);
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	cr_expect_leq(atomic_load(&c.max_holders), 3);
	cr_expect_gt(atomic_load(&c.max_holders), 0);
	cr_expect_eq(sema_taken(&s), 0);
	sema_release(&s);
}
