/* crawl: wires the pipeline (see crawl.h for the picture) and runs the
 * fetch loop.
 *
 * Threads: the caller's thread runs the fetch loop and owns the fetch pool;
 * `parsers` threads parse pages; one writer thread writes records. Shared
 * between them: the frontier and the visited set (each with its own lock,
 * never held together) and the two channels. The frontier counts a URL as
 * pending from its push until the writer completes it; links are pushed
 * before the record of the page they came from goes to the writer, so the
 * frontier says the crawl is over only when it truly is.
 *
 * With --max-depth the frontier goes level by level: no URL of depth d+1 is
 * handed out while one of depth d is unfinished. Otherwise a page found
 * first by a longer path (parsers race) would get too large a depth, and
 * the limit would cut off pages that are within reach. */
#include "crawl.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "chan.h"
#include "ctx.h"
#include "evloop.h"
#include "fetch.h"
#include "frontier.h"
#include "handler.h"
#include "journal.h"
#include "origin.h"
#include "outbox.h"
#include "parse.h"
#include "record.h"
#include "response.h"
#include "retry.h"
#include "robots.h"
#include "trap.h"
#include "url.h"
#include "visited.h"
#include "writer.h"

#define PAGES_PER_PARSER 4   /* fetched bodies waiting per parser thread */
#define RESULTS_CAP 4096     /* records waiting for the writer */
#define POLL_MS 1000         /* longest sleep of the fetch loop */
#define ROBOTS_REDIRECTS 5   /* RFC 9309 2.3.1.2 */

/* What a transfer's tag points to. */
enum job { JOB_PAGE, JOB_ROBOTS };

/* frontier_item.flags */
enum { ENTRY_NO_PARSE = 1 }; /* a resource: record it, do not parse it */

static const char *const stop_names[] = {
#define CRAWL_STOP_NAME(name, text) text,
	CRAWL_STOP_MAP(CRAWL_STOP_NAME)
#undef CRAWL_STOP_NAME
};

/* A fetched body on its way to a parser; owns rec and resp. */
struct page {
	struct record *rec;
	struct response *resp;
	const struct content_handler *handler;
};

struct crawl {
	struct crawl_config cfg;
	char **seeds;                 /* canonical */
	size_t nseeds;
	struct scope *scope;
	struct curl_slist *headers;

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
	_Atomic(struct writer *) writer;
	pthread_t *parser_threads;
	unsigned nparsers;
	atomic_ullong skipped[CRAWL_SKIP_COUNT]; /* found, not admitted */
	atomic_ullong sitemaps;       /* Sitemap: lines in robots.txt files */
	char agent[64];               /* robots.txt product token */
	unsigned seed;                /* fetch thread: retry jitter */
	uint64_t started;             /* transfers started */
};

void crawl_config_init(struct crawl_config *cfg)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	*cfg = (struct crawl_config){
		.out_fd = STDOUT_FILENO,
		.concurrency = 32,
		.per_host = 8,
		.parsers = cpus > 0 ? (unsigned)cpus : 1,
		.max_depth = -1,
		.timeout_ms = 30000,
		.connect_timeout_ms = 10000,
		.max_size = 10 * 1024 * 1024,
		.robots = true,
		.max_delay_ms = 30000,
		.checkpoint_ms = 1000,
		.retries = 2,
		.retry_base_ms = 1000,
		.max_redirects = 10,
		.traps = TRAP_LIMITS_DEFAULT,
		.scope = { .mode = SCOPE_HOST },
		.user_agent = CRAWL_DEFAULT_USER_AGENT,
		.log = stderr,
	};
}

static bool seeds_init(struct crawl *c, char *err, size_t errlen)
{
	c->seeds = calloc(c->cfg.nseeds + 1, sizeof(*c->seeds));
	if (!c->seeds)
		return false;
	for (size_t i = 0; i < c->cfg.nseeds; i++) {
		enum url_status st = url_normalize(c->cfg.seeds[i], &c->seeds[i]);

		if (st != URL_OK) {
			snprintf(err, errlen, "bad URL '%s': %s", c->cfg.seeds[i],
				 url_strerror(st));
			return false;
		}
		c->nseeds++;
	}
	return true;
}

