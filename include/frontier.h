/* frontier: the URLs admitted to the crawl and not yet fetched, and the
 * politeness rules that decide when each may go.
 *
 * One queue per origin (scheme, host, port: the unit of robots.txt), so a
 * slow or huge site cannot starve the others; breadth-first within it
 * (ordered by depth, FIFO within a depth). Origins take turns (round robin).
 * An origin is passed over while it has per_host entries handed out, while
 * its next start time (pacing: --delay, --max-rate, Crawl-delay) is in the
 * future, and, when gated, until frontier_open (its robots.txt is known).
 * Politeness is a property of the queue, not a sleep in the fetcher.
 *
 * The frontier also says when the crawl is over: a URL queued is pending
 * until the caller completes it (its record is written, or it is dropped),
 * and the crawl is over when nothing is pending or handed out. With a max
 * depth it goes level by level: nothing deeper than the shallowest depth
 * with URLs pending is handed out.
 * Unbounded (a bounded queue in the crawl's cycle would deadlock); each
 * entry is one allocation holding its URL, and the links of one page share
 * one copy of its URL as their parent.
 *
 * One mutex guards everything: parser threads push, the fetch thread pops,
 * opens origins and reports completions. */
#ifndef CRAWLER_FRONTIER_H
#define CRAWLER_FRONTIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct frontier;
struct frontier_host;
struct frontier_parent;

/* 32 bytes before the URL: a frontier holds most of a big crawl's URLs at
 * its peak, so each byte here is a megabyte at a million. The parent and
 * the redirect chain are reached through frontier_entry_parent and
 * frontier_entry_chain. */
struct frontier_entry {
	struct frontier_entry *next; /* queue link, frontier-private */
	struct frontier_host *host;  /* the origin's queue */
	struct frontier_parent *shared; /* the page that linked here, shared
					   with its other links; NULL for seeds */
	unsigned depth;
	uint8_t redirects;           /* redirects followed to reach this URL
					(--max-redirects is at most 100) */
	uint8_t attempts;            /* fetches tried so far (--retries is at
					most 100) */
	uint16_t flags;              /* the caller's bits, kept as given */
	char url[];                  /* canonical URL, then the chain */
};

/* The URL of the page that linked to e, or NULL for a seed; lives as long
 * as e. */
const char *frontier_entry_parent(const struct frontier_entry *e);

/* The fingerprints of the e->redirects redirects that led to e, oldest
 * first, stored after its URL; NULL when there are none. */
const uint64_t *frontier_entry_chain(const struct frontier_entry *e);

/* What frontier_push copies into a new entry. */
struct frontier_item {
	const char *url;        /* canonical */
	const char *parent;     /* may be NULL */
	unsigned depth;
	unsigned redirects;
	const uint64_t *chain;  /* redirects fingerprints, or NULL */
	unsigned flags;
};

struct frontier_config {
	unsigned per_host;        /* entries of one origin out at once */
	int64_t delay_ns;         /* least time between two starts on one origin */
	uint64_t max_per_host;    /* entries ever admitted per origin; 0: no cap */
	long max_depth;           /* -1: none (0 is a depth: seeds only); else
				     deeper URLs are refused and the crawl
				     goes level by level */
	bool gated;               /* new origins wait for frontier_open */
	void (*free_policy)(void *policy); /* frees frontier_open's policy */
};

enum frontier_push_status {
	FRONTIER_QUEUED = 0,
	FRONTIER_HOST_FULL = 1, /* the origin reached max_per_host */
	FRONTIER_TOO_DEEP = 2,  /* deeper than max_depth */
	FRONTIER_NOMEM = -1,
};

struct frontier *frontier_new(const struct frontier_config *cfg);
/* Frees queued entries and policies; entries handed out must be done first. */
void frontier_free(struct frontier *f);

int frontier_push(struct frontier *f, const struct frontier_item *item);

/* The next entry of the next origin that is open, under its cap, whose
 * start time has come (now_ns, monotonic) and, with a max depth, whose
 * oldest entry is no deeper than the shallowest depth pending; NULL if
 * none. *wake_ns (if not NULL) is lowered to when a paced origin becomes
 * ready. The caller holds the entry until frontier_done or frontier_retry. */
struct frontier_entry *frontier_pop(struct frontier *f, int64_t now_ns,
				    int64_t *wake_ns);

/* The entry's fetch is over: free it and open its origin's slot. */
void frontier_done(struct frontier *f, struct frontier_entry *e);

/* Fetch it again, first in its queue, not before not_before_ns; the whole
 * origin waits until then (it asked us to slow down, or failed). */
void frontier_retry(struct frontier *f, struct frontier_entry *e,
		    int64_t not_before_ns);

/* A gated origin not yet handed out by this call, or NULL. Its gate stays
 * shut until frontier_open. */
struct frontier_host *frontier_take_gated(struct frontier *f);

/* Open a gated origin with policy (owned by the frontier from now on) and
 * at least delay_ns between starts. The request that decided the gate (its
 * robots.txt) counts as a start: the first entry waits its delay from
 * now_ns. */
void frontier_open(struct frontier *f, struct frontier_host *h, void *policy,
		   int64_t delay_ns, int64_t now_ns);

/* "scheme://host[:port]" of h; borrowed. */
const char *frontier_host_origin(const struct frontier_host *h);
/* The policy given to frontier_open, or NULL; borrowed. */
void *frontier_host_policy(const struct frontier_host *h);

/* Entries queued (not handed out). */
size_t frontier_len(struct frontier *f);

/* A URL queued at depth is finished with: its record is written, or it was
 * dropped. True when that ended the crawl's pending work or, with a max
 * depth, a level: what frontier_pop hands out may have changed, so a
 * fetch loop waiting on it wants waking. */
bool frontier_complete(struct frontier *f, unsigned depth);

/* Nothing pending and nothing handed out: the crawl is over. */
bool frontier_over(struct frontier *f);

#endif
