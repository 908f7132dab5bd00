/* crawl_schedule: what the fetch thread starts, and when. A new origin's
 * robots.txt comes first (its gate opens in crawl_on_robots with the
 * origin's policy and Crawl-delay); then the frontier hands out ready URLs
 * under the permits and --max-pages, and a URL the policy refuses gets its
 * record without a request. Fetch thread only. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl_impl.h"
#include "fetch.h"
#include "frontier.h"
#include "origin.h"
#include "record.h"
#include "response.h"
#include "robots.h"

#define ROBOTS_REDIRECTS 5   /* RFC 9309 2.3.1.2 */
#define ROBOTS_HEAD 64       /* robots_text's first line, at most */

/* A heap copy of a lease or a gate, for the fetch pool to carry as a
 * transfer's tag; NULL when out of memory. */
static void *hold(const void *v, size_t n)
{
	void *p = malloc(n);

	return p ? memcpy(p, v, n) : NULL;
}

/* A URL that gets a record without a fetch: out of memory for a transfer,
 * or refused by its origin's policy. */
static void record_unfetched(struct crawl *c, const struct frontier_lease *e,
			     enum record_err err, const char *why)
{
	struct record *r = crawl_record_new(c, e);
	unsigned depth = e->depth;

	/* The lease ends before the URL completes (frontier.h); no request
	 * went out, so the origin owes no delay for it. */
	frontier_skip(c->frontier, e);
	if (!r) {
		crawl_url_finished(c, depth, e->ticket);
		return;
	}
	record_set_err(r, err, why);
	r->lastmod = crawl_lastmod_take(c, r->url);
	r->fetched_at_ms = record_now_ms();
	outbox_send(&c->records_out, r);
}

/* The origin of a canonical URL (or of an origin): everything before the
 * path, "scheme://host[:port]". */
static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	p = p ? p + 3 : url;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

static int origin_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int crawl_auth_init(struct crawl *c)
{
	c->auth_origins = calloc(c->nseeds, sizeof(*c->auth_origins));
	if (!c->auth_origins)
		return ENOMEM;
	for (size_t i = 0; i < c->nseeds; i++) {
		c->auth_origins[i] = strndup(c->seeds[i], origin_len(c->seeds[i]));
		if (!c->auth_origins[i])
			return ENOMEM;
		c->nauth_origins++;
	}
	qsort(c->auth_origins, c->nauth_origins, sizeof(*c->auth_origins),
	      origin_cmp);
	return 0;
}

/* An origin that is a prefix of a URL, against one of auth_origins, in
 * strcmp's order. */
struct origin_key {
	const char *s;
	size_t n;
};

static int key_cmp(const void *key, const void *elem)
{
	const struct origin_key *k = key;
	const char *o = *(char *const *)elem;
	int d = strncmp(k->s, o, k->n);

	return d ? d : -(o[k->n] != '\0');
}

/* Whether a request to url may carry --user's credentials: only when its
 * origin (scheme, host, port) is a seed's. A link or a redirect to any
 * other origin goes without them. A binary search per request, however
 * many seeds. */
static bool gets_credentials(const struct crawl *c, const char *url)
{
	struct origin_key k = { .s = url, .n = origin_len(url) };

	return c->nauth_origins &&
	       bsearch(&k, c->auth_origins, c->nauth_origins,
		       sizeof(*c->auth_origins), key_cmp) != NULL;
}

/* Whether a take handed something out. A frontier that cannot answer
 * (out of memory, or its Redis is gone) fails the crawl, as a push that
 * cannot queue does: what it holds would never be fetched. */
static bool taken(struct crawl *c, enum frontier_status rc)
{
	if (rc != FRONTIER_OK && rc != FRONTIER_NONE)
		ctx_cancel(&c->ctx, CRAWL_FAILED);
	return rc == FRONTIER_OK;
}

/* Ask every origin that came up gated for its robots.txt, as far as
 * permits go; it stays shut until on_robots. */
static void start_robots(struct crawl *c)
{
	struct frontier_gate g;

	while (!fetch_pool_full(c->pool) && taken(c, frontier_take_gated(c->frontier, &g))) {
		/* On the heap: an origin is as long as its userinfo. */
		size_t n = strlen(g.origin) + sizeof("/robots.txt");
		char *url = malloc(n);
		struct fetch_request req = {
			.url = url, .tag = hold(&g, sizeof(g)), .kind = JOB_ROBOTS,
			.follow = ROBOTS_REDIRECTS,
			.max_size = ROBOTS_MAX_BYTES, .truncate = true,
			.credentials = gets_credentials(c, g.origin),
		};

		if (url)
			snprintf(url, n, "%s/robots.txt", g.origin);
		if (!url || !req.tag ||
		    fetch_pool_start(c->pool, &req) != FETCH_STARTED) {
			free(req.tag);
			frontier_open(c->frontier, &g, NULL, 0, ctx_now_ns());
		}
		free(url);
	}
}