static bool headers_init(struct crawl *c)
{
	for (size_t i = 0; i < c->cfg.nheaders; i++) {
		struct curl_slist *l = curl_slist_append(c->headers, c->cfg.headers[i]);

		if (!l)
			return false;
		c->headers = l;
	}
	return true;
}

struct crawl *crawl_new(const struct crawl_config *cfg, char *err, size_t errlen)
{
	struct crawl *c = calloc(1, sizeof(*c));

	snprintf(err, errlen, "out of memory");
	if (!c)
		return NULL;
	c->cfg = *cfg;
	if (!cfg->nseeds) {
		snprintf(err, errlen, "no URL given");
		goto fail;
	}
	if (!cfg->concurrency || !cfg->per_host || !cfg->parsers) {
		snprintf(err, errlen, "concurrency, per-host and parsers must be at least 1");
		goto fail;
	}
	if (!seeds_init(c, err, errlen) || !headers_init(c))
		goto fail;
	robots_product_token(cfg->user_agent, c->agent, sizeof(c->agent));
	c->scope = scope_new(&cfg->scope, c->seeds, c->nseeds, err, errlen);
	if (!c->scope)
		goto fail;
	return c;
fail:
	crawl_free(c);
	return NULL;
}

void crawl_free(struct crawl *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nseeds; i++)
		free(c->seeds[i]);
	free(c->seeds);
	scope_free(c->scope);
	curl_slist_free_all(c->headers);
	free(c);
}

/* Links found on one page (or its redirect target), on their way in. */
struct batch {
	const char *parent;          /* NULL for seeds: no scope or trap test */
	unsigned depth;
	char *const *links;          /* canonical URLs */
	const unsigned char *flags;  /* PARSE_LINK_* of each, or NULL */
	size_t n;
	unsigned redirects;          /* with the chain, for a redirect target */
	const uint64_t *chain;
};

static const enum crawl_skip trap_skip[TRAP_REASON_COUNT] = {
	[TRAP_URL_LENGTH] = CRAWL_SKIP_URL_LENGTH,
	[TRAP_PATH_SEGMENTS] = CRAWL_SKIP_PATH_SEGMENTS,
	[TRAP_REPEATED_SEGMENT] = CRAWL_SKIP_REPEATED_SEGMENT,
};

/* Whether link i is followed at all (nofollow, resources): a link not
 * followed is no skip, it is what the page or the user asked. */
static bool wanted(const struct crawl *c, const struct batch *b, size_t i)
{
	unsigned f = b->flags ? b->flags[i] : 0;

	if ((f & PARSE_LINK_RESOURCE) && !c->cfg.resources)
		return false;
	return !(f & PARSE_LINK_NOFOLLOW) || c->cfg.follow_nofollow;
}

/* -1 to admit link i, else why it is skipped. */
static int skip_reason(const struct crawl *c, const struct batch *b, size_t i)
{
	enum trap_reason t;

	if (!b->parent)
		return -1;
	if (!scope_allows(c->scope, b->links[i]))
		return CRAWL_SKIP_SCOPE;
	t = trap_check(&c->cfg.traps, b->links[i]);
	return t == TRAP_NONE ? -1 : (int)trap_skip[t];
}

static struct frontier_item item_of(const struct batch *b, size_t i)
{
	return (struct frontier_item){
		.url = b->links[i], .parent = b->parent, .depth = b->depth,
		.redirects = b->redirects, .chain = b->chain,
		.flags = b->flags && (b->flags[i] & PARSE_LINK_RESOURCE) ?
			 ENTRY_NO_PARSE : 0,
	};
}

/* One batch to the frontier. Each URL it takes is journaled before the
 * record of the page that found it can reach the writer, which flushes the
 * journal before the output. */
static void queue(struct crawl *c, const struct frontier_item *items, size_t n,
		  enum frontier_push_status *st)
{
	/* Refused for lack of memory: seen, so it would never be fetched. */
	if (frontier_push_batch(c->frontier, items, n, st) != FRONTIER_OK)
		ctx_cancel(&c->ctx, CRAWL_FAILED);
	for (size_t i = 0; i < n; i++) {
		if (st[i] == FRONTIER_QUEUED && c->cfg.journal &&
		    journal_admit(c->cfg.journal, items[i].url, items[i].parent,
				  items[i].depth))
			ctx_cancel(&c->ctx, CRAWL_FAILED);
		if (st[i] == FRONTIER_HOST_FULL)
			atomic_fetch_add(&c->skipped[CRAWL_SKIP_HOST_LIMIT], 1);
	}
}

