/* crawl: the API of crawl.h: wires the pipeline, runs the fetch loop and
 * closes the stages in order (see crawl_impl.h for the files that do the
 * rest).
 *
 * The frontier counts a URL as pending from its push until the writer
 * completes it; links are pushed before the record of the page they came
 * from goes to the writer, so the frontier says the crawl is over only when
 * it truly is.
 *
 * With --max-depth the frontier goes level by level: no URL of depth d+1 is
 * handed out while one of depth d is unfinished. Otherwise a page found
 * first by a longer path (parsers race) would get too large a depth, and
 * the limit would cut off pages that are within reach. */
#include "crawl.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "crawl_impl.h"
#include "evloop.h"
#include "fetch.h"
#include "frontier.h"
#include "origin.h"
#include "robots.h"
#include "url.h"
#include "visited.h"
#include "writer.h"

#define PAGES_PER_PARSER 4   /* fetched bodies waiting per parser thread, at least */
#define RESULTS_CAP 4096     /* records waiting for the writer */
#define POLL_MS 1000         /* longest sleep of the fetch loop */
/* A worker of a shared crawl is not woken by what the others queue or
 * finish: it asks the frontier this often when it has nothing to do. */
#define CLUSTER_POLL_MS 20

const char *const crawl_stop_names[CRAWL_FAILED + 1] = {
#define CRAWL_STOP_NAME(name, text) text,
	CRAWL_STOP_MAP(CRAWL_STOP_NAME)
#undef CRAWL_STOP_NAME
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
		.robots_sitemaps = true,
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

/* Whether s starts with a scheme (RFC 3986 section 3.1) rather than a host
 * and port: "a.test:8080/" and "localhost:80" have none, "ftp://a.test/"
 * and "mailto:x@a.test" have one (and are refused as not http). */
static bool has_scheme(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			     "0123456789+-."), port;

	if (!n || !isalpha((unsigned char)s[0]) || s[n] != ':')
		return false;
	/* Digits up to the end, '/', '?' or '#' are a port. */
	port = strspn(s + n + 1, "0123456789");
	return !port || !strchr("/?#", s[n + 1 + port]);
}

/* Without a scheme, an http URL. One that starts with '/' names no host
 * ("//host/" too, which curl refuses): left as it is, to be refused. */
enum url_status crawl_seed_normalize(const char *seed, char **out)
{
	char *url;
	enum url_status st;

	if (has_scheme(seed) || seed[0] == '/')
		return url_normalize(seed, out);
	if (asprintf(&url, "http://%s", seed) < 0)
		return URL_NOMEM;
	st = url_normalize(url, out);
	free(url);
	return st;
}

/* The seeds in canonical form; a bad one says why in err. */
static enum url_status seeds_init(struct crawl *c, char *err, size_t errlen)
{
	c->seeds = calloc(c->cfg.nseeds + 1, sizeof(*c->seeds));
	if (!c->seeds)
		return URL_NOMEM;
	for (size_t i = 0; i < c->cfg.nseeds; i++) {
		enum url_status st = crawl_seed_normalize(c->cfg.seeds[i], &c->seeds[i]);

		if (st != URL_OK) {
			if (st != URL_NOMEM)
				snprintf(err, errlen, "bad URL '%s': %s",
					 c->cfg.seeds[i], url_strerror(st));
			return st;
		}
		c->nseeds++;
	}
	return URL_OK;
}

/* n strings appended to *list. 0 or ENOMEM. */
static int slist_init(struct curl_slist **list, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct curl_slist *l = curl_slist_append(*list, v[i]);

		if (!l)
			return ENOMEM;
		*list = l;
	}
	return 0;
}

/* 0 or ENOMEM. */
static int headers_init(struct crawl *c)
{
	return slist_init(&c->headers, c->cfg.headers, c->cfg.nheaders) ||
	       slist_init(&c->resolve, c->cfg.resolve, c->cfg.nresolve) ? ENOMEM : 0;
}

/* The cookie files can be read and written, checked now rather than after
 * a long crawl (libcurl would skip an unreadable one without a word): the
 * saved file is a new one renamed into its directory. */
static bool cookie_files_ok(const struct crawl_config *cfg, char *err,
			    size_t errlen)
{
	const char *save = cfg->save_cookies, *slash;
	char dir[4096];

	if (cfg->load_cookies && access(cfg->load_cookies, R_OK)) {
		snprintf(err, errlen, "cannot read cookie file '%s': %s",
			 cfg->load_cookies, strerror(errno));
		return false;
	}
	if (!save)
		return true;
	slash = strrchr(save, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - save) + 1 : 1,
		 slash ? save : ".");
	if (access(dir, W_OK | X_OK)) {
		snprintf(err, errlen, "cannot write cookie file '%s': %s", save,
			 strerror(errno));
		return false;
	}
	return true;
}

