/* fetch: the pool of HTTP transfers, driven by libcurl's multi interface
 * from one thread (no thread per request).
 *
 * A counting semaphore caps transfers in flight (--concurrency). Each
 * transfer carries a deadline ctx, a child of the crawl's, so its timeout
 * is the smaller of --timeout and what is left of --max-time. Redirects are
 * not followed here (except when a request asks, as robots.txt does): a 3xx
 * comes back as a result with its Location, for the crawl to queue like a
 * link. Bodies are kept only when they will be parsed
 * (2xx HTML), and never past max_size bytes after decoding (libcurl 7.88's
 * CURLOPT_MAXFILESIZE does not count decoded bytes, so the write callback
 * does).
 *
 * Only fetch_pool_wakeup may be called from another thread. */
#ifndef CRAWLER_FETCH_H
#define CRAWLER_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct ctx;
struct curl_slist;

struct fetch_config {
	unsigned concurrency;      /* transfers in flight, at most */
	unsigned per_host;         /* connections to one host, at most */
	int64_t timeout_ms;        /* whole request */
	int64_t connect_timeout_ms;
	uint64_t max_size;         /* body bytes after decoding */
	const char *user_agent;    /* borrowed */
	const struct curl_slist *headers; /* extra request headers; borrowed */
	const char *proxy;         /* proxy URL, or NULL for libcurl's default */
	bool cookies;              /* one cookie jar shared by all transfers */
	bool insecure;             /* skip TLS certificate and host checks */
	bool http11;               /* never HTTP/2 */
};

/* One URL to fetch, and how. */
struct fetch_request {
	const char *url;           /* copied by libcurl */
	void *tag;                 /* the caller's, handed back in the result */
	unsigned kind;             /* the caller's: what tag points to */
	unsigned follow;           /* redirects libcurl follows (robots.txt); 0 */
	bool keep_body;            /* keep a 2xx body of any type */
	uint64_t max_size;         /* 0: the pool's max_size */
	bool truncate;             /* over max_size: stop there, no error */
};

struct fetch_result {
	void *tag;           /* the caller's, from fetch_pool_start */
	unsigned kind;       /* likewise */
	int status;          /* HTTP status; 0 without a response */
	char *content_type;  /* malloc'd, or NULL */
	char *location;      /* raw Location header of a 3xx, or NULL */
	char *body;          /* malloc'd when kept (2xx HTML), else NULL */
	size_t body_len;
	bool html;           /* content type is HTML or XHTML */
	uint64_t bytes;      /* body bytes received, decoded */
	int64_t retry_after_ms; /* Retry-After of the reply; -1 when none */
	int64_t fetched_at_ms; /* wall clock at start */
	int64_t elapsed_ms;
	enum record_err err;
	char *err_msg;       /* malloc'd detail, or NULL */
};

/* Called for each finished transfer; takes ownership of res. */
typedef void (*fetch_done_fn)(void *arg, struct fetch_result *res);

struct fetch_pool;

/* ctx is the crawl's (borrowed; outlives the pool). NULL on failure. */
struct fetch_pool *fetch_pool_new(const struct fetch_config *cfg, struct ctx *ctx,
				  fetch_done_fn done, void *arg);
void fetch_pool_free(struct fetch_pool *p);

enum fetch_start {
	FETCH_STARTED = 0, /* done() will be called for it, exactly once */
	FETCH_FULL = 1,    /* no permit free: try again after a transfer ends */
	FETCH_FAILED = 2,  /* out of memory; done() will not be called */
};

/* Start fetching if a permit is free. */
int fetch_pool_start(struct fetch_pool *p, const struct fetch_request *req);

/* Drive transfers for at most wait_ms (or until fetch_pool_wakeup), calling
 * done() for each that finished. The caller must look at whatever a wake-up
 * stands for (new work, a cancel) after each call and before the next: one
 * wake-up covers all the changes made meanwhile. */
void fetch_pool_run(struct fetch_pool *p, int wait_ms);

/* Abort every transfer in flight; each is reported with err. */
void fetch_pool_abort_all(struct fetch_pool *p, enum record_err err);

/* Wake fetch_pool_run early. Thread-safe. */
void fetch_pool_wakeup(struct fetch_pool *p);

unsigned fetch_pool_in_flight(struct fetch_pool *p);
bool fetch_pool_full(struct fetch_pool *p);

void fetch_result_free(struct fetch_result *res);

#endif