/* Start transfers while there are permits, ready origins and pages left
 * under --max-pages. Returns when the next paced origin is ready (monotonic
 * ns), or 0. */
int64_t crawl_schedule(struct crawl *c)
{
	int64_t wake = INT64_MAX;

	start_robots(c);
	/* Refused URLs are records too: stop when they have to be held. */
	while (!fetch_pool_full(c->pool) && !outbox_len(&c->records_out) &&
	       (!c->cfg.max_pages || c->started < c->cfg.max_pages)) {
		struct frontier_lease e;
		struct fetch_request req = { .kind = JOB_PAGE };
		enum record_err refused;
		const char *why;

		if (!taken(c, frontier_take_ready(c->frontier, ctx_now_ns(), &wake, &e)))
			break;
		refused = e.policy ? origin_refuses(e.policy, e.url, &why) :
				     RECORD_ERR_NONE;
		if (refused != RECORD_ERR_NONE) {
			record_unfetched(c, &e, refused, why);
			continue;
		}
		if (e.attempts == 0)
			c->started++;
		req.url = e.url;
		req.credentials = gets_credentials(c, e.url);
		req.tag = hold(&e, sizeof(e));
		if (!req.tag || fetch_pool_start(c->pool, &req) != FETCH_STARTED) {
			free(req.tag);
			record_unfetched(c, &e, RECORD_ERR_INTERNAL, NULL);
		}
	}
	return wake == INT64_MAX ? 0 : wake;
}

/* --warc: robots.txt is archived like any fetch, through the writer, as
 * a record that makes no line and completes no URL. */
static void archive_robots(struct crawl *c, struct response *res)
{
	struct record *r;

	if (!crawl_archives(c) || !res->status || !res->final_url ||
	    !(r = record_new(res->final_url, NULL, 0))) {
		response_free(res);
		return;
	}
	r->archive_only = true;
	crawl_keep_exchange(c, r, res);
	outbox_send(&c->records_out, r);
}

/* The answer to a robots.txt request as the other workers of a shared
 * crawl read it (crawl_robots_load): "STATUS ERR MSGLEN\n", the message,
 * the body; malloc'd, NULL when out of memory. */
static char *robots_text(const struct response *res, size_t *len)
{
	const char *msg = res->err_msg ? res->err_msg : "";
	size_t mlen = strlen(msg);
	char *t = malloc(ROBOTS_HEAD + mlen + res->body_len + 1);
	int n;

	if (!t)
		return NULL;
	n = snprintf(t, ROBOTS_HEAD, "%d %d %zu\n", res->status, (int)res->err, mlen);
	memcpy(t + n, msg, mlen); // NOLINT(bugprone-not-null-terminated-result): a length goes with it
	if (res->body_len)
		memcpy(t + n + mlen, res->body, res->body_len);
	*len = (size_t)n + mlen + res->body_len;
	return t;
}

void *crawl_robots_load(void *arg, const char *text, size_t len)
{
	const struct crawl *c = arg;
	const char *nl = memchr(text, '\n', len);
	char *at = NULL;
	long status = 0, err = -1;
	size_t mlen = SIZE_MAX;
	char *msg;
	struct origin *o;

	if (nl) {
		status = strtol(text, &at, 10);
		err = strtol(at, &at, 10);
		mlen = (size_t)strtoull(at, &at, 10);
	}
	if (!nl || at != nl || status < 0 || status > 999 || err < 0 ||
	    err >= RECORD_ERR_COUNT || mlen > len - (size_t)(nl + 1 - text))
		return origin_new(0, RECORD_ERR_ROBOTS, "robots.txt unreadable in Redis",
				  NULL, 0, c->agent);
	msg = strndup(nl + 1, mlen);
	if (!msg)
		return NULL;
	o = origin_new((int)status, (enum record_err)err, mlen ? msg : NULL,
		       nl + 1 + mlen, len - (size_t)(nl + 1 + mlen - text), c->agent);
	free(msg);
	return o;
}

/* robots.txt answered: the origin's gate opens with its policy, paced by
 * its Crawl-delay (at most --max-delay); in a shared crawl, with the
 * answer for the other workers. */
void crawl_on_robots(struct crawl *c, struct frontier_gate *h,
		      struct response *res)
{
	struct origin *o = origin_new(res->status, res->err, res->err_msg,
				      res->body, res->body_len, c->agent);
	int64_t delay = o ? origin_crawl_delay_ms(o) : -1;
	size_t len = 0;
	char *text = c->cfg.cluster ? robots_text(res, &len) : NULL;

	crawl_sitemaps_of_robots(c, h->origin, o);
	if (delay > c->cfg.max_delay_ms)
		delay = c->cfg.max_delay_ms;
	frontier_open_shared(c->frontier, h, o, text, len,
			     delay > 0 ? delay * 1000000 : 0, ctx_now_ns());
	free(text);
	free(h);
	archive_robots(c, res);
}