struct crawl *crawl_new(const struct crawl_config *cfg, char *err, size_t errlen)
{
	struct crawl *c = calloc(1, sizeof(*c));

	snprintf(err, errlen, "out of memory");
	if (!c)
		return NULL;
	pthread_mutex_init(&c->halt_lock, NULL);
	crawl_lastmods_init(c);
	c->cfg = *cfg;
	if (!cfg->nseeds) {
		snprintf(err, errlen, "no URL given");
		goto fail;
	}
	if (!cfg->concurrency || !cfg->per_host || !cfg->parsers) {
		snprintf(err, errlen, "concurrency, per-host and parsers must be at least 1");
		goto fail;
	}
	if (!cookie_files_ok(cfg, err, errlen))
		goto fail;
	if (seeds_init(c, err, errlen) != URL_OK ||
	    crawl_sitemaps_init(c, err, errlen) != URL_OK || headers_init(c) ||
	    (cfg->user && crawl_auth_init(c)))
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
	crawl_sitemaps_release(c);
	crawl_lastmods_release(c);
	scope_free(c->scope);
	curl_slist_free_all(c->headers);
	curl_slist_free_all(c->resolve);
	for (size_t i = 0; i < c->nauth_origins; i++)
		free(c->auth_origins[i]);
	free(c->auth_origins);
	pthread_mutex_destroy(&c->halt_lock);
	free(c);
}

/* One admitted URL is finished with: its record was written, or could not
 * even be made. The last one, or the last of a level, wakes the fetch loop
 * to end the crawl or start the next level. A worker's URL is completed
 * as its records are, by its lease's token, with nothing to publish (a
 * completion by depth alone would leave its lease held and renewed). */
void crawl_url_finished(struct crawl *c, unsigned depth, uint64_t ticket)
{
	struct frontier_result none = { .ticket = ticket, .depth = depth };
	bool ended = false;

	if (!c->cfg.cluster)
		ended = frontier_complete(c->frontier, depth);
	else if (frontier_complete_batch(c->frontier, &none, 1, &ended) != FRONTIER_OK)
		ctx_cancel(&c->ctx, CRAWL_FAILED);
	if (ended)
		evloop_wake(c->loop);
}

static void on_written(void *arg, const struct record *r)
{
	crawl_url_finished(arg, r->depth, r->ticket);
}

