/* fetch: HTTP transfers on one libcurl multi handle, driven through
 * libcurl's socket interface from the fetch thread's event loop (see
 * fetch.h).
 *
 * libcurl tells on_socket which sockets to watch for what, and on_timer
 * when it next wants to run its timers; evloop reports a ready socket to
 * on_ready, which hands that one socket to curl_multi_socket_action. So a
 * round of the loop costs what is ready, not what is in flight (the old
 * curl_multi_perform walked every transfer on every wake-up).
 *
 * The transfers are spread over several multi handles (shards) by origin:
 * libcurl 7.88's curl_multi_remove_handle walks every connection of its
 * multi handle, which at -c 2048 was 6% of the CPU; with a shard per 128
 * transfers (at most 32 shards) the walk is short, and an origin's
 * connections (and its per-host cap) still live in one of them.
 *
 * A transfer owns its easy handle, its deadline ctx and its response until
 * it finishes; then the response goes to the caller's done() and the easy
 * handle to a free list for the next URL. A socket's struct sock is freed
 * only after the round in which libcurl dropped it: evloop may still hold
 * an event for it. */
#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <xxhash.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "ctx.h"
#include "decode.h"
#include "digest.h"
#include "evloop.h"
#include "sema.h"

struct shard;

struct transfer {
	struct transfer *next, *prev; /* the pool's list in flight */
	CURL *easy;
	struct shard *shard;          /* whose multi handle it is on */
	struct ctx ctx;               /* deadline of this request */
	struct fetch_pool *pool;
	void *tag;
	unsigned kind;
	struct response *resp;        /* allocated up front: finishing never fails */
	size_t body_cap, headers_cap; /* allocated for resp's body, headers */
	uint64_t max_size;            /* this request's cap */
	bool judged;                  /* the headers are in resp, and
					 keep_body was asked */
	curl_off_t announced;         /* Content-Length, or -1 */
	bool keep, too_large, truncate;
	bool refused;                 /* keep_body refused the body */
	struct decoder *dec;          /* undoing the Content-Encoding, or NULL */
	enum decode_status coding;    /* DECODE_CORRUPT or _TRUNCATED: the body
					 is not its Content-Encoding */
	uint64_t taken;               /* body bytes as received, taken */
	struct digest payload;        /* of those bytes (the WARC payload) */
	/* With cfg.archive: */
	size_t raw_cap, request_cap;  /* allocated for resp's raw, request */
	bool next_request;            /* a response came: a request after it
					 is a new one (a redirect followed) */
	int64_t started_ns;           /* monotonic */
	char errbuf[CURL_ERROR_SIZE];
};

/* A socket libcurl asked us to watch. */
struct sock {
	struct evloop_io io;          /* arg: its shard */
	struct sock *next_dead;       /* on the pool's list once dropped */
};

/* One multi handle and its timer. */
struct shard {
	struct fetch_pool *pool;
	CURLM *multi;
	bool timer_set;               /* libcurl wants its timers run at */
	int64_t timer_ns;             /* this monotonic instant */
};

#define TRANSFERS_PER_SHARD 128
/* A round of the loop looks at each shard's timer and messages: a
 * constant, whatever the transfers in flight. */
#define MAX_SHARDS 32

struct fetch_pool {
	struct fetch_config cfg;
	struct ctx *ctx;              /* the crawl's; borrowed */
	struct evloop *loop;          /* the fetch thread's; borrowed */
	struct shard *shards;
	unsigned nshards;
	CURLSH *share;                /* the cookie jar, with --cookies */
	struct sema slots;            /* caps transfers in flight */
	struct transfer *active;      /* in flight */
	CURL **idle;                  /* easy handles to reuse */
	size_t nidle;
	struct sock *dead;            /* dropped this round, freed after it */
};

static int64_t wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void on_ready(struct evloop_io *io, unsigned events)
{
	struct shard *sh = io->arg;
	int bits = (events & EVLOOP_IN ? CURL_CSELECT_IN : 0) |
		   (events & EVLOOP_OUT ? CURL_CSELECT_OUT : 0) |
		   (events & EVLOOP_ERR ? CURL_CSELECT_ERR : 0);
	int running;

	curl_multi_socket_action(sh->multi, io->fd, bits, &running);
}

