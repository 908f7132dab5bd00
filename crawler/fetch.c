/* fetch: HTTP transfers on one libcurl multi handle, driven by the crawl's
 * fetch thread (see fetch.h).
 *
 * A transfer owns its easy handle, its deadline ctx and its body buffer
 * until it finishes; then a fetch_result carries what the crawl needs and
 * the easy handle goes back to a free list for the next URL. Only
 * curl_multi_wakeup (fetch_pool_wakeup) is called from other threads, as
 * libcurl allows. */
#include "fetch.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "ctx.h"
#include "sema.h"

struct transfer {
	struct transfer *next, *prev; /* the pool's list in flight */
	CURL *easy;
	struct ctx ctx;               /* deadline of this request */
	struct fetch_pool *pool;
	void *tag;
	struct fetch_result *res;     /* allocated up front: finishing never fails */
	char *body;                   /* kept bytes, when keep */
	size_t body_len, body_cap;
	uint64_t bytes;               /* decoded body bytes seen */
	bool decided, keep, too_large;
	uint64_t max_size;            /* this request's cap */
	bool keep_any, truncate;      /* from the request */
	int64_t started_ms;           /* wall clock */
	int64_t started_ns;           /* monotonic */
	char errbuf[CURL_ERROR_SIZE];
};

struct fetch_pool {
	struct fetch_config cfg;
	struct ctx *ctx;              /* the crawl's; borrowed */
	CURLM *multi;
	CURLSH *share;                /* the cookie jar, with --cookies */
	struct sema slots;            /* caps transfers in flight */
	struct transfer *active;      /* in flight */
	CURL **idle;                  /* easy handles to reuse */
	size_t nidle;
	fetch_done_fn done;
	void *arg;
	/* A wake-up is on its way and the caller has not yet planned again:
	 * later ones would change nothing (see fetch_pool_wakeup). */
	atomic_bool woken;
};

static int64_t wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

struct fetch_pool *fetch_pool_new(const struct fetch_config *cfg, struct ctx *ctx,
				  fetch_done_fn done, void *arg)
{
	struct fetch_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->cfg = *cfg;
	p->ctx = ctx;
	p->done = done;
	p->arg = arg;
	atomic_init(&p->woken, false);
	p->multi = curl_multi_init();
	p->idle = calloc(cfg->concurrency, sizeof(*p->idle));
	if (!p->multi || !p->idle) {
		curl_multi_cleanup(p->multi);
		free(p->idle);
		free(p);
		return NULL;
	}
	if (cfg->cookies) {
		/* All transfers run on this thread, so the share needs no
		 * lock callbacks. */
		p->share = curl_share_init();
		curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
	}
	sema_init(&p->slots, cfg->concurrency);
	curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)cfg->per_host);
	curl_multi_setopt(p->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)cfg->concurrency);
	curl_multi_setopt(p->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	return p;
}

void fetch_pool_free(struct fetch_pool *p)
{
	if (!p)
		return;
	fetch_pool_abort_all(p, RECORD_ERR_CANCELED);
	for (size_t i = 0; i < p->nidle; i++)
		curl_easy_cleanup(p->idle[i]);
	curl_multi_cleanup(p->multi);
	curl_share_cleanup(p->share);
	sema_release(&p->slots);
	free(p->idle);
	free(p);
}

static bool is_html(const char *content_type)
{
	size_t n;

	if (!content_type)
		return false;
	n = strcspn(content_type, "; \t");
	return (n == 9 && !strncasecmp(content_type, "text/html", n)) ||
	       (n == 21 && !strncasecmp(content_type, "application/xhtml+xml", n));
}

/* Once headers are in: keep the body only if it will be parsed. */
static void decide(struct transfer *t)
{
	long status = 0;
	char *ct = NULL;

	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ct);
	t->keep = status >= 200 && status < 300 && (t->keep_any || is_html(ct));
	t->decided = true;
}

