/* frontier: the URLs admitted to the crawl and not yet fetched.
 *
 * One queue per host, so a slow or huge site cannot starve the others, and
 * breadth-first within a host: ordered by depth, FIFO within a depth. Hosts take
 * turns (round robin) and a host with per_host transfers in flight is passed
 * over until one finishes: the per-host cap is a property of the queue, not
 * of the fetcher. Unbounded (a bounded queue in the crawl's cycle would
 * deadlock); each entry is one allocation holding its strings.
 *
 * One mutex guards everything: parser threads push, the fetch thread pops
 * and reports completions. */
#ifndef CRAWLER_FRONTIER_H
#define CRAWLER_FRONTIER_H

#include <stddef.h>

struct frontier;
struct frontier_host;

struct frontier_entry {
	struct frontier_entry *next; /* queue link, frontier-private */
	struct frontier_host *host;  /* the host's queue */
	const char *parent;          /* points into this entry; NULL for seeds */
	unsigned depth;
	char url[];                  /* canonical URL, then parent's bytes */
};

/* per_host: most entries of one host handed out and not yet done. */
struct frontier *frontier_new(unsigned per_host);
/* Frees queued entries too; entries handed out must be done first. */
void frontier_free(struct frontier *f);

/* Queue url (canonical, copied) with its parent (copied, may be NULL).
 * Returns 0, or -1 when out of memory. */
int frontier_push(struct frontier *f, const char *url, const char *parent,
		  unsigned depth);

/* The next entry of the next host under its cap whose depth is at most
 * max_depth, or NULL if none is ready. The caller holds it until
 * frontier_done. */
struct frontier_entry *frontier_pop(struct frontier *f, unsigned max_depth);

/* The entry's fetch is over: free it and open its host's slot. */
void frontier_done(struct frontier *f, struct frontier_entry *e);

/* Entries queued (not handed out). */
size_t frontier_len(struct frontier *f);

#endif
