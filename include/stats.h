/* stats: the running totals of a crawl and the summary object written at
 * its end. Owned and updated by the writer thread alone. */
#ifndef CRAWLER_STATS_H
#define CRAWLER_STATS_H

#include <stdint.h>

#include "record.h"

#define STATS_MAX_STATUS 1000

struct stats {
	uint64_t pages;                        /* records written */
	uint64_t bytes;                        /* body bytes, decoded */
	uint64_t errors;                       /* records with an error */
	uint64_t by_status[STATS_MAX_STATUS];  /* [0]: no response */
	uint64_t by_err[RECORD_ERR_COUNT];
};

void stats_add(struct stats *s, const struct record *r);

/* The summary as one line of JSON (no newline), malloc'd; NULL when out of
 * memory. stop says why the crawl ended ("done", "max-pages", ...);
 * not_fetched counts URLs admitted but never fetched. */
char *stats_summary(const struct stats *s, double seconds, uint64_t not_fetched,
		    const char *stop);

#endif