/* Queue the fresh URLs of b that pass scope and trap rules; the fresh ones
 * that do not are counted by reason (skipped URLs go in the visited set
 * too, so each is counted once). The rules are judged for fresh URLs only:
 * most links on a page were seen before. Running out of memory here would
 * lose links without a trace, so it ends the crawl instead. */
static void admit(struct crawl *c, const struct batch *b)
{
	size_t n = b->n, nin = 0, nq = 0;
	struct frontier_item *items; /* one allocation: the links to queue, */
	char **in;                   /* the wanted links, */
	size_t *src;                 /* where each is in b, */
	enum frontier_push_status *st; /* what the frontier did with items, */
	bool *fresh;                 /* whether each wanted link is new */

	if (!n || ctx_done(&c->ctx) ||
	    (c->cfg.max_depth >= 0 && b->depth > (unsigned long)c->cfg.max_depth))
		return;
	items = malloc(n * (sizeof(*items) + sizeof(*in) + sizeof(*src) +
			    sizeof(*st) + sizeof(*fresh)));
	if (!items) {
		ctx_cancel(&c->ctx, CRAWL_FAILED);
		return;
	}
	in = (char **)(void *)(items + n);
	src = (size_t *)(void *)(in + n);
	st = (enum frontier_push_status *)(void *)(src + n);
	fresh = (bool *)(st + n);
	for (size_t i = 0; i < n; i++) {
		if (!wanted(c, b, i))
			continue;
		src[nin] = i;
		in[nin++] = b->links[i];
	}
	if (nin && visited_add_batch(c->visited, in, nin, fresh, NULL) != VISITED_OK) {
		ctx_cancel(&c->ctx, CRAWL_FAILED);
		nin = 0;
	}
	for (size_t i = 0; i < nin; i++) {
		int why;

		if (!fresh[i])
			continue;
		why = skip_reason(c, b, src[i]);
		if (why >= 0)
			atomic_fetch_add(&c->skipped[why], 1);
		else
			items[nq++] = item_of(b, src[i]);
	}
	if (nq)
		queue(c, items, nq, st);
	if (nin)
		evloop_wake(c->loop);
	free(items);
}

/* From a parser thread, which may wait for the writer (the fetch thread
 * uses records_out instead). No ctx: a fetched result is never dropped,
 * and the writer drains until the channel is closed, so this cannot block
 * for ever. */
static void send_record(struct crawl *c, struct record *r)
{
	chan_send(c->results, r, NULL);
}

/* One admitted URL is finished with: its record was written, or could not
 * even be made. The last one, or the last of a level, wakes the fetch loop
 * to end the crawl or start the next level. */
static void url_finished(struct crawl *c, unsigned depth)
{
	if (frontier_complete(c->frontier, depth))
		evloop_wake(c->loop);
}

static struct record *record_from(const struct frontier_lease *e,
				  const struct response *resp)
{
	struct record *r = record_new(e->url, e->parent, e->depth);

	if (!r)
		return NULL;
	r->status = resp->status;
	if (resp->content_type && !(r->content_type = strdup(resp->content_type))) {
		record_free(r);
		return NULL;
	}
	r->bytes = resp->bytes;
	r->fetched_at_ms = resp->fetched_at_ms;
	r->elapsed_ms = resp->timings.total_us / 1000;
	record_set_err(r, resp->err, resp->err_msg);
	return r;
}

static bool in_chain(const struct frontier_lease *e, uint64_t fp)
{
	for (unsigned i = 0; i < e->redirects; i++)
		if (e->chain[i] == fp)
			return true;
	return false;
}

/* The statuses that send the client elsewhere (not 300 Multiple Choices
 * or 304 Not Modified, which need no Location). */
static bool moved(int status)
{
	return status == 301 || status == 302 || status == 303 ||
	       status == 307 || status == 308;
}

