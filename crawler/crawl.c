/* crawl: wires the pipeline (see crawl.h for the picture) and runs the
 * fetch loop.
 *
 * Threads: the caller's thread runs the fetch loop and owns the fetch pool;
 * `parsers` threads parse pages; one writer thread writes records. Shared
 * between them: the frontier and the visited set (each with its own lock,
 * never held together), the two channels, and the atomic `outstanding`
 * count. Admitting links always raises `outstanding` before the record of
 * the page they came from goes to the writer, which lowers it: so it reaches
 * zero only when the crawl is truly over.
 *
 * With --max-depth the crawl goes level by level: no URL of depth d+1 is
 * fetched while one of depth d is unfinished. Otherwise a page found first
 * by a longer path (parsers race) would get too large a depth, and the
 * limit would cut off pages that are within reach. */
#include "crawl.h"

#include <curl/curl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "chan.h"
#include "ctx.h"
#include "fetch.h"
#include "frontier.h"
#include "parse.h"
#include "record.h"
#include "url.h"
#include "visited.h"
#include "writer.h"

#define PAGES_PER_PARSER 4   /* fetched bodies waiting per parser thread */
#define RESULTS_CAP 4096     /* records waiting for the writer */
#define POLL_MS 1000         /* longest sleep of the fetch loop */

static const char *const stop_names[] = {
#define CRAWL_STOP_NAME(name, text) text,
	CRAWL_STOP_MAP(CRAWL_STOP_NAME)
#undef CRAWL_STOP_NAME
};

/* A fetched HTML body on its way to a parser; owns both. */
struct page {
	struct record *rec;
	struct fetch_result *res;
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
	struct fetch_pool *pool;
	struct chan *pages;           /* fetch -> parsers */
	struct chan *results;         /* fetch, parsers -> writer */
	_Atomic(struct writer *) writer;
	pthread_t *parser_threads;
	unsigned nparsers;
	atomic_size_t outstanding;    /* admitted, record not yet written */
	atomic_size_t *level_left;    /* with --max-depth: the same, per depth */
	unsigned level;               /* with --max-depth: depth being fetched */
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
		.scope = SCOPE_HOST,
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
	c->scope = scope_new(cfg->scope, c->seeds, c->nseeds);
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

/* Queue the fresh ones among links (canonical URLs found on parent, or its
 * redirect target) at depth. Returns how many were queued. */
static size_t admit(struct crawl *c, const char *parent, unsigned depth,
		    char *const *links, size_t n)
{
	char **in = malloc((n + 1) * sizeof(*in));
	bool *fresh = malloc(n + 1);
	size_t nin = 0, queued = 0;

	if (c->cfg.max_depth >= 0 && depth > (unsigned long)c->cfg.max_depth)
		n = 0;
	if (!in || !fresh || ctx_done(&c->ctx))
		n = 0;
	for (size_t i = 0; i < n; i++)
		if (!parent || scope_allows(c->scope, links[i]))
			in[nin++] = links[i];
	if (nin && visited_add_batch(c->visited, in, nin, fresh) != (size_t)-1) {
		for (size_t i = 0; i < nin; i++) {
			if (!fresh[i])
				continue;
			/* Counted before it can be popped, fetched and
			 * written, so the count cannot touch zero early. */
			atomic_fetch_add(&c->outstanding, 1);
			if (c->level_left)
				atomic_fetch_add(&c->level_left[depth], 1);
			if (!frontier_push(c->frontier, in[i], parent, depth)) {
				queued++;
				continue;
			}
			if (c->level_left)
				atomic_fetch_sub(&c->level_left[depth], 1);
			atomic_fetch_sub(&c->outstanding, 1);
		}
	}
	free(in);
	free(fresh);
	if (queued)
		fetch_pool_wakeup(c->pool);
	return queued;
}

static void send_record(struct crawl *c, struct record *r)
{
	/* No ctx: a fetched result is never dropped, and the writer drains
	 * until the channel is closed, so this cannot block for ever. */
	chan_send(c->results, r, NULL);
}

/* One admitted URL is finished with: its record was written, or could not
 * even be made. The last one wakes the fetch loop to end the crawl. */
static void url_finished(struct crawl *c, unsigned depth)
{
	bool level_over = c->level_left &&
			  atomic_fetch_sub(&c->level_left[depth], 1) == 1;

	if (atomic_fetch_sub(&c->outstanding, 1) == 1 || level_over)
		fetch_pool_wakeup(c->pool);
}

static struct record *record_from(const struct frontier_entry *e,
				  struct fetch_result *res)
{
	struct record *r = record_new(e->url, e->parent, e->depth);

