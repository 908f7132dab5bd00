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

/* What the summary adds to the writer's totals, from the rest of the crawl. */
struct stats_end {
	double seconds;
	const char *stop;            /* why it ended: "done", "max-pages", ... */
	uint64_t not_fetched;        /* admitted but never fetched */
	uint64_t sitemaps;           /* Sitemap: lines seen in robots.txt files */
	const uint64_t *skipped;     /* URLs not admitted, by reason */
	const char *const *skip_names;
	size_t nskip;
};

/* The summary as one line of JSON (no newline), malloc'd; NULL when out of
 * memory. */
char *stats_summary(const struct stats *s, const struct stats_end *end);

/* The same summary as a few lines for a person at a terminal, each ending
 * in a newline; malloc'd, NULL when out of memory. */
char *stats_report(const struct stats *s, const struct stats_end *end);

/* What the crawl is doing now, in one line of at most n - 1 bytes (no
 * newline): elapsed time, pages and their rate, bytes, the frontier's
 * queued and in-flight counts, 4xx, 5xx and errors. */
void stats_progress(const struct stats *s, double seconds, size_t queued,
		    size_t in_flight, char *buf, size_t n);

/* bytes as "512 B", "4.0 KiB", "12.3 MiB", "1.2 GiB" into buf. */
void stats_bytes(uint64_t bytes, char *buf, size_t n);

#endif