/* CURLMOPT_SOCKETFUNCTION: watch s for what libcurl wants. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp,
		     void *socketp)
{
	struct shard *sh = userp;
	struct fetch_pool *p = sh->pool;
	struct sock *k = socketp;
	unsigned events = (what & CURL_POLL_IN ? EVLOOP_IN : 0u) |
			  (what & CURL_POLL_OUT ? EVLOOP_OUT : 0u);

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (k) {
			evloop_watch(p->loop, &k->io, 0);
			k->next_dead = p->dead;
			p->dead = k;
		}
		return 0;
	}
	if (!k) {
		/* Returning -1 would kill the whole multi handle: a socket we
		 * cannot watch times its transfer out instead. */
		k = calloc(1, sizeof(*k));
		if (!k)
			return 0;
		k->io = (struct evloop_io){ .fd = s, .fn = on_ready, .arg = sh };
		curl_multi_assign(sh->multi, s, k);
	}
	evloop_watch(p->loop, &k->io, events);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: libcurl's timers are run from fetch_pool_run,
 * never from inside this callback. */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct shard *sh = userp;

	(void)multi;
	sh->timer_set = timeout_ms >= 0;
	sh->timer_ns = ctx_now_ns() + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000;
	return 0;
}

static void socks_free(struct sock *k)
{
	while (k) {
		struct sock *next = k->next_dead;

		free(k);
		k = next;
	}
}

/* Free what p holds, with no transfer in flight. */
static void pool_destroy(struct fetch_pool *p)
{
	for (size_t i = 0; i < p->nidle; i++)
		curl_easy_cleanup(p->idle[i]);
	for (unsigned i = 0; p->shards && i < p->nshards; i++)
		curl_multi_cleanup(p->shards[i].multi);
	socks_free(p->dead);
	curl_share_cleanup(p->share);
	sema_release(&p->slots);
	free(p->shards);
	free(p->idle);
	free(p);
}

static enum fetch_start shard_init(struct shard *sh, struct fetch_pool *p)
{
	const struct fetch_config *cfg = &p->cfg;

	sh->pool = p;
	sh->multi = curl_multi_init();
	if (!sh->multi)
		return FETCH_FAILED;
	curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(sh->multi, CURLMOPT_SOCKETDATA, sh);
	curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(sh->multi, CURLMOPT_TIMERDATA, sh);
	curl_multi_setopt(sh->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)cfg->per_host);
	/* The semaphore caps transfers, so no total cap on connections: with
	 * one, libcurl 7.88 walks every connection for the oldest idle one
	 * each time a transfer starts at the cap (9% of the CPU at -c 2048).
	 * Idle connections are kept up to twice the transfers. */
	curl_multi_setopt(sh->multi, CURLMOPT_MAXCONNECTS,
			  (long)(cfg->concurrency * 2 / p->nshards + 1));
	curl_multi_setopt(sh->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	return FETCH_STARTED;
}

/* Read a Netscape cookie file into the jar, once: a handle of its own
 * asks libcurl to load it now ("RELOAD"). Set on every transfer, libcurl
 * would read the file again at each start (handles are not reused with
 * cookies). 0 or ENOMEM. */
static int cookies_load(CURLSH *share, const char *path)
{
	CURL *e = share ? curl_easy_init() : NULL;

	if (!e)
		return ENOMEM;
	curl_easy_setopt(e, CURLOPT_SHARE, share);
	curl_easy_setopt(e, CURLOPT_COOKIEFILE, path);
	curl_easy_setopt(e, CURLOPT_COOKIELIST, "RELOAD");
	curl_easy_cleanup(e);
	return 0;
}

struct fetch_pool *fetch_pool_new(const struct fetch_config *cfg, struct ctx *ctx,
				  struct evloop *loop)
{
	struct fetch_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->cfg = *cfg;
	p->ctx = ctx;
	p->loop = loop;
	p->nshards = (cfg->concurrency + TRANSFERS_PER_SHARD - 1) / TRANSFERS_PER_SHARD;
	if (p->nshards > MAX_SHARDS)
		p->nshards = MAX_SHARDS;
	p->shards = calloc(p->nshards, sizeof(*p->shards));
	p->idle = calloc(cfg->concurrency, sizeof(*p->idle));
	sema_init(&p->slots, cfg->concurrency);
	if (!p->shards || !p->idle) {
		pool_destroy(p);
		return NULL;
	}
	for (unsigned i = 0; i < p->nshards; i++)
		if (shard_init(&p->shards[i], p) != FETCH_STARTED) {
			pool_destroy(p);
			return NULL;
		}
	if (cfg->cookies) {
		/* All transfers run on this thread, so the share needs no
		 * lock callbacks. */
		p->share = curl_share_init();
		curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
	}
	if (cfg->cookies && cfg->load_cookies &&
	    cookies_load(p->share, cfg->load_cookies)) {
		pool_destroy(p);
		return NULL;
	}
	return p;
}