	if (!r)
		return NULL;
	r->status = res->status;
	r->content_type = res->content_type;
	res->content_type = NULL;
	r->bytes = res->bytes;
	r->fetched_at_ms = res->fetched_at_ms;
	r->elapsed_ms = res->elapsed_ms;
	r->err = res->err;
	r->err_msg = res->err_msg;
	res->err_msg = NULL;
	return r;
}

/* A 3xx: record its target, and queue it like a link of the same depth. */
static void follow_redirect(struct crawl *c, struct record *r, const char *raw)
{
	char *target = NULL;

	if (url_resolve(r->url, raw, &target) != URL_OK)
		return;
	r->location = target;
	admit(c, r->url, r->depth, &target, 1);
}

/* fetch_done_fn: runs on the fetch thread for every finished transfer. */
static void on_fetched(void *arg, struct fetch_result *res)
{
	struct crawl *c = arg;
	struct frontier_entry *e = res->tag;
	struct record *r = record_from(e, res);
	struct page *pg;

	if (!r) {
		url_finished(c, e->depth);
		frontier_done(c->frontier, e);
		fetch_result_free(res);
		return;
	}
	frontier_done(c->frontier, e);
	if (res->location && r->err == RECORD_ERR_NONE)
		follow_redirect(c, r, res->location);
	if (res->body && (pg = malloc(sizeof(*pg)))) {
		pg->rec = r;
		pg->res = res;
		chan_send(c->pages, pg, NULL);
		return;
	}
	fetch_result_free(res);
	send_record(c, r);
}

static char *charset_of(const char *content_type)
{
	const char *p = content_type ? strcasestr(content_type, "charset=") : NULL;
	size_t n;

	if (!p)
		return NULL;
	p += 8;
	if (*p == '"')
		p++;
	n = strcspn(p, "\"; \t");
	return n ? strndup(p, n) : NULL;
}

static void parse_page(struct crawl *c, struct page *pg)
{
	struct record *r = pg->rec;
	struct parse_result pr = { 0 };
	char *charset = charset_of(r->content_type);

	parse_html(pg->res->body, pg->res->body_len, r->url, charset, &pr);
	free(charset);
	fetch_result_free(pg->res);
	free(pg);
	r->title = pr.title;
	pr.title = NULL;
	r->nlinks = (long)pr.nlinks;
	admit(c, r->url, r->depth + 1, pr.links, pr.nlinks);
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

	*queued = frontier_len(c->frontier);
	*in_flight = fetch_pool_in_flight(c->pool);
}

static void on_write_failed(void *arg)
{
	struct crawl *c = arg;

	ctx_cancel(&c->ctx, CRAWL_FAILED);
}

static void wake_fetcher(void *arg)
{
	fetch_pool_wakeup(arg);
}

static void admit_seeds(struct crawl *c)
{
	admit(c, NULL, 0, c->seeds, c->nseeds);
}

/* The deepest depth whose URLs may be fetched now. */
static unsigned ready_depth(struct crawl *c)
{
	if (!c->level_left)
		return UINT_MAX;
	while (c->level <= (unsigned long)c->cfg.max_depth &&
	       atomic_load(&c->level_left[c->level]) == 0)
		c->level++;
	return c->level;
}

/* Out of memory for a transfer: the URL still gets its record. */
static void record_unfetchable(struct crawl *c, struct frontier_entry *e)
{
	struct record *r = record_new(e->url, e->parent, e->depth);

	if (!r)
		url_finished(c, e->depth);
	frontier_done(c->frontier, e);
	if (!r)
		return;
	r->err = RECORD_ERR_INTERNAL;
	send_record(c, r);
}

/* Start transfers while there are permits, ready hosts and pages left
 * under --max-pages. */
static void start_ready(struct crawl *c)
{
	while (!fetch_pool_full(c->pool) &&
	       (!c->cfg.max_pages || c->started < c->cfg.max_pages)) {
		struct frontier_entry *e = frontier_pop(c->frontier, ready_depth(c));

		if (!e)
			return;
		c->started++;
		if (fetch_pool_start(c->pool, e->url, e) != FETCH_STARTED)
			record_unfetchable(c, e);
	}
}

/* The fetch loop: returns why it stopped. */
static enum crawl_stop fetch_loop(struct crawl *c)
{
	for (;;) {
		int64_t left = ctx_remaining_ms(&c->ctx);
		bool limit = c->cfg.max_pages && c->started >= c->cfg.max_pages;

		if (atomic_load(&c->outstanding) == 0)
			return CRAWL_DONE;
		if (ctx_err(&c->ctx) == CTX_DEADLINE)
			return CRAWL_MAX_TIME;
		if (ctx_err(&c->ctx) == CTX_CANCELED)
			return (enum crawl_stop)ctx_cause(&c->ctx);
		if (limit && fetch_pool_in_flight(c->pool) == 0)
			return CRAWL_MAX_PAGES;
		start_ready(c);
		fetch_pool_run(c->pool, left >= 0 && left < POLL_MS ? (int)left : POLL_MS);
	}
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
	};

