/* retry: the transient-failure rule and the backoff schedule. */
#include "retry.h"

#include <stdlib.h>

bool retry_transient(enum record_err err, int status)
{
	switch (err) {
	case RECORD_ERR_TIMEOUT:
	case RECORD_ERR_CONNECT:
	case RECORD_ERR_HTTP:
		return true;
	case RECORD_ERR_NONE:
		return status == 429 || status == 502 || status == 503 ||
		       status == 504;
	default:
		return false;
	}
}

int64_t retry_backoff_ms(const struct retry_policy *p, unsigned retry,
			 int64_t retry_after_ms, unsigned *seed)
{
	int64_t wait = retry_after_ms;

	if (wait < 0) {
		/* 2^20 times the base is past any sane cap: stop doubling. */
		unsigned shift = retry > 1 ? retry - 1 : 0;
		double jitter = 0.5 + (double)rand_r(seed) / ((double)RAND_MAX + 1);

		wait = p->base_ms << (shift < 20 ? shift : 20);
		wait = (int64_t)((double)wait * jitter);
	}
	if (p->max_delay_ms > 0 && wait > p->max_delay_ms)
		wait = p->max_delay_ms;
	return wait;
}