static bool body_append(struct transfer *t, const char *p, size_t n)
{
	if (t->body_len + n > t->body_cap) {
		size_t cap = t->body_cap ? t->body_cap * 2 : 16384;
		char *body;

		while (cap < t->body_len + n)
			cap *= 2;
		body = realloc(t->body, cap);
		if (!body)
			return false;
		t->body = body;
		t->body_cap = cap;
	}
	memcpy(t->body + t->body_len, p, n);
	t->body_len += n;
	return true;
}

/* libcurl hands over decoded bytes: --max-size is enforced on those. A
 * short return aborts the transfer with CURLE_WRITE_ERROR. */
static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * n;

	if (!t->decided)
		decide(t);
	if (t->bytes + len > t->max_size) {
		if (t->truncate && t->keep && t->bytes < t->max_size)
			body_append(t, p, (size_t)(t->max_size - t->bytes));
		t->bytes = t->max_size;
		t->too_large = true;
		return 0;
	}
	t->bytes += len;
	if (t->keep && !body_append(t, p, len))
		return 0;
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
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, req->follow ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)req->follow);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, cfg->http11 ?
			 (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_2TLS);
	if (cfg->proxy)
		curl_easy_setopt(e, CURLOPT_PROXY, cfg->proxy);
	if (cfg->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
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
	if (!t->truncate)
		curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->max_size);
}

static void result_fill_err(struct fetch_result *res, struct transfer *t,
			    CURLcode code);

static void transfer_free(struct transfer *t)
{
	ctx_release(&t->ctx);
	free(t->body);
	free(t);
}

/* Report t with code and hand its easy handle back. */
static void finish(struct fetch_pool *p, struct transfer *t, CURLcode code,
		   enum record_err forced)
{
	struct fetch_result *res = t->res;
	long status = 0;
	char *ct = NULL;
	struct curl_header *loc = NULL;
	curl_off_t retry = 0;

	if (t->next)
		t->next->prev = t->prev;
	if (t->prev)
		t->prev->next = t->next;
	else
		p->active = t->next;
	res->fetched_at_ms = t->started_ms;
	res->elapsed_ms = (ctx_now_ns() - t->started_ns) / 1000000;
	res->bytes = t->bytes;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ct);
	res->status = (int)status;
	res->retry_after_ms = -1;
	if (curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &retry) == CURLE_OK &&
	    retry > 0)
		res->retry_after_ms = (int64_t)retry * 1000;
	res->content_type = ct ? strdup(ct) : NULL;
	res->html = is_html(ct);
	if (status >= 300 && status < 400 &&
	    curl_easy_header(t->easy, "Location", 0, CURLH_HEADER, -1, &loc) ==
		    CURLHE_OK)
		res->location = strdup(loc->value);
	if (forced != RECORD_ERR_NONE)
		res->err = forced;
	else
		result_fill_err(res, t, code);
	if (res->err == RECORD_ERR_NONE && t->keep) {
		res->body = t->body;
		res->body_len = t->body_len;
		t->body = NULL;
	}
	curl_multi_remove_handle(p->multi, t->easy);
	easy_put(p, t->easy);
	t->res = NULL;
	transfer_free(t);
	sema_give(&p->slots);
	p->done(p->arg, res);
}

static enum record_err err_kind(CURLcode code, bool too_large)
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
	case CURLE_FILESIZE_EXCEEDED:
		return RECORD_ERR_TOO_LARGE;
	case CURLE_WRITE_ERROR:
		/* Our write callback refused: over --max-size, or no memory. */
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

static void result_fill_err(struct fetch_result *res, struct transfer *t,
			    CURLcode code)
{
	res->err = err_kind(code, t->too_large);
	if (res->err == RECORD_ERR_NONE)
		return;
	if (code == CURLE_OUT_OF_MEMORY && request_sent(t)) {
		/* libcurl 7.88 says "out of memory" for a response header line
		 * over its 100 KiB limit: the server's fault, not ours. */
		res->err = RECORD_ERR_HTTP;
		res->err_msg = strdup("response header line over 100 KiB");
		return;
	}
	/* A request cut short by the crawl's deadline, not its own, was
	 * cancelled by --max-time. */
	if (res->err == RECORD_ERR_TIMEOUT && ctx_done(t->pool->ctx)) {
		res->err = RECORD_ERR_CANCELED;
		return;
	}
	if (res->err == RECORD_ERR_TOO_LARGE && t->truncate) {
		res->err = RECORD_ERR_NONE;
		return;
	}
	if (res->err == RECORD_ERR_TOO_LARGE)
		return;
	res->err_msg = strdup(t->errbuf[0] ? t->errbuf : curl_easy_strerror(code));
}