/* A 3xx: record its target, and queue it like a link of the same depth,
 * carrying the chain so a loop or an over-long chain ends on this URL. */
static void follow_redirect(struct crawl *c, const struct frontier_lease *e,
			    struct record *r, const char *raw)
{
	char *target = NULL, msg[160];
	uint64_t chain[e->redirects + 1];
	enum url_status st;
	/* A resource's target is the resource: fetched, not parsed. */
	static const unsigned char resource = PARSE_LINK_RESOURCE;
	struct batch b = { .parent = r->url, .depth = r->depth, .n = 1,
			   .redirects = e->redirects + 1, .chain = chain,
			   .flags = e->flags & ENTRY_NO_PARSE ? &resource : NULL };

	st = url_resolve(r->url, raw, &target);
	/* A redirect off the web (mailto:, ftp:) has nothing to follow and
	 * nothing wrong; one that is no URL at all is the server's error. */
	if (st == URL_SCHEME)
		return;
	if (st != URL_OK) {
		snprintf(msg, sizeof(msg), "Location is not a URL (%s): %.100s",
			 url_strerror(st), raw);
		record_set_err(r, st == URL_NOMEM ? RECORD_ERR_INTERNAL :
						    RECORD_ERR_HTTP, msg);
		return;
	}
	r->location = target;
	if (!strcmp(target, e->url) || in_chain(e, visited_fingerprint(target))) {
		record_set_err(r, RECORD_ERR_REDIRECT_LOOP, NULL);
		return;
	}
	if (e->redirects >= c->cfg.max_redirects) {
		record_set_err(r, RECORD_ERR_TOO_MANY_REDIRECTS, NULL);
		return;
	}
	if (e->redirects)
		memcpy(chain, e->chain, e->redirects * sizeof(*chain));
	chain[e->redirects] = visited_fingerprint(e->url);
	b.links = &r->location;
	admit(c, &b);
}

/* A heap copy of a lease or a gate, for the fetch pool to carry as a
 * transfer's tag; NULL when out of memory. */
static void *hold(const void *v, size_t n)
{
	void *p = malloc(n);

	return p ? memcpy(p, v, n) : NULL;
}

/* A transfer's lease ends: its URL is fetched, or goes back to the queue
 * to be fetched again. Either frees the crawl's copy. */
static void lease_done(struct crawl *c, struct frontier_lease *e)
{
	frontier_done(c->frontier, e);
	free(e);
}

static void lease_retry(struct crawl *c, struct frontier_lease *e,
			int64_t not_before_ns)
{
	frontier_retry(c->frontier, e, not_before_ns);
	free(e);
}

/* A transient failure with tries left, and time for another before the
 * crawl's deadline: queue it again (the lease ends). The record waits for
 * the last try. */
static bool retry_later(struct crawl *c, struct frontier_lease *e,
			const struct response *res)
{
	struct retry_policy p = { .retries = c->cfg.retries,
				  .base_ms = c->cfg.retry_base_ms,
				  .max_delay_ms = c->cfg.max_delay_ms };
	int64_t deadline = ctx_deadline_ns(&c->ctx), at;

	if (e->attempts >= p.retries || ctx_done(&c->ctx) ||
	    !retry_transient(res->err, res->status) ||
	    (c->cfg.max_pages && c->started >= c->cfg.max_pages))
		return false;
	at = ctx_now_ns() + retry_backoff_ms(&p, e->attempts + 1,
					     res->retry_after_ms, &c->seed) * 1000000;
	if (deadline && at >= deadline)
		return false;
	lease_retry(c, e, at);
	return true;
}

/* Whether a handler reads this response's body; a resource is fetched,
 * never read. */
static const struct content_handler *reader_of(const struct frontier_lease *e,
					       const struct response *resp)
{
	if (e->flags & ENTRY_NO_PARSE || resp->status < 200 || resp->status >= 300)
		return NULL;
	return handler_for(resp);
}

/* fetch_config.keep_body: only a body something reads is kept. */
static bool keep_body(void *arg, void *tag, unsigned kind,
		      const struct response *resp)
{
	(void)arg;
	return kind == JOB_ROBOTS || reader_of(tag, resp);
}

