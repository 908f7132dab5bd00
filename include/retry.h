/* retry: which failed fetches are worth another try, and how long to wait.
 *
 * Transient: a timeout, a failed connection, a broken exchange, and the
 * statuses that mean "later" (429, 502, 503, 504). The wait is the server's
 * Retry-After when it sent one, else exponential backoff from base_ms with
 * jitter, so retries from many URLs do not arrive in step; either way no
 * more than max_delay_ms. Pure functions: the crawl applies them. */
#ifndef CRAWLER_RETRY_H
#define CRAWLER_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "record.h"

struct retry_policy {
	unsigned retries;     /* extra attempts after the first */
	int64_t base_ms;      /* wait before the first retry, before jitter */
	int64_t max_delay_ms; /* longest wait */
};

bool retry_transient(enum record_err err, int status);

/* The wait before retry number `retry` (1 for the first): Retry-After
 * (retry_after_ms >= 0) capped at max_delay_ms, or base_ms * 2^(retry-1)
 * times a jitter factor in [0.5, 1.5) drawn from *seed, capped likewise. */
int64_t retry_backoff_ms(const struct retry_policy *p, unsigned retry,
			 int64_t retry_after_ms, unsigned *seed);

#endif
