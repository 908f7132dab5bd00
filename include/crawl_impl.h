/* crawl_impl: the parts of a crawl shared by the files that run it, and by
 * nothing else. Each file holds one job:
 *
 *   crawl.c           the API: wires the pipeline, runs the fetch loop,
 *                     closes the stages in order, sums up
 *   crawl_admit.c     admission: found URLs through the visited set, scope
 *                     and trap rules into the frontier (and the journal)
 *   crawl_schedule.c  scheduling: robots.txt per origin, then transfers for
 *                     what the frontier hands out, under the permits
 *   crawl_results.c   results: a response becomes a record, a redirect to
 *                     follow, a retry, or a page for a content handler
 *   crawl_record.c    the record's fields: from the transfer, its headers
 *                     and, once read, its page
 *   crawl_sitemap.c   sitemaps: from robots.txt and --sitemap into the
 *                     frontier, read on a parser thread, their entries
 *                     admitted; the lastmods waiting for their records
 *
 * Threads: the fetch loop (crawl.c) calls schedule and results on its own
 * thread; parser threads run crawl_parser_main, which admits links; the
 * writer's callbacks complete URLs. Shared between them: the frontier and
 * the visited set (each with its own lock, never held together), the two
 * channels, the lastmod table (its own lock, taken alone), and atomics
 * (skipped, sitemaps). */
#ifndef CRAWLER_CRAWL_IMPL_H
#define CRAWLER_CRAWL_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crawl.h"
#include "ctx.h"
#include "fetch.h"
#include "outbox.h"

struct content_handler;
struct origin;
struct frontier_gate;
struct frontier_lease;
struct parse_result;
struct record;
struct record_strs;
struct response;

/* What a transfer's tag points to: a frontier_lease (a page) or a
 * frontier_gate (its origin's robots.txt), the crawl's heap copy. */
enum job { JOB_PAGE, JOB_ROBOTS };

/* frontier_item.flags: bits 0 and 1, the sitemap nesting in bits 2 and 3,
 * the record_via in bits 4 to 6. They are written to the --state journal
 * as they are, so a resumed run reads them back: a new bit may be added,
 * none moved. */
enum {
	ENTRY_NO_PARSE = 1,      /* a resource: record it, do not parse it */
	ENTRY_SITEMAP = 2,       /* a sitemap: read by crawl_sitemap_read */
	ENTRY_NESTING_SHIFT = 2, /* two bits: how many indexes led to it */
	ENTRY_VIA_SHIFT = 4,
	ENTRY_VIA_MASK = 7 << ENTRY_VIA_SHIFT,
};
#define ENTRY_NESTING(flags) (((flags) >> ENTRY_NESTING_SHIFT) & 3u)
/* Sitemap files in a chain, the first included: an index at the last
 * level has its sitemaps skipped (counted as sitemap_nesting). */
#define SITEMAP_MAX_NESTING 3

/* A fetched body on its way to a parser; owns rec and resp. */
struct page {
	struct record *rec;
	struct response *resp;
	const struct content_handler *handler; /* NULL for a sitemap */
	unsigned flags;               /* the entry's (ENTRY_*) */
};

/* <lastmod>s of queued sitemap URLs, until their records take them. */
struct lastmods {
	pthread_mutex_t lock;         /* guards head */
	struct lastmod *head;         /* uthash by fingerprint */
	atomic_size_t n;              /* entries in head */
};

struct crawl {
	struct crawl_config cfg;
	char **seeds;                 /* canonical */
	size_t nseeds;
	struct scope *scope;
	struct curl_slist *headers;
	struct curl_slist *resolve;   /* --resolve */
	char **auth_origins;          /* --user: the seeds' origins, sorted */
	size_t nauth_origins;

	/* Live during crawl_run only. */
	struct ctx ctx;               /* parent's child, with --max-time */
	struct frontier *frontier;
	struct visited *visited;
	struct evloop *loop;          /* the fetch thread's */
	struct fetch_pool *pool;
	struct chan *pages;           /* fetch -> parsers */
	struct chan *results;         /* fetch, parsers -> writer */
	struct outbox pages_out;      /* fetch thread: held while pages is full */
	struct outbox records_out;    /* fetch thread: held while results is */
	pthread_mutex_t halt_lock;    /* guards writer against crawl_halt */
	struct writer *writer;        /* set and cleared under halt_lock */
	pthread_t *parser_threads;
	unsigned nparsers;
	atomic_ullong skipped[CRAWL_SKIP_COUNT]; /* found, not admitted */
	atomic_ullong sitemaps;       /* sitemap files read */
	char **sitemaps_given;        /* --sitemap, canonical */
	size_t nsitemaps_given;
	struct lastmods lastmods;
	char agent[64];               /* robots.txt product token */
	unsigned seed;                /* fetch thread: retry jitter */
	uint64_t started;             /* transfers started */
};

