/* retry: what is retried and how long the crawl waits before it. */
#include <criterion/criterion.h>

#include "retry.h"

Test(retry, timeouts_refused_connections_and_broken_replies_are_transient)
{
	cr_expect(retry_transient(RECORD_ERR_TIMEOUT, 0));
	cr_expect(retry_transient(RECORD_ERR_CONNECT, 0));
	cr_expect(retry_transient(RECORD_ERR_HTTP, 0));
}

Test(retry, statuses_that_mean_later_are_transient_and_others_not)
{
	static const int later[] = { 429, 502, 503, 504 };
	static const int final[] = { 200, 301, 400, 403, 404, 500, 501 };

	for (size_t i = 0; i < 4; i++)
		cr_expect(retry_transient(RECORD_ERR_NONE, later[i]), "%d", later[i]);
	for (size_t i = 0; i < 7; i++)
		cr_expect(!retry_transient(RECORD_ERR_NONE, final[i]), "%d", final[i]);
}

Test(retry, dns_size_robots_and_cancel_are_final)
{
	cr_expect(!retry_transient(RECORD_ERR_DNS, 0));
	cr_expect(!retry_transient(RECORD_ERR_TOO_LARGE, 200));
	cr_expect(!retry_transient(RECORD_ERR_ROBOTS, 0));
	cr_expect(!retry_transient(RECORD_ERR_CANCELED, 0));
	cr_expect(!retry_transient(RECORD_ERR_TLS, 0));
}

Test(retry, retry_after_is_used_as_given_up_to_the_cap)
{
	struct retry_policy p = { .retries = 2, .base_ms = 1000, .max_delay_ms = 30000 };
	unsigned seed = 1;

	cr_expect_eq(retry_backoff_ms(&p, 1, 1000, &seed), 1000);
	cr_expect_eq(retry_backoff_ms(&p, 1, 0, &seed), 0);
	cr_expect_eq(retry_backoff_ms(&p, 1, 120000, &seed), 30000);
}

Test(retry, backoff_doubles_with_jitter_between_half_and_one_and_a_half)
{
	struct retry_policy p = { .retries = 5, .base_ms = 1000, .max_delay_ms = 0 };
	unsigned seed = 42;

	for (unsigned r = 1; r <= 5; r++) {
		int64_t nominal = 1000LL << (r - 1);

		for (int i = 0; i < 200; i++) {
			int64_t w = retry_backoff_ms(&p, r, -1, &seed);

			cr_assert(w >= nominal / 2 && w < nominal * 3 / 2,
				  "retry %u waited %lld ms", r, (long long)w);
		}
	}
}

Test(retry, backoff_is_capped_and_does_not_overflow)
{
	struct retry_policy p = { .retries = 100, .base_ms = 1000, .max_delay_ms = 30000 };
	unsigned seed = 7;

	cr_expect_leq(retry_backoff_ms(&p, 60, -1, &seed), 30000);
	cr_expect_gt(retry_backoff_ms(&p, 60, -1, &seed), 0);
}