static void on_page(struct crawl *c, struct frontier_lease *e,
		    struct response *resp)
{
	const struct content_handler *h = resp->body ? reader_of(e, resp) : NULL;
	struct record *r;
	struct page *pg;

	if (retry_later(c, e, resp)) {
		response_free(resp);
		return;
	}
	r = record_from(e, resp);
	if (!r) {
		url_finished(c, e->depth);
		lease_done(c, e);
		response_free(resp);
		return;
	}
	r->attempts = e->attempts + 1;
	if (resp->location && r->err == RECORD_ERR_NONE)
		follow_redirect(c, e, r, resp->location);
	else if (moved(resp->status) && r->err == RECORD_ERR_NONE)
		record_set_err(r, RECORD_ERR_HTTP, "redirect without a Location");
	lease_done(c, e);
	if (h && (pg = malloc(sizeof(*pg)))) {
		*pg = (struct page){ .rec = r, .resp = resp, .handler = h };
		outbox_send(&c->pages_out, pg);
		return;
	}
	response_free(resp);
	outbox_send(&c->records_out, r);
}

/* robots.txt answered: the origin's gate opens with its policy, paced by
 * its Crawl-delay (at most --max-delay). */
static void on_robots(struct crawl *c, struct frontier_gate *h,
		      struct response *res)
{
	struct origin *o = origin_new(res->status, res->err, res->err_msg,
				      res->body, res->body_len, c->agent);
	int64_t delay = o ? origin_crawl_delay_ms(o) : -1;

	if (o)
		atomic_fetch_add(&c->sitemaps, origin_sitemaps(o));
	if (delay > c->cfg.max_delay_ms)
		delay = c->cfg.max_delay_ms;
	frontier_open(c->frontier, h, o, delay > 0 ? delay * 1000000 : 0, ctx_now_ns());
	free(h);
	response_free(res);
}

/* fetch_config.done: runs on the fetch thread for every finished
 * transfer. */
static void on_fetched(void *arg, void *tag, unsigned kind, struct response *resp)
{
	if (kind == JOB_ROBOTS)
		on_robots(arg, tag, resp);
	else
		on_page(arg, tag, resp);
}

static void parse_page(struct crawl *c, struct page *pg)
{
	struct record *r = pg->rec;
	struct parse_result pr = { 0 };
	struct batch b = { .parent = r->url, .depth = r->depth + 1 };
	enum handler_status hs = pg->handler->read(pg->resp, r->url, &pr);

	/* The links found before a failure still count; the record says
	 * the page was not read to its end. */
	if (hs == HANDLER_NOMEM || hs == HANDLER_FAILED)
		record_set_err(r, RECORD_ERR_INTERNAL, hs == HANDLER_NOMEM ?
			       "out of memory while parsing the page" :
			       "the HTML parser could not start");
	response_free(pg->resp);
	free(pg);
	if (hs == HANDLER_NOT_MINE) {
		send_record(c, r);
		return;
	}
	r->title = pr.title;
	pr.title = NULL;
	r->nlinks = (long)pr.nlinks;
	r->noindex = pr.noindex;
	if (!pr.nofollow || c->cfg.follow_nofollow) {
		b.links = pr.links;
		b.flags = pr.flags;
		b.n = pr.nlinks;
		admit(c, &b);
	}
	if (c->cfg.links) {
		r->outlinks = pr.links;
		r->noutlinks = pr.nlinks;
		pr.links = NULL;
		pr.nlinks = 0;
	}
	parse_result_release(&pr);
	send_record(c, r);
}

static void *parser_main(void *arg)
{
	struct crawl *c = arg;
	void *item;

	/* After a cancel the pages already fetched are still parsed: they are
	 * results, and admit() queues nothing new by then. */
	while (chan_recv(c->pages, &item, NULL) == CHAN_OK)
		parse_page(c, item);
	return NULL;
}

static void on_written(void *arg, const struct record *r)
{
	url_finished(arg, r->depth);
}

static void gauges(void *arg, size_t *queued, size_t *in_flight)
{
	struct crawl *c = arg;
	struct frontier_counts n;

	frontier_counts(c->frontier, &n);
	*queued = n.queued;
	*in_flight = fetch_pool_in_flight(c->pool);
}