	c->frontier = frontier_new(c->cfg.per_host);
	c->visited = visited_new();
	c->pool = fetch_pool_new(&fc, &c->ctx, on_fetched, c);
	c->pages = chan_new(c->cfg.parsers * PAGES_PER_PARSER);
	c->results = chan_new(RESULTS_CAP);
	c->parser_threads = calloc(c->cfg.parsers, sizeof(*c->parser_threads));
	if (c->cfg.max_depth >= 0) {
		c->level_left = calloc((size_t)c->cfg.max_depth + 1, sizeof(*c->level_left));
		if (!c->level_left)
			return -1;
	}
	if (!c->frontier || !c->visited || !c->pool || !c->pages ||
	    !c->results || !c->parser_threads)
		return -1;
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
 * every fetched page is parsed and every record written. The pool is freed
 * last: the writer and parsers wake it until they end. */
static void pipeline_stop(struct crawl *c, struct crawl_result *out)
{
	if (c->pool)
		fetch_pool_abort_all(c->pool, RECORD_ERR_CANCELED);
	if (c->pages)
		chan_close(c->pages);
	for (unsigned i = 0; i < c->nparsers; i++)
		pthread_join(c->parser_threads[i], NULL);
	if (c->results)
		chan_close(c->results);
	if (atomic_load(&c->writer))
		out->write_errno = writer_join(atomic_load(&c->writer), &out->stats);
	atomic_store(&c->writer, NULL);
	out->not_fetched = c->frontier ? frontier_len(c->frontier) : 0;
	fetch_pool_free(c->pool);
	c->pool = NULL;
	chan_free(c->pages, NULL);
	chan_free(c->results, NULL);
	free(c->parser_threads);
	free(c->level_left);
	c->level_left = NULL;
	frontier_free(c->frontier);
	visited_free(c->visited);
}

int crawl_run(struct crawl *c, struct ctx *parent, struct crawl_result *out)
{
	int64_t t0 = ctx_now_ns();
	int64_t deadline = c->cfg.max_time_ms ? t0 + c->cfg.max_time_ms * 1000000 : 0;
	struct ctx_watch wake = { .fn = wake_fetcher };
	bool watching;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	atomic_store(&c->outstanding, 0);
	c->started = 0;
	c->level = 0;
	ctx_init(&c->ctx, parent, deadline);
	if (pipeline_start(c)) {
		rc = -1;
		ctx_cancel(&c->ctx, CRAWL_FAILED);
	}
	wake.arg = c->pool;
	watching = c->pool && ctx_watch_add(&c->ctx, &wake);
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
	out->summary = stats_summary(&out->stats, out->seconds, out->not_fetched,
				     stop_names[out->stop]);
	return rc;
}

_Noreturn void crawl_halt(struct crawl *c, int status)
{
	writer_halt(atomic_load(&c->writer), status);
}
