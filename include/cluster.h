/* cluster: a worker joining a crawl shared through Redis
 * (docs/DISTRIBUTED.md): the crawl's stored options and its clock.
 *
 * The first worker of crawl NAME creates it with the options that shape
 * it and its seeds (options.h, crawl_args), stored in C:{NAME}:config,
 * and the crawl's start on the wall clock, in C:{NAME}:meta; both in one
 * script, so two first workers cannot both create it. A later worker
 * given none of those joins with what is stored; one given some must give
 * the same, in the same order, or is refused. */
#ifndef CRAWLER_CLUSTER_H
#define CRAWLER_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cluster_crawl {
	char **args;          /* the crawl's options and seeds as stored;
				 owned, NULL-terminated */
	size_t nargs;
	int64_t start_ns;     /* CLOCK_REALTIME ns when it was created */
	bool created;         /* by this call */
	bool archive;         /* a collector with --warc has started */
};

enum cluster_status {
	CLUSTER_OK = 0,
	CLUSTER_BAD_NAME,     /* the URL or the name does not parse */
	CLUSTER_NO_CRAWL,     /* no such crawl, and no seeds to start it */
	CLUSTER_MISMATCH,     /* it exists with other options or seeds */
	CLUSTER_UNAVAILABLE,  /* Redis cannot be reached or refuses */
	CLUSTER_NOMEM,
};

/* Join (or, given seeds, create) crawl name in the Redis at url. args
 * (n of them: the options that shape the crawl, then "--" and the seeds;
 * n 0: join as stored) are compared with or stored as the crawl's;
 * max_time_ms and lease_ttl_ns go in its meta for the collector. The
 * reason in err when not CLUSTER_OK. */
enum cluster_status cluster_join(const char *url, const char *name,
				 char *const *args, size_t n,
				 int64_t max_time_ms, int64_t lease_ttl_ns,
				 struct cluster_crawl *out, char *err,
				 size_t errlen);

/* The monotonic clock's offset to the crawl's (ns since it started, on
 * the wall clock every machine shares). */
int64_t cluster_clock_offset(const struct cluster_crawl *c);

/* Say why the crawl stops ("max-time"), unless something said it first. */
enum cluster_status cluster_stop(const char *url, const char *name,
				 const char *why, char *err, size_t errlen);

void cluster_release(struct cluster_crawl *c);

#endif