static void on_write_failed(void *arg)
{
	struct crawl *c = arg;

	ctx_cancel(&c->ctx, CRAWL_FAILED);
}

static void wake_fetcher(void *arg)
{
	evloop_wake(arg);
}

/* A URL an earlier run admitted: visited again, and queued unless the
 * output already has its record. */
static void readmit(void *arg, const char *url, const char *parent,
		    unsigned depth)
{
	struct crawl *c = arg;
	char *u = (char *)url;
	bool fresh = false;
	struct frontier_item it = { .url = url, .parent = parent, .depth = depth };
	enum frontier_push_status st;

	if (c->cfg.max_depth >= 0 && depth > (unsigned long)c->cfg.max_depth)
		return;
	if (visited_add_batch(c->visited, &u, 1, &fresh, NULL) != VISITED_OK ||
	    !fresh)
		return;
	if (c->cfg.recorded && visited_has(c->cfg.recorded, url))
		return;
	/* Already journaled: not again. Refused for lack of memory, it would
	 * never be fetched (it is seen): the crawl fails, as in queue(). */
	if (frontier_push_batch(c->frontier, &it, 1, &st) != FRONTIER_OK)
		ctx_cancel(&c->ctx, CRAWL_FAILED);
}

/* The seeds, or, resuming a --state crawl, everything it had admitted. */
static void admit_seeds(struct crawl *c)
{
	struct batch b = { .links = c->seeds, .n = c->nseeds };

	if (c->cfg.journal && journal_entries(c->cfg.journal)) {
		if (journal_replay(c->cfg.journal, readmit, c))
			ctx_cancel(&c->ctx, CRAWL_FAILED);
		evloop_wake(c->loop);
		return;
	}
	admit(c, &b);
}

/* A URL that gets a record without a fetch: out of memory for a transfer,
 * or refused by its origin's policy. */
static void record_unfetched(struct crawl *c, const struct frontier_lease *e,
			     enum record_err err, const char *why)
{
	struct record *r = record_new(e->url, e->parent, e->depth);

	if (!r)
		url_finished(c, e->depth);
	frontier_done(c->frontier, e);
	if (!r)
		return;
	record_set_err(r, err, why);
	r->fetched_at_ms = record_now_ms();
	outbox_send(&c->records_out, r);
}

/* Ask every origin that came up gated for its robots.txt, as far as
 * permits go; it stays shut until on_robots. */
static void start_robots(struct crawl *c)
{
	struct frontier_gate g;

	while (!fetch_pool_full(c->pool) &&
	       frontier_take_gated(c->frontier, &g) == FRONTIER_OK) {
		char url[URL_MAX_LEN + 16];
		struct fetch_request req = {
			.url = url, .tag = hold(&g, sizeof(g)), .kind = JOB_ROBOTS,
			.follow = ROBOTS_REDIRECTS,
			.max_size = ROBOTS_MAX_BYTES, .truncate = true,
		};

		snprintf(url, sizeof(url), "%s/robots.txt", g.origin);
		if (!req.tag || fetch_pool_start(c->pool, &req) != FETCH_STARTED) {
			free(req.tag);
			frontier_open(c->frontier, &g, NULL, 0, ctx_now_ns());
		}
	}
}

/* Start transfers while there are permits, ready origins and pages left
 * under --max-pages. Returns when the next paced origin is ready (monotonic
 * ns), or 0. */
static int64_t start_ready(struct crawl *c)
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

		if (frontier_take_ready(c->frontier, ctx_now_ns(), &wake, &e) !=
		    FRONTIER_OK)
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
		req.tag = hold(&e, sizeof(e));
		if (!req.tag || fetch_pool_start(c->pool, &req) != FETCH_STARTED) {
			free(req.tag);
			record_unfetched(c, &e, RECORD_ERR_INTERNAL, NULL);
		}
	}
	return wake == INT64_MAX ? 0 : wake;
}

/* How long the fetch loop may sleep: until the crawl's deadline or the next
 * paced origin, and no longer than POLL_MS. */