void fetch_pool_free(struct fetch_pool *p)
{
	if (!p)
		return;
	fetch_pool_abort_all(p, RECORD_ERR_CANCELED);
	pool_destroy(p);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* What the headers say, once they are all in: the caller's keep_body
 * reads it. */
static void fill_head(struct transfer *t)
{
	struct response *r = t->resp;
	long status = 0;
	char *ct = NULL;
	struct curl_header *loc = NULL;

	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ct);
	r->status = (int)status;
	r->content_type = dup_or_null(ct);
	if (status >= 300 && status < 400 &&
	    curl_easy_header(t->easy, "Location", 0, CURLH_HEADER, -1, &loc) ==
		    CURLHE_OK)
		r->location = strdup(loc->value);
}

/* Room for n more body bytes; the first time, as much as Content-Length
 * announces (within the cap), so a page is one allocation. */
static bool body_reserve(struct transfer *t, size_t n)
{
	struct response *r = t->resp;
	size_t cap = t->body_cap;
	char *body;

	if (r->body_len + n <= cap)
		return true;
	if (!cap)
		cap = t->announced > 0 && (uint64_t)t->announced <= t->max_size ?
			      (size_t)t->announced : 16384;
	while (cap < r->body_len + n)
		cap *= 2;
	if (cap > t->max_size)
		cap = (size_t)t->max_size;
	body = realloc(r->body, cap);
	if (!body)
		return false;
	r->body = body;
	t->body_cap = cap;
	return true;
}

static bool body_append(struct transfer *t, const char *p, size_t n)
{
	if (!body_reserve(t, n))
		return false;
	memcpy(t->resp->body + t->resp->body_len, p, n);
	t->resp->body_len += n;
	return true;
}

/* The response's Content-Encoding, or NULL. Several header lines of it
 * are taken as none: the body is passed on as it came. */
static const char *content_encoding(struct transfer *t)
{
	struct curl_header *h = NULL;

	if (curl_easy_header(t->easy, "Content-Encoding", 0, CURLH_HEADER, -1, &h) !=
		    CURLHE_OK ||
	    h->amount != 1)
		return NULL;
	return h->value;
}

static bool take_decoded(struct transfer *t, const char *p, size_t len);

static bool on_decoded(void *arg, const char *p, size_t n)
{
	return take_decoded(arg, p, n);
}

/* A decoder for the codings we undo; any other is passed on as it came.
 * false: no memory. */
static bool decoder_setup(struct transfer *t)
{
	enum decode_status st;

	t->dec = decode_new(content_encoding(t), on_decoded, t, &st);
	return st == DECODE_OK;
}

/* The first body bytes: the caller says whether to keep them, or to stop
 * the transfer here. A body whose Content-Length is over the cap is too
 * large before it comes: one not kept is refused at once, one kept is read
 * up to the cap. */
static bool decide(struct transfer *t)
{
	struct fetch_pool *p = t->pool;
	enum fetch_body body;

	t->judged = true;
	fill_head(t);
	body = p->cfg.keep_body(p->cfg.arg, t->tag, t->kind, t->resp);
	t->keep = body == FETCH_BODY_KEEP;
	t->refused = body == FETCH_BODY_REFUSE;
	if (t->refused || !decoder_setup(t))
		return false;
	t->announced = -1;
	curl_easy_getinfo(t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &t->announced);
	if (t->announced >= 0 && (uint64_t)t->announced > t->max_size) {
		t->too_large = true;
		t->resp->truncated = t->keep;
	}
	return t->keep || !t->too_large;
}

/* Decoded bytes: the cap is enforced on those. false when the transfer
 * must stop (over the cap, or no memory). A kept body keeps what arrived
 * up to the cap. */
static bool take_decoded(struct transfer *t, const char *p, size_t len)
{
	struct response *r = t->resp;

	if (r->bytes + len > t->max_size) {
		if (t->keep && r->bytes < t->max_size)
			body_append(t, p, (size_t)(t->max_size - r->bytes));
		r->bytes = t->max_size;
		r->truncated = t->keep;
		t->too_large = true;
		return false;
	}
	r->bytes += len;
	return !t->keep || body_append(t, p, len);
}