int fetch_pool_start(struct fetch_pool *p, const struct fetch_request *req)
{
	struct transfer *t;

	if (!sema_try_take(&p->slots))
		return FETCH_FULL;
	t = calloc(1, sizeof(*t));
	if (!t || !(t->res = calloc(1, sizeof(*t->res))) ||
	    !(t->easy = easy_get(p))) {
		if (t)
			free(t->res);
		free(t);
		sema_give(&p->slots);
		return FETCH_FAILED;
	}
	t->pool = p;
	t->tag = req->tag;
	t->res->tag = req->tag;
	t->res->kind = req->kind;
	t->max_size = req->max_size ? req->max_size : p->cfg.max_size;
	t->keep_any = req->keep_body;
	t->truncate = req->truncate;
	t->started_ms = wall_ms();
	t->started_ns = ctx_now_ns();
	ctx_init(&t->ctx, p->ctx, t->started_ns + p->cfg.timeout_ms * 1000000);
	easy_setup(t, req);
	t->next = p->active;
	if (p->active)
		p->active->prev = t;
	p->active = t;
	if (curl_multi_add_handle(p->multi, t->easy) != CURLM_OK)
		finish(p, t, CURLE_FAILED_INIT, RECORD_ERR_INTERNAL);
	return FETCH_STARTED;
}

/* Report finished transfers; returns how many. */
static unsigned collect(struct fetch_pool *p)
{
	CURLMsg *msg;
	int left;
	unsigned n = 0;

	while ((msg = curl_multi_info_read(p->multi, &left))) {
		struct transfer *t = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		finish(p, t, msg->data.result, RECORD_ERR_NONE);
		n++;
	}
	return n;
}

static void run_once(struct fetch_pool *p, int wait_ms)
{
	int running;

	curl_multi_perform(p->multi, &running);
	/* A finished transfer may have queued work (a retry, a redirect)
	 * that the caller's wait_ms did not plan for: let it plan again. */
	if (collect(p))
		return;
	if (wait_ms > 0)
		curl_multi_poll(p->multi, NULL, 0, wait_ms, NULL);
	curl_multi_perform(p->multi, &running);
	collect(p);
}

void fetch_pool_run(struct fetch_pool *p, int wait_ms)
{
	run_once(p, wait_ms);
	/* The caller checks its state again before it next calls this: what
	 * changes from now on needs a wake-up, what changed before does not. */
	atomic_store(&p->woken, false);
}

void fetch_pool_abort_all(struct fetch_pool *p, enum record_err err)
{
	while (p->active)
		finish(p, p->active, CURLE_ABORTED_BY_CALLBACK, err);
}

/* One wake-up per round of the caller's loop: parsers call this for every
 * page they admit links from, and a byte each through curl's wake-up
 * socket was as many system calls as pages (and a full socket). */
void fetch_pool_wakeup(struct fetch_pool *p)
{
	if (atomic_exchange(&p->woken, true))
		return;
	curl_multi_wakeup(p->multi);
}

unsigned fetch_pool_in_flight(struct fetch_pool *p)
{
	return sema_taken(&p->slots);
}

bool fetch_pool_full(struct fetch_pool *p)
{
	return sema_taken(&p->slots) >= p->cfg.concurrency;
}

void fetch_result_free(struct fetch_result *res)
{
	if (!res)
		return;
	free(res->content_type);
	free(res->location);
	free(res->body);
	free(res->err_msg);
	free(res);
}