static int sleep_ms(const struct crawl *c, int64_t wake_ns)
{
	int64_t ms = POLL_MS, left = ctx_remaining_ms(&c->ctx);

	if (left >= 0 && left < ms)
		ms = left;
	if (wake_ns) {
		int64_t until = (wake_ns - ctx_now_ns() + 999999) / 1000000;

		if (until < ms)
			ms = until > 0 ? until : 0;
	}
	return (int)ms;
}

/* The fetch loop: returns why it stopped. */
static enum crawl_stop fetch_loop(struct crawl *c)
{
	for (;;) {
		bool limit = c->cfg.max_pages && c->started >= c->cfg.max_pages;
		bool held;
		int64_t wake;

		/* A stop first: transfers it aborted can bring the count
		 * to zero, and that is not a crawl run to its end. */
		if (ctx_err(&c->ctx) == CTX_DEADLINE)
			return CRAWL_MAX_TIME;
		if (ctx_err(&c->ctx) == CTX_CANCELED)
			return (enum crawl_stop)ctx_cause(&c->ctx);
		if (frontier_over(c->frontier))
			return CRAWL_DONE;
		if (limit && fetch_pool_in_flight(c->pool) == 0)
			return CRAWL_MAX_PAGES;
		/* Back-pressure: while the parsers or the writer are behind,
		 * start nothing, and keep driving what is under way. */
		held = !outbox_flush(&c->pages_out);
		held = !outbox_flush(&c->records_out) || held;
		wake = held ? 0 : start_ready(c);
		fetch_pool_run(c->pool, sleep_ms(c, wake));
	}
}

/* The least time between two starts on one origin: --delay, or the gap
 * --max-rate allows, whichever is longer (Crawl-delay adds per origin). */
static void free_origin(void *policy)
{
	origin_free(policy);
}

static int64_t pacing_ns(const struct crawl_config *cfg)
{
	int64_t ns = cfg->delay_ms * 1000000;

	if (cfg->max_rate && 1000000000LL / cfg->max_rate > ns)
		ns = 1000000000LL / cfg->max_rate;
	return ns;
}

static int pipeline_start(struct crawl *c)
{
	struct fetch_config fc = {
		.concurrency = c->cfg.concurrency,
		.per_host = c->cfg.per_host,
		.timeout_ms = c->cfg.timeout_ms,
		.connect_timeout_ms = c->cfg.connect_timeout_ms,
		.max_size = c->cfg.max_size,
		.user_agent = c->cfg.user_agent,
		.headers = c->headers,
		.proxy = c->cfg.proxy,
		.cookies = c->cfg.cookies,
		.insecure = c->cfg.insecure,
		.http11 = c->cfg.http11,
		.keep_body = keep_body,
		.done = on_fetched,
		.arg = c,
	};
	struct frontier_config frc = {
		.per_host = c->cfg.per_host,
		.delay_ns = pacing_ns(&c->cfg),
		.max_per_host = c->cfg.max_pages_per_host,
		.max_depth = c->cfg.max_depth,
		.gated = c->cfg.robots,
		.free_policy = free_origin,
	};
	struct writer_config wc = {
		.fd = c->cfg.out_fd,
		.outlinks = c->cfg.links,
		.progress = c->cfg.progress,
		.verbose = c->cfg.verbose,
		.log = c->cfg.log ? c->cfg.log : stderr,
		.on_record = on_written,
		.gauges = gauges,
		.on_fail = on_write_failed,
		.arg = c,
		.journal = c->cfg.journal,
		.checkpoint_ms = c->cfg.checkpoint_ms,
	};

	c->frontier = frontier_memory_new(&frc);
	c->visited = visited_memory_new();
	c->loop = evloop_new();
	c->pool = c->loop ? fetch_pool_new(&fc, &c->ctx, c->loop) : NULL;
	c->pages = chan_new(c->cfg.parsers * PAGES_PER_PARSER);
	c->results = chan_new(RESULTS_CAP);
	c->parser_threads = calloc(c->cfg.parsers, sizeof(*c->parser_threads));
	if (!c->frontier || !c->visited || !c->pool || !c->pages ||
	    !c->results || !c->parser_threads)
		return -1;
	outbox_init(&c->pages_out, c->pages);
	outbox_init(&c->records_out, c->results);
	chan_on_room(c->pages, wake_fetcher, c->loop);
	chan_on_room(c->results, wake_fetcher, c->loop);
	atomic_store(&c->writer, writer_start(&wc, c->results));
	if (!atomic_load(&c->writer))
		return -1;
	for (; c->nparsers < c->cfg.parsers; c->nparsers++)
		if (pthread_create(&c->parser_threads[c->nparsers], NULL,
				   parser_main, c))
			return -1;
	return 0;
}