/* Room for n more raw bytes, growing by doubling up to the cap. */
static bool raw_append(struct transfer *t, const char *p, size_t n)
{
	struct response *r = t->resp;

	if (r->raw_len + n > t->raw_cap) {
		size_t cap = t->raw_cap ? t->raw_cap : 16384;
		char *raw;

		while (cap < r->raw_len + n)
			cap *= 2;
		if (!(raw = realloc(r->raw, cap)))
			return false;
		r->raw = raw;
		t->raw_cap = cap;
	}
	memcpy(r->raw + r->raw_len, p, n);
	r->raw_len += n;
	return true;
}

/* Bytes as received: hashed for the payload digest, then decoded for the
 * body and the count. false when the transfer must stop. */
static bool take_raw(struct transfer *t, const char *p, size_t len)
{
	enum decode_status st;

	t->taken += len;
	digest_update(&t->payload, p, len);
	if (!t->dec)
		return take_decoded(t, p, len);
	st = decode_feed(t->dec, p, len);
	if (st == DECODE_CORRUPT)
		t->coding = st;
	return st == DECODE_OK;
}

/* libcurl hands over the body as received: its own decoding is off, so
 * the cap counts what decode.c makes of it. With cfg.archive the raw
 * bytes are kept too, up to the cap (--max-size caps the decoded body; a
 * raw body past it is past it decoded too, but for codings that grow
 * it). A short return aborts the transfer with CURLE_WRITE_ERROR. */
static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	struct response *r = t->resp;
	size_t len = size * n, room = len;

	if (!t->judged && !decide(t))
		return 0;
	if (t->pool->cfg.archive) {
		room = r->raw_len < t->max_size ? (size_t)(t->max_size - r->raw_len) : 0;
		if (room > len)
			room = len;
		if (!raw_append(t, p, room))
			return 0;
	}
	if (!take_raw(t, p, room)) {
		r->raw_cut = t->pool->cfg.archive;
		return 0;
	}
	if (room < len) {
		r->raw_cut = true;
		r->truncated = t->keep;
		t->too_large = true;
		return 0;
	}
	return len;
}

/* cfg.archive: the request headers as libcurl sent them. */
static int on_debug(CURL *e, curl_infotype type, char *p, size_t n, void *arg)
{
	struct transfer *t = arg;
	struct response *r = t->resp;

	(void)e;
	if (type != CURLINFO_HEADER_OUT)
		return 0;
	if (t->next_request) {
		r->request_len = 0;
		t->next_request = false;
	}
	if (r->request_len + n + 1 > RESPONSE_MAX_HEADER_BYTES)
		return 0;
	if (r->request_len + n + 1 > t->request_cap) {
		size_t cap = t->request_cap ? t->request_cap : 512;
		char *q;

		while (cap < r->request_len + n + 1)
			cap *= 2;
		if (!(q = realloc(r->request, cap)))
			return 0;
		r->request = q;
		t->request_cap = cap;
	}
	memcpy(r->request + r->request_len, p, n);
	r->request_len += n;
	r->request[r->request_len] = '\0';
	return 0;
}

/* Each header line of each response (a followed redirect, a 100 Continue)
 * as received: a status line starts the block again, so the final
 * response's is what stays. */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	struct response *r = t->resp;
	size_t len = size * n;
	char *h;

	if (len >= 5 && !memcmp(p, "HTTP/", 5)) {
		r->headers_len = 0;
		t->next_request = true;
	}
	if (r->headers_len + len + 1 > RESPONSE_MAX_HEADER_BYTES)
		return len;
	if (r->headers_len + len + 1 > t->headers_cap) {
		size_t cap = t->headers_cap ? t->headers_cap : 1024;

		while (cap < r->headers_len + len + 1)
			cap *= 2;
		if (!(h = realloc(r->headers, cap)))
			return len;
		r->headers = h;
		t->headers_cap = cap;
	}
	memcpy(r->headers + r->headers_len, p, len);
	r->headers_len += len;
	r->headers[r->headers_len] = '\0';
	return len;
}

static CURL *easy_get(struct fetch_pool *p)
{
	if (p->nidle) {
		CURL *e = p->idle[--p->nidle];

		curl_easy_reset(e);
		return e;
	}
	return curl_easy_init();
}

/* With cookies, handles are not reused: libcurl 7.88 leaks the list that
 * CURLOPT_COOKIEFILE "" makes when a handle is reset before it used it. */
