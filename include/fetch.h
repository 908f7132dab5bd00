/* fetch: the pool of HTTP transfers, driven by libcurl's socket interface
 * on the fetch thread's event loop (no thread per request, nothing per
 * event that grows with the transfers in flight).
 *
 * A counting semaphore caps transfers in flight (--concurrency). Each
 * transfer carries a deadline ctx, a child of the crawl's, so its timeout
 * is the smaller of --timeout and what is left of --max-time. Redirects are
 * not followed here (except when a request asks, as robots.txt does): a 3xx
 * comes back as a response with its Location, for the crawl to queue like a
 * link. The fetch layer decides nothing about content: once the headers are
 * in, the caller's keep_body says whether the body is kept, and a kept body
 * stops at its size cap (counted after decoding, which libcurl 7.88's
 * CURLOPT_MAXFILESIZE does not do) with what arrived kept.
 *
 * Memory per transfer in flight is bounded: libcurl's handle and its
 * receive buffer (FETCH_RECV_BUFFER bytes), the header block (at most
 * RESPONSE_MAX_HEADER_BYTES) and a kept body (at most its cap).
 *
 * Everything runs on the thread that calls fetch_pool_run. */
#ifndef CRAWLER_FETCH_H
#define CRAWLER_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "response.h"

struct ctx;
struct curl_slist;
struct evloop;

/* libcurl's receive buffer per transfer (CURLOPT_BUFFERSIZE): 4 KiB, not
 * the default 16, took peak RSS at -c 2048 from 81 to 59 MB for no CPU
 * that a benchmark could see (a page is a few reads either way). */
#define FETCH_RECV_BUFFER (4 * 1024)

/* What keep_body makes of a body. */
enum fetch_body {
	FETCH_BODY_DROP = 0,   /* counted as it arrives, and dropped */
	FETCH_BODY_KEEP = 1,   /* kept in the response, up to the cap */
	FETCH_BODY_REFUSE = 2, /* not downloaded: the transfer ends there, with
				  no error and response.refused set */
};

struct fetch_config {
	unsigned concurrency;      /* transfers in flight, at most */
	unsigned per_host;         /* connections to one host, at most */
	int64_t timeout_ms;        /* whole request */
	int64_t connect_timeout_ms;
	uint64_t max_size;         /* body bytes after decoding */
	const char *user_agent;    /* borrowed */
	const struct curl_slist *headers; /* extra request headers; borrowed */
	const struct curl_slist *resolve; /* CURLOPT_RESOLVE entries; borrowed */
	const char *user;          /* HTTP Basic user, sent only with requests
				      that ask (fetch_request.credentials), and
				      by libcurl on no redirect to another
				      host; NULL: none */
	const char *password;      /* its password; NULL: empty. Both borrowed */
	uint64_t limit_rate;       /* body bytes per second, per transfer; 0: any */
	const char *load_cookies;  /* with cookies: a Netscape cookie file read
				      into the jar at the start; borrowed */
	const char *proxy;         /* proxy URL, or NULL for libcurl's default */
	bool cookies;              /* one cookie jar shared by all transfers */
	bool insecure;             /* skip TLS certificate and host checks */
	/* TLS (borrowed): ca_file and ca_dir, when either is set, replace
	 * the system's CAs; client_key NULL: in client_cert's file. */
	const char *ca_file;       /* PEM bundle of CAs */
	const char *ca_dir;        /* hashed directory of CAs */
	const char *client_cert;   /* PEM client certificate, or NULL */
	const char *client_key;
	bool http11;               /* never HTTP/2 */
	/* --warc: keep the request as sent and the body as received
	 * (response.request, .raw). Either way libcurl decodes nothing: the
	 * codings asked for (gzip, deflate, br, zstd) are undone here
	 * (decode.h) for the body and the cap. */
	bool archive;
	/* Once the headers are in: what becomes of the body of the request
	 * with this tag and kind. resp has status, content_type, location and
	 * headers. */
	enum fetch_body (*keep_body)(void *arg, void *tag, unsigned kind,
				     const struct response *resp);
	/* Called for each finished transfer; takes ownership of resp. */
	void (*done)(void *arg, void *tag, unsigned kind, struct response *resp);
	void *arg;                 /* for keep_body and done */
};

/* One URL to fetch, and how. */
struct fetch_request {
	const char *url;           /* copied by libcurl */
	void *tag;                 /* the caller's, handed back in the result */
	unsigned kind;             /* the caller's: what tag points to */
	unsigned follow;           /* redirects libcurl follows (robots.txt); 0 */
	uint64_t max_size;         /* 0: the pool's max_size */
	bool truncate;             /* over max_size: keep what arrived, no error */
	bool credentials;          /* send the pool's user and password */
};

struct fetch_pool;

/* ctx is the crawl's and loop the fetch thread's (both borrowed; they
 * outlive the pool). NULL on failure. */
struct fetch_pool *fetch_pool_new(const struct fetch_config *cfg, struct ctx *ctx,
				  struct evloop *loop);
/* Abort what is in flight (each reported, canceled), then free the pool,
 * its easy handles and its multi handle; NULL is fine. */
void fetch_pool_free(struct fetch_pool *p);

enum fetch_start {
	FETCH_STARTED = 0, /* done() will be called for it, exactly once */
	FETCH_FULL = 1,    /* no permit free: try again after a transfer ends */
	FETCH_FAILED = 2,  /* out of memory; done() will not be called */
};

/* Start fetching if a permit is free. */
enum fetch_start fetch_pool_start(struct fetch_pool *p, const struct fetch_request *req);

/* Drive transfers for at most wait_ms (or until the loop is woken), calling
 * done() for each that finished. */
void fetch_pool_run(struct fetch_pool *p, int wait_ms);

/* Abort every transfer in flight; each is reported with err. */
void fetch_pool_abort_all(struct fetch_pool *p, enum record_err err);

/* Write the cookie jar to path as a Netscape cookie file (through a
 * temporary file beside it, renamed over it, so a reader never sees half a
 * file). 0 (also with no jar) or an errno. */
int fetch_pool_save_cookies(struct fetch_pool *p, const char *path);

unsigned fetch_pool_in_flight(struct fetch_pool *p);
bool fetch_pool_full(struct fetch_pool *p);

#endif