/* Close the stages in order, each after the one feeding it has ended, so
 * every fetched page is parsed and every record written; what the fetch
 * thread holds goes in while the next stage still drains. The loop is
 * freed last: the writer and parsers wake it until they end. */
static void pipeline_stop(struct crawl *c, struct crawl_result *out)
{
	if (c->pool)
		fetch_pool_abort_all(c->pool, RECORD_ERR_CANCELED);
	outbox_drain(&c->pages_out);
	if (c->pages)
		chan_close(c->pages);
	for (unsigned i = 0; i < c->nparsers; i++)
		pthread_join(c->parser_threads[i], NULL);
	outbox_drain(&c->records_out);
	if (c->results)
		chan_close(c->results);
	if (atomic_load(&c->writer))
		out->write_errno = writer_join(atomic_load(&c->writer), &out->stats);
	atomic_store(&c->writer, NULL);
	if (c->frontier) {
		struct frontier_counts n;

		frontier_counts(c->frontier, &n);
		out->not_fetched = n.queued;
	}
	fetch_pool_free(c->pool);
	c->pool = NULL;
	evloop_free(c->loop);
	c->loop = NULL;
	outbox_release(&c->pages_out, NULL);
	outbox_release(&c->records_out, NULL);
	chan_free(c->pages, NULL);
	chan_free(c->results, NULL);
	free(c->parser_threads);
	frontier_free(c->frontier);
	visited_free(c->visited);
}

static const char *const skip_names[] = {
#define CRAWL_SKIP_NAME(name, text) text,
	CRAWL_SKIP_MAP(CRAWL_SKIP_NAME)
#undef CRAWL_SKIP_NAME
};

static void summarize(struct crawl *c, struct crawl_result *out)
{
	struct stats_end end = {
		.seconds = out->seconds, .stop = stop_names[out->stop],
		.not_fetched = out->not_fetched, .sitemaps = atomic_load(&c->sitemaps),
		.skipped = out->skipped, .skip_names = skip_names,
		.nskip = CRAWL_SKIP_COUNT,
	};

	for (int i = 0; i < CRAWL_SKIP_COUNT; i++)
		out->skipped[i] = atomic_load(&c->skipped[i]);
	out->summary = stats_summary(&out->stats, &end);
}

int crawl_run(struct crawl *c, struct ctx *parent, struct crawl_result *out)
{
	int64_t t0 = ctx_now_ns();
	int64_t deadline = c->cfg.max_time_ms ? t0 + c->cfg.max_time_ms * 1000000 : 0;
	struct ctx_watch wake = { .fn = wake_fetcher };
	bool watching;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < CRAWL_SKIP_COUNT; i++)
		atomic_store(&c->skipped[i], 0);
	atomic_store(&c->sitemaps, 0);
	c->seed = (unsigned)t0;
	c->started = 0;
	ctx_init(&c->ctx, parent, deadline);
	if (pipeline_start(c)) {
		rc = -1;
		ctx_cancel(&c->ctx, CRAWL_FAILED);
	}
	wake.arg = c->loop;
	watching = c->loop && ctx_watch_add(&c->ctx, &wake);
	if (!rc) {
		admit_seeds(c);
		out->stop = fetch_loop(c);
	}
	if (watching)
		ctx_watch_remove(&c->ctx, &wake);
	pipeline_stop(c, out);
	if (out->write_errno)
		out->stop = CRAWL_FAILED;
	ctx_release(&c->ctx);
	out->seconds = (double)(ctx_now_ns() - t0) / 1e9;
	summarize(c, out);
	return rc;
}

_Noreturn void crawl_halt(struct crawl *c, int status)
{
	writer_halt(atomic_load(&c->writer), status);
}