static void easy_put(struct fetch_pool *p, CURL *e)
{
	if (!p->share && p->nidle < p->cfg.concurrency)
		p->idle[p->nidle++] = e;
	else
		curl_easy_cleanup(e);
}

enum { DEADLINE_GRACE_MS = 250 };

/* Whether --max-time ends this request before its own --timeout does. */
static bool crawl_deadline_binds(const struct transfer *t)
{
	int64_t crawl = ctx_deadline_ns(t->pool->ctx);

	return crawl && crawl <= t->started_ns + t->pool->cfg.timeout_ms * 1000000;
}

/* What the user asked of requests: --resolve, --limit-rate (libcurl's
 * limit is per transfer), and credentials where the request may carry
 * them. Basic only, sent at once: with Digest as well libcurl would first
 * ask without credentials and wait for the 401 to choose, a round trip
 * more for every URL. CURLOPT_UNRESTRICTED_AUTH stays off, so libcurl
 * drops them on a redirect it follows (robots.txt) to another host or
 * port; the redirects the crawl follows itself are requests of their own,
 * judged by their origin. curl_easy_reset clears all of it for the next
 * transfer on the handle. */
static void easy_setup_user(CURL *e, const struct fetch_config *cfg,
			    const struct fetch_request *req)
{
	if (cfg->resolve)
		curl_easy_setopt(e, CURLOPT_RESOLVE, cfg->resolve);
	if (cfg->limit_rate)
		curl_easy_setopt(e, CURLOPT_MAX_RECV_SPEED_LARGE,
				 (curl_off_t)cfg->limit_rate);
	if (req->credentials && cfg->user) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, cfg->user);
		curl_easy_setopt(e, CURLOPT_PASSWORD,
				 cfg->password ? cfg->password : "");
	}
}

static void easy_setup(struct transfer *t, const struct fetch_request *req)
{
	const struct fetch_config *cfg = &t->pool->cfg;
	CURL *e = t->easy;
	int64_t left = ctx_remaining_ms(&t->ctx);

	/* When the crawl's deadline, not --timeout, bounds this request, the
	 * fetch loop ends it as canceled at that deadline. libcurl's timer
	 * only backs that up: set to the same instant it could fire first and
	 * turn a stop into a timeout. */
	if (crawl_deadline_binds(t))
		left += DEADLINE_GRACE_MS;

	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	/* Every coding decode.c undoes, and libcurl decodes none: so the cap
	 * counts decoded bytes as they come, and the digest and the archive
	 * get the body as received, on both paths alike. */
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip, deflate, br, zstd");
	curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)FETCH_RECV_BUFFER);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, req->follow ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)req->follow);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	if (cfg->archive) {
		curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(e, CURLOPT_DEBUGDATA, t);
		curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
	}
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, cfg->http11 ?
			 (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_2TLS);
	if (cfg->proxy)
		curl_easy_setopt(e, CURLOPT_PROXY, cfg->proxy);
	if (cfg->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (cfg->ca_file || cfg->ca_dir) {
		/* Both, even when one is NULL: libcurl has a built-in
		 * default for each (Debian's the bundle and /etc/ssl/certs),
		 * and setting one alone would still trust the system's CAs
		 * through the other. */
		curl_easy_setopt(e, CURLOPT_CAINFO, cfg->ca_file);
		curl_easy_setopt(e, CURLOPT_CAPATH, cfg->ca_dir);
	}
	if (cfg->client_cert) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, cfg->client_cert);
		curl_easy_setopt(e, CURLOPT_SSLKEY, cfg->client_key);
	}
	if (t->pool->share) {
		curl_easy_setopt(e, CURLOPT_SHARE, t->pool->share);
		curl_easy_setopt(e, CURLOPT_COOKIEFILE, "");
	}
	/* Waiting for a connection to multiplex on pays only where HTTP/2
	 * can be negotiated; on plain http libcurl 7.88 would queue every
	 * request to a closing HTTP/1 server behind the slowest one. */
	curl_easy_setopt(e, CURLOPT_PIPEWAIT,
			 !cfg->http11 && !strncasecmp(req->url, "https://", 8) ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, cfg->user_agent);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, cfg->headers);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->connect_timeout_ms);
	/* The transfer's ctx already is the smaller of --timeout and what is
	 * left of --max-time; 0 would mean "no timeout" to libcurl. */
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(left > 0 ? left : 1));
	easy_setup_user(e, cfg, req);
}