/* Links found on one page (or its redirect target), on their way in. */
struct batch {
	const char *parent;          /* NULL for seeds: no scope or trap test */
	unsigned depth;
	char *const *links;          /* canonical URLs */
	const unsigned char *flags;  /* PARSE_LINK_* of each, or NULL */
	size_t n;
	unsigned redirects;          /* with the chain, for a redirect target */
	const uint64_t *chain;
	unsigned via;                /* enum record_via; a link flagged
					PARSE_LINK_RESOURCE is a resource */
	unsigned entry_flags;        /* ENTRY_* given to every item queued */
	char *const *lastmods;       /* each link's <lastmod> or NULL; or NULL */
};

/* crawl.c: whether exchanges are kept: for --warc, or for the collector's
 * WARC in a shared crawl. */
bool crawl_archives(const struct crawl *c);

/* crawl.c: an admitted URL is finished with (its record was written, or
 * could not even be made); the last one wakes the fetch loop. ticket:
 * its lease's (frontier_lease.ticket). */
void crawl_url_finished(struct crawl *c, unsigned depth, uint64_t ticket);

enum admit_status {
	ADMIT_OK = 0,
	ADMIT_NOMEM = 1, /* out of memory: links of the batch were lost, and
			    the crawl is stopping (failed) */
	ADMIT_UNAVAILABLE = 2, /* the visited set could not answer: likewise */
	ADMIT_FRONTIER_UNAVAILABLE = 3, /* the frontier could not: likewise */
};

/* crawl_admit.c: queue the fresh URLs of b that pass scope and trap rules;
 * and the seeds, or, resuming, what the journal had admitted. */
enum admit_status crawl_admit(struct crawl *c, const struct batch *b);
void crawl_admit_seeds(struct crawl *c);
/* The record r says that what crawl_admit failed with (rc) lost what it
 * was given ("the page's links were not all queued"). */
void crawl_admit_failed(struct record *r, enum admit_status rc, const char *lost);

/* crawl_schedule.c: start robots.txt requests and transfers while permits
 * and ready URLs last; returns when the next paced origin is ready
 * (monotonic ns), or 0. crawl_on_robots opens the origin g stood for. */
int64_t crawl_schedule(struct crawl *c);
/* The origins that get --user's credentials: the seeds'. 0 or ENOMEM. */
int crawl_auth_init(struct crawl *c);
void crawl_on_robots(struct crawl *c, struct frontier_gate *g,
		     struct response *res);
/* frontier_config.load_policy of a shared crawl: an origin's policy from
 * the robots.txt answer another worker kept (arg: the crawl). */
void *crawl_robots_load(void *arg, const char *text, size_t len);

/* crawl_results.c: the fetch pool's keep_body and done callbacks, and the
 * parser threads' loop. */
/* --warc: resp goes with r to be archived (or is freed); takes resp. */
void crawl_keep_exchange(struct crawl *c, struct record *r, struct response *resp);
enum fetch_body crawl_keep_body(void *arg, void *tag, unsigned kind,
				const struct response *resp);
void crawl_on_fetched(void *arg, void *tag, unsigned kind, struct response *resp);
void *crawl_parser_main(void *arg);

/* crawl_record.c: a record for e with its via and --headers set
 * (crawl_record_new), or filled from resp too, whose error message it
 * takes (crawl_record_of); NULL when out of memory. */
struct record *crawl_record_new(const struct crawl *c,
				const struct frontier_lease *e);
struct record *crawl_record_of(const struct crawl *c,
			       const struct frontier_lease *e,
			       struct response *resp);
/* The parsed page's fields into r, taking pr's strings; 0 or -1 when out
 * of memory. */
int crawl_record_page(struct record *r, struct parse_result *pr);
/* Append the robots directives of a comma-separated list (a <meta> content,
 * an X-Robots-Tag value) to l; 0 or -1 when out of memory. */
int crawl_robots_add(struct record_strs *l, const char *list, size_t n);
/* Whether r's robots directives say directive, or "none". */
bool crawl_robots_says(const struct record *r, const char *directive);
/* crawl_sitemap.c: the --sitemap URLs (canonical, in sitemaps_given;
 * a bad one says why in err), admitted with the seeds; the Sitemap: lines
 * of an origin's robots.txt (o, may be NULL), admitted when they come;
 * a fetched sitemap read on a parser thread (takes pg, gives its record
 * back). The lastmod table: keep a copy for url, take it (the caller's
 * then, or NULL). */
enum url_status crawl_sitemaps_init(struct crawl *c, char *err, size_t errlen);
void crawl_sitemaps_release(struct crawl *c);
void crawl_sitemaps_admit_given(struct crawl *c);
void crawl_sitemaps_of_robots(struct crawl *c, const char *origin,
			      const struct origin *o);
struct record *crawl_sitemap_read(struct crawl *c, struct page *pg);
void crawl_lastmods_init(struct crawl *c);
void crawl_lastmods_release(struct crawl *c);
void crawl_lastmod_keep(struct crawl *c, const char *url, const char *text);
char *crawl_lastmod_take(struct crawl *c, const char *url);

#endif