static void gauges(void *arg, size_t *queued, size_t *in_flight)
{
	struct crawl *c = arg;
	struct frontier_counts n;

	/* From the frontier, which is thread-safe: the fetch pool belongs to
	 * the fetch thread alone. */
	frontier_counts(c->frontier, &n);
	*queued = n.queued;
	*in_flight = n.leased;
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

/* How long the fetch loop may sleep: until the crawl's deadline or the next
 * paced origin, and no longer than POLL_MS. */
static int sleep_ms(const struct crawl *c, int64_t wake_ns)
{
	int64_t ms = c->cfg.cluster ? CLUSTER_POLL_MS : POLL_MS;
	int64_t left = ctx_remaining_ms(&c->ctx);

	if (left >= 0 && left < ms)
		ms = left;
	if (wake_ns) {
		int64_t until = (wake_ns - ctx_now_ns() + 999999) / 1000000;

		if (until < ms)
			ms = until > 0 ? until : 0;
	}
	return (int)ms;
}

/* URLs started against --max-pages: by this process, or by the whole
 * crawl when it is shared (the frontier hands out no more past it). */
static uint64_t pages_started(struct crawl *c)
{
	struct frontier_counts n;

	if (!c->cfg.cluster)
		return c->started;
	frontier_counts(c->frontier, &n);
	return n.taken;
}

/* The fetch loop: returns why it stopped. */
static enum crawl_stop fetch_loop(struct crawl *c)
{
	for (;;) {
		bool limit = c->cfg.max_pages && pages_started(c) >= c->cfg.max_pages;
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
		wake = held ? 0 : crawl_schedule(c);
		fetch_pool_run(c->pool, sleep_ms(c, wake));
	}
}

static void free_origin(void *policy)
{
	origin_free(policy);
}

/* writer_config.publish: a worker's records to the crawl's results, their
 * URLs completed. */
static int publish(void *arg, const struct frontier_result *r, size_t n)
{
	struct crawl *c = arg;
	bool ended;

	switch (frontier_complete_batch(c->frontier, r, n, &ended)) {
	case FRONTIER_OK:
		if (ended)
			evloop_wake(c->loop);
		return 0;
	case FRONTIER_NOMEM:
		return ENOMEM;
	default:
		return ECONNABORTED;
	}
}

/* The shared crawl's frontier (visited set included: frontier_admits). */
static struct frontier *cluster_frontier(struct crawl *c,
					 const struct frontier_config *base)
{
	const struct crawl_cluster *cl = c->cfg.cluster;
	struct frontier_config frc = *base;
	char err[256];
	struct frontier *f;

	frc.max_pages = c->cfg.max_pages;
	frc.hold = true;
	frc.renew = true;
	frc.lease_ttl_ns = cl->lease_ttl_ns;
	frc.clock_offset_ns = cl->clock_offset_ns;
	frc.load_policy = crawl_robots_load;
	frc.policy_arg = c;
	f = frontier_redis_new(cl->redis_url, cl->name, &frc, err, sizeof(err));
	if (!f)
		fprintf(c->cfg.log ? c->cfg.log : stderr, "crawler: %s\n", err);
	return f;
}

/* The least time between two starts on one origin: --delay, or the gap
 * --max-rate allows, whichever is longer (Crawl-delay adds per origin). */
static int64_t pacing_ns(const struct crawl_config *cfg)
{
	int64_t ns = cfg->delay_ms * 1000000;

	if (cfg->max_rate && 1000000000LL / cfg->max_rate > ns)
		ns = 1000000000LL / cfg->max_rate;
	return ns;
}

/* Pages waiting for the parsers: as many as transfers may be in flight.
 * When many transfers end at once (hosts of the same latency answer in
 * waves), a smaller channel held the fetch thread back from starting the
 * next wave until the parsers had caught up with this one (68% of the
 * best rate at -c 2048); this one lets fetching and parsing overlap, and
 * still bounds the bodies waiting by --concurrency. */
static size_t pages_cap(const struct crawl_config *cfg)
{
	size_t n = (size_t)cfg->parsers * PAGES_PER_PARSER;

	return n > cfg->concurrency ? n : cfg->concurrency;
}

/* Records waiting for the writer. With --warc each carries its exchange,
 * a body up to --max-size: as many as pages may wait for the parsers, so
 * the archive's queue is bounded by --concurrency as the transfers are,
 * not by thousands of bodies. */
static size_t results_cap(const struct crawl *c)
{
	return crawl_archives(c) ? pages_cap(&c->cfg) : RESULTS_CAP;
}

bool crawl_archives(const struct crawl *c)
{
	return c->cfg.warc || (c->cfg.cluster && c->cfg.cluster->archive);
}

static enum crawl_status pipeline_start(struct crawl *c)
{
	struct fetch_config fc = {
		.concurrency = c->cfg.concurrency,
		.per_host = c->cfg.per_host,
		.timeout_ms = c->cfg.timeout_ms,
		.connect_timeout_ms = c->cfg.connect_timeout_ms,
		.max_size = c->cfg.max_size,
		.user_agent = c->cfg.user_agent,
		.headers = c->headers,
		.resolve = c->resolve,
		.user = c->cfg.user,
		.password = c->cfg.password,
		.limit_rate = c->cfg.limit_rate,
		.load_cookies = c->cfg.load_cookies,
		.proxy = c->cfg.proxy,
		.cookies = c->cfg.cookies || c->cfg.load_cookies || c->cfg.save_cookies,
		.insecure = c->cfg.insecure,
		.ca_file = c->cfg.ca_file,
		.ca_dir = c->cfg.ca_dir,
		.client_cert = c->cfg.client_cert,
		.client_key = c->cfg.client_key,
		.http11 = c->cfg.http11,
		.archive = crawl_archives(c),
		.keep_body = crawl_keep_body,
		.done = crawl_on_fetched,
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
		.warc = c->cfg.warc,
		.checkpoint_ms = c->cfg.checkpoint_ms,
		.publish = c->cfg.cluster ? publish : NULL,
	};

	if (c->cfg.cluster) {
		c->frontier = cluster_frontier(c, &frc);
	} else {
		c->frontier = (c->cfg.new_frontier ? c->cfg.new_frontier :
						     frontier_memory_new)(&frc);
		c->visited = (c->cfg.new_visited ? c->cfg.new_visited :
						   visited_memory_new)();
	}
	c->loop = evloop_new();
	c->pool = c->loop ? fetch_pool_new(&fc, &c->ctx, c->loop) : NULL;
	c->pages = chan_new(pages_cap(&c->cfg));
	c->results = chan_new(results_cap(c));
	c->parser_threads = calloc(c->cfg.parsers, sizeof(*c->parser_threads));
	if (!c->frontier || (!c->visited && !c->cfg.cluster) || !c->pool || !c->pages ||
	    !c->results || !c->parser_threads)
		return CRAWL_NOT_STARTED;
	outbox_init(&c->pages_out, c->pages);
	outbox_init(&c->records_out, c->results);
	chan_on_room(c->pages, wake_fetcher, c->loop);
	chan_on_room(c->results, wake_fetcher, c->loop);
	pthread_mutex_lock(&c->halt_lock);
	c->writer = writer_start(&wc, c->results);
	pthread_mutex_unlock(&c->halt_lock);
	if (!c->writer)
		return CRAWL_NOT_STARTED;
	for (; c->nparsers < c->cfg.parsers; c->nparsers++)
		if (pthread_create(&c->parser_threads[c->nparsers], NULL,
				   crawl_parser_main, c))
			return CRAWL_NOT_STARTED;
	return CRAWL_OK;
}

/* The writer, no longer reachable by crawl_halt: a second signal during
 * writer_join still finds it whole, one after this finds none. */
static struct writer *writer_detach(struct crawl *c)
{
	struct writer *w;

	pthread_mutex_lock(&c->halt_lock);
	w = c->writer;
	c->writer = NULL;
	pthread_mutex_unlock(&c->halt_lock);
	return w;
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
	if (c->writer)
		out->write_errno = writer_join(c->writer, &out->stats);
	writer_free(writer_detach(c));
	if (c->frontier) {
		struct frontier_counts n;

		frontier_counts(c->frontier, &n);
		out->not_fetched = n.queued;
	}
	/* After the aborts: the jar holds all that any transfer set. */
	if (c->pool && c->cfg.save_cookies)
		out->cookies_errno = fetch_pool_save_cookies(c->pool,
							     c->cfg.save_cookies);
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

const char *const crawl_skip_names[CRAWL_SKIP_COUNT] = {
#define CRAWL_SKIP_NAME(name, text) text,
	CRAWL_SKIP_MAP(CRAWL_SKIP_NAME)
#undef CRAWL_SKIP_NAME
};

static void summarize(struct crawl *c, struct crawl_result *out)
{
	struct stats_end end = {
		.seconds = out->seconds, .stop = crawl_stop_names[out->stop],
		.not_fetched = out->not_fetched, .sitemaps = atomic_load(&c->sitemaps),
		.skipped = out->skipped, .skip_names = crawl_skip_names,
		.nskip = CRAWL_SKIP_COUNT,
	};

	for (int i = 0; i < CRAWL_SKIP_COUNT; i++)
		out->skipped[i] = atomic_load(&c->skipped[i]);
	out->summary = stats_summary(&out->stats, &end);
	out->report = stats_report(&out->stats, &end);
}

void crawl_result_release(struct crawl_result *res)
{
	free(res->summary);
	free(res->report);
	res->summary = res->report = NULL;
}

enum crawl_status crawl_run(struct crawl *c, struct ctx *parent,
			    struct crawl_result *out)
{
	int64_t t0 = ctx_now_ns();
	int64_t deadline = c->cfg.max_time_ms ? t0 + c->cfg.max_time_ms * 1000000 : 0;
	struct ctx_watch wake = { .fn = wake_fetcher };
	bool watching;
	enum crawl_status rc;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < CRAWL_SKIP_COUNT; i++)
		atomic_store(&c->skipped[i], 0);
	atomic_store(&c->sitemaps, 0);
	c->seed = (unsigned)t0;
	c->started = 0;
	ctx_init(&c->ctx, parent, deadline);
	rc = pipeline_start(c);
	if (rc != CRAWL_OK)
		ctx_cancel(&c->ctx, CRAWL_FAILED);
	wake.arg = c->loop;
	watching = c->loop && ctx_watch_add(&c->ctx, &wake) == CTX_OK;
	if (rc == CRAWL_OK) {
		crawl_admit_seeds(c);
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

/* Never unlocks halt_lock: the writer cannot be freed under writer_halt,
 * which does not return. */
_Noreturn void crawl_halt(struct crawl *c, int status)
{
	pthread_mutex_lock(&c->halt_lock);
	writer_halt(c->writer, status);
}