/* Whether libcurl's message for a failed read or write says the peer sent
 * a TLS alert. In TLS 1.3 the server judges a client certificate after the
 * client has finished its handshake, so a missing or refused one comes as
 * an alert on the first read; libcurl 7.88 has no code for that, and its
 * message (OpenSSL's "tlsv13 alert certificate required", GnuTLS's "A TLS
 * fatal alert has been received") is the only sign. */
static bool tls_alert(const char *msg)
{
	return strstr(msg, " alert ") != NULL;
}

static enum record_err err_kind(CURLcode code, bool too_large, const char *msg)
{
	switch (code) {
	case CURLE_OK:
		return RECORD_ERR_NONE;
	case CURLE_OPERATION_TIMEDOUT:
		return RECORD_ERR_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return RECORD_ERR_DNS;
	case CURLE_COULDNT_CONNECT:
		return RECORD_ERR_CONNECT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
		return RECORD_ERR_TLS;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		return tls_alert(msg) ? RECORD_ERR_TLS : RECORD_ERR_HTTP;
	case CURLE_FILESIZE_EXCEEDED:
		return RECORD_ERR_TOO_LARGE;
	case CURLE_WRITE_ERROR:
		/* Our write callback refused: over the cap, or no memory. */
		return too_large ? RECORD_ERR_TOO_LARGE : RECORD_ERR_INTERNAL;
	case CURLE_OUT_OF_MEMORY:
		return RECORD_ERR_INTERNAL;
	case CURLE_TOO_MANY_REDIRECTS:
		return RECORD_ERR_TOO_MANY_REDIRECTS;
	default:
		return RECORD_ERR_HTTP;
	}
}

static bool request_sent(struct transfer *t)
{
	long sent = 0;

	curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &sent);
	return sent > 0;
}

static void fill_err(struct transfer *t, CURLcode code)
{
	struct response *r = t->resp;

	if (t->coding != DECODE_OK) {
		const char *coding = content_encoding(t);

		r->err = RECORD_ERR_HTTP;
		if (asprintf(&r->err_msg, t->coding == DECODE_CORRUPT ?
				     "the body is not the %.100s its Content-Encoding says" :
				     "the body ends inside its %.100s stream",
			     coding ? coding : "coding") < 0)
			r->err_msg = NULL;
		return;
	}
	r->err = err_kind(code, t->too_large, t->errbuf);
	/* Announced over the cap, and cut short (by us or by the server): the
	 * size is what went wrong. */
	if (t->too_large && code != CURLE_OK && r->err != RECORD_ERR_TIMEOUT)
		r->err = RECORD_ERR_TOO_LARGE;
	if (r->err == RECORD_ERR_NONE)
		return;
	if (code == CURLE_OUT_OF_MEMORY && request_sent(t)) {
		/* libcurl 7.88 says "out of memory" for a response header line
		 * over its 100 KiB limit: the server's fault, not ours. */
		r->err = RECORD_ERR_HTTP;
		r->err_msg = strdup("response header line over 100 KiB");
		return;
	}
	/* A request cut short by the crawl's deadline, not its own, was
	 * cancelled by --max-time. */
	if (r->err == RECORD_ERR_TIMEOUT && ctx_done(t->pool->ctx)) {
		r->err = RECORD_ERR_CANCELED;
		return;
	}
	if (r->err == RECORD_ERR_TOO_LARGE && t->truncate) {
		r->err = RECORD_ERR_NONE;
		return;
	}
	if (r->err == RECORD_ERR_TOO_LARGE)
		return;
	r->err_msg = strdup(t->errbuf[0] ? t->errbuf : curl_easy_strerror(code));
}

static int64_t info_us(CURL *e, CURLINFO what)
{
	curl_off_t us = 0;

	curl_easy_getinfo(e, what, &us);
	return (int64_t)us;
}

static int http_version(CURL *e)
{
	long v = 0;

	curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &v);
	switch (v) {
	case CURL_HTTP_VERSION_1_0:
		return 10;
	case CURL_HTTP_VERSION_1_1:
		return 11;
	case CURL_HTTP_VERSION_2_0:
		return 20;
	case CURL_HTTP_VERSION_3:
		return 30;
	default:
		return 0;
	}
}

/* A transfer that came to its end with a body must have ended its
 * coding's stream too; then the decoder goes. */
static void decoder_end(struct transfer *t, CURLcode code)
{
	if (t->dec && code == CURLE_OK && t->taken &&
	    decode_finish(t->dec) == DECODE_TRUNCATED)
		t->coding = DECODE_TRUNCATED;
	decode_free(t->dec);
	t->dec = NULL;
	if (t->judged && !t->refused)
		digest_final(&t->payload, t->resp->digest);
}

/* What the whole transfer says, once it is over. */
static void fill_tail(struct transfer *t, CURLcode code, enum record_err forced)
{
	struct response *r = t->resp;
	curl_off_t retry = 0, wire = 0;
	char *ip = NULL;

	/* No body came (or none at all): the headers still say what it was,
	 * and whether it was announced over the cap. */
	if (!t->judged)
		decide(t);
	r->timings = (struct response_timings){
		.dns_us = info_us(t->easy, CURLINFO_NAMELOOKUP_TIME_T),
		.connect_us = info_us(t->easy, CURLINFO_CONNECT_TIME_T),
		.tls_us = info_us(t->easy, CURLINFO_APPCONNECT_TIME_T),
		.ttfb_us = info_us(t->easy, CURLINFO_STARTTRANSFER_TIME_T),
		.total_us = (ctx_now_ns() - t->started_ns) / 1000,
	};
	if (r->status)
		r->http_version = http_version(t->easy);
	decoder_end(t, code);
	if (t->pool->cfg.archive &&
	    curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &ip) == CURLE_OK && ip)
		r->final_url = strdup(ip);
	ip = NULL;
	if (curl_easy_getinfo(t->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
		snprintf(r->ip, sizeof(r->ip), "%s", ip);
	curl_easy_getinfo(t->easy, CURLINFO_SIZE_DOWNLOAD_T, &wire);
	r->wire_bytes = (uint64_t)wire;
	r->retry_after_ms = -1;
	if (curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &retry) == CURLE_OK &&
	    retry > 0)
		r->retry_after_ms = (int64_t)retry * 1000;
	if (forced != RECORD_ERR_NONE)
		r->err = forced;
	else if (t->refused && (code == CURLE_OK || code == CURLE_WRITE_ERROR))
		r->refused = true; /* stopped by us: no error of the transfer */
	else
		fill_err(t, code);
	/* A body cut at its cap still holds the links of what arrived; one
	 * cut by anything else is no page. */
	if (r->err != RECORD_ERR_NONE && !(r->err == RECORD_ERR_TOO_LARGE && r->truncated)) {
		free(r->body);
		r->body = NULL;
		r->body_len = 0;
	}
}

/* Report t with code and hand its easy handle back. */
static void finish(struct fetch_pool *p, struct transfer *t, CURLcode code,
		   enum record_err forced)
{
	struct response *r = t->resp;
	void *tag = t->tag;
	unsigned kind = t->kind;

	if (t->next)
		t->next->prev = t->prev;
	if (t->prev)
		t->prev->next = t->next;
	else
		p->active = t->next;
	fill_tail(t, code, forced);
	curl_multi_remove_handle(t->shard->multi, t->easy);
	easy_put(p, t->easy);
	ctx_release(&t->ctx);
	free(t);
	sema_give(&p->slots);
	p->cfg.done(p->cfg.arg, tag, kind, r);
}

/* The shard of url's origin ("scheme://host:port", up to the path). */
static struct shard *shard_of(struct fetch_pool *p, const char *url)
{
	const char *host = strstr(url, "://");
	size_t n = host ? (size_t)(host - url) + 3 + strcspn(host + 3, "/?#") : strlen(url);

	return &p->shards[XXH3_64bits(url, n) % p->nshards];
}

enum fetch_start fetch_pool_start(struct fetch_pool *p, const struct fetch_request *req)
{
	struct transfer *t;

	if (sema_try_take(&p->slots) != SEMA_OK)
		return FETCH_FULL;
	t = calloc(1, sizeof(*t));
	if (!t || !(t->resp = calloc(1, sizeof(*t->resp))) ||
	    !(t->easy = easy_get(p))) {
		if (t)
			free(t->resp);
		free(t);
		sema_give(&p->slots);
		return FETCH_FAILED;
	}
	t->pool = p;
	t->tag = req->tag;
	t->kind = req->kind;
	t->max_size = req->max_size ? req->max_size : p->cfg.max_size;
	t->truncate = req->truncate;
	digest_init(&t->payload);
	t->resp->fetched_at_ms = wall_ms();
	t->started_ns = ctx_now_ns();
	ctx_init(&t->ctx, p->ctx, t->started_ns + p->cfg.timeout_ms * 1000000);
	easy_setup(t, req);
	t->next = p->active;
	if (p->active)
		p->active->prev = t;
	p->active = t;
	t->shard = shard_of(p, req->url);
	if (curl_multi_add_handle(t->shard->multi, t->easy) != CURLM_OK)
		finish(p, t, CURLE_FAILED_INIT, RECORD_ERR_INTERNAL);
	return FETCH_STARTED;
}

/* Report the shard's finished transfers. */
static void collect(struct shard *sh)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(sh->multi, &left))) {
		struct transfer *t = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		finish(sh->pool, t, msg->data.result, RECORD_ERR_NONE);
	}
}

/* How long the loop may sleep before a shard's next timer, within limit. */
static int timer_wait_ms(const struct fetch_pool *p, int limit_ms)
{
	int64_t now = ctx_now_ns(), ms = limit_ms;

	for (unsigned i = 0; i < p->nshards; i++) {
		const struct shard *sh = &p->shards[i];
		int64_t until;

		if (!sh->timer_set)
			continue;
		until = (sh->timer_ns - now + 999999) / 1000000;
		if (until < ms)
			ms = until > 0 ? until : 0;
	}
	return (int)ms;
}

void fetch_pool_run(struct fetch_pool *p, int wait_ms)
{
	int64_t now;
	int running;

	evloop_wait(p->loop, timer_wait_ms(p, wait_ms));
	now = ctx_now_ns();
	for (unsigned i = 0; i < p->nshards; i++) {
		struct shard *sh = &p->shards[i];

		if (sh->timer_set && now >= sh->timer_ns) {
			sh->timer_set = false;
			curl_multi_socket_action(sh->multi, CURL_SOCKET_TIMEOUT, 0,
						 &running);
		}
		collect(sh);
	}
	socks_free(p->dead);
	p->dead = NULL;
}

void fetch_pool_abort_all(struct fetch_pool *p, enum record_err err)
{
	while (p->active)
		finish(p, p->active, CURLE_ABORTED_BY_CALLBACK, err);
}

/* Netscape cookie lines (CURLINFO_COOKIELIST gives them in that format)
 * into f, under the header that readers look for. 0 or an errno. */
static int cookies_write(FILE *f, const struct curl_slist *l)
{
	if (fputs("# Netscape HTTP Cookie File\n"
		  "# Written by crawler at the end of a crawl.\n\n", f) < 0)
		return errno ? errno : EIO;
	for (; l; l = l->next)
		if (fprintf(f, "%s\n", l->data) < 0)
			return errno ? errno : EIO;
	if (fflush(f) || fsync(fileno(f)))
		return errno ? errno : EIO;
	return 0;
}

/* The jar's lines through a handle on the share; 0 or ENOMEM. */
static int cookies_list(CURLSH *share, struct curl_slist **out)
{
	CURL *e = curl_easy_init();

	*out = NULL;
	if (!e)
		return ENOMEM;
	curl_easy_setopt(e, CURLOPT_SHARE, share);
	curl_easy_getinfo(e, CURLINFO_COOKIELIST, out);
	curl_easy_cleanup(e);
	return 0;
}

/* list into a new file beside path, renamed over it. 0 or an errno. */
static int cookies_replace(const char *path, const struct curl_slist *list)
{
	char *tmp;
	FILE *f;
	int fd, rc;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return ENOMEM;
	fd = mkstemp(tmp); /* 0600: cookies are credentials */
	if (fd < 0) {
		rc = errno;
		free(tmp);
		return rc;
	}
	f = fdopen(fd, "w");
	if (!f) {
		rc = errno;
		close(fd);
	} else {
		rc = cookies_write(f, list);
		if (fclose(f) && !rc)
			rc = errno;
	}
	if (!rc && rename(tmp, path))
		rc = errno;
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

int fetch_pool_save_cookies(struct fetch_pool *p, const char *path)
{
	struct curl_slist *list;
	int rc;

	if (!p->share)
		return 0;
	rc = cookies_list(p->share, &list);
	if (!rc)
		rc = cookies_replace(path, list);
	curl_slist_free_all(list);
	return rc;
}

unsigned fetch_pool_in_flight(struct fetch_pool *p)
{
	return sema_taken(&p->slots);
}

bool fetch_pool_full(struct fetch_pool *p)
{
	return sema_taken(&p->slots) >= p->cfg.concurrency;
}
