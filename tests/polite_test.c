/* Integration: politeness and link-following rules, through the crawl API
 * against testsrv on 127.0.0.x.
 *
 * Pins down what man/crawler.1 promises a site owner and a user: robots.txt
 * (group choice, once per origin and first, 5xx, redirects, --no-robots,
 * Crawl-delay, the User-Agent it is asked with), pacing per origin (--delay,
 * --max-rate, one origin waiting does not hold up another), retries
 * (backoff, Retry-After, timeouts, the last answer recorded), redirect
 * chains (--max-redirects, loops), crawler traps, nofollow and the robots
 * <meta>, meta refresh, <base href>, charsets, IDN links, --include,
 * --exclude, --no-parent, --resources, --max-pages-per-host, binary bodies
 * served as HTML, and --cookies.
 *
 * Every assertion reads the server's own log (which paths, how often, when,
 * with which headers) or the records and summary written. Timing is only
 * ever asserted as "at least" a gap, from the server's arrival stamps
 * (CLOCK_MONOTONIC, shared by every server in the process), less a quarter
 * for jitter (see at_least); no upper bound is tighter than several
 * seconds. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl.h"
#include "crawlrun.h"
#include "parse.h"
#include "testsrv.h"

#define HTML(body) "<!doctype html><html><head><title>t</title></head><body>" body "</body></html>"
#define MS 1000000LL /* nanoseconds */

/* A gap of at least ms between two arrivals, as the server stamps them. The
 * crawler spaces the starts of requests; each arrival then lags its start by
 * however long the server's connection thread takes to be scheduled: a few
 * ms on a loaded machine, now and then tens of ms (an allowance of 5 ms,
 * then of a fifth of the gap, flaked in parallel runs of the whole suite on
 * a busy machine). A quarter of the gap covers that, and still tells pacing
 * from none (about 1 ms) or from half the pacing asked for. */
static int64_t at_least(int64_t ms)
{
	return (ms - ms / 4) * MS;
}

typedef void (*tweak_fn)(struct crawl_config *);

TestSuite(polite, .init = run_setup, .timeout = 60);

/* ---- crawling and reading back --------------------------------------- */

/* Small timeouts so no test waits long, and a fast retry backoff. */
static void config(struct crawl_config *cfg, char **seeds, size_t n)
{
	run_config(cfg, seeds, n);
	cfg->retry_base_ms = 50;
}

/* Crawl srv from path, with the config tweaked. */
static struct run crawl_at(struct testsrv *srv, const char *path, tweak_fn tweak)
{
	struct crawl_config cfg;
	struct run run;
	char *seed = testsrv_url(srv, path);

	config(&cfg, &seed, 1);
	if (tweak)
		tweak(&cfg);
	run_crawl(&cfg, &run);
	free(seed);
	return run;
}

/* Serve routes on 127.0.0.1 and crawl them from "/". */
static struct run crawl_routes(struct testsrv **srv, const struct testsrv_route *routes,
			       size_t n, tweak_fn tweak)
{
	*srv = testsrv_start("127.0.0.1", routes, n, NULL, NULL);
	return crawl_at(*srv, "/", tweak);
}

/* Refused by robots.txt: recorded (status null, attempts 0, kind robots),
 * never requested. */
static void expect_refused(struct testsrv *srv, struct run *run, const char *path)
{
	json_t *r = record_at(srv, run, path);

	cr_expect(json_is_null(json_object_get(r, "status")), "%s: status not null", path);
	cr_expect_eq(rec_int(r, "attempts"), 0, "%s: attempts %lld", path,
		     rec_int(r, "attempts"));
	cr_expect(rec_err(r) && !strcmp(rec_err(r), "robots"), "%s: error %s, want robots",
		  path, rec_err(r));
	cr_expect_eq(testsrv_hits(srv, path), 0, "%s was requested", path);
}

/* The summary's skipped count for reason, 0 when absent; it must agree
 * with the result's own count. */
static long skipped(const struct run *run, const char *reason, enum crawl_skip k)
{
	long v = (long)run_skipped(run, reason);

	cr_expect_eq((unsigned long long)v, (unsigned long long)run->res.skipped[k],
		     "summary says %ld %s, the result %llu", v, reason,
		     (unsigned long long)run->res.skipped[k]);
	return v;
}

/* ---- the server's clock ---------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Arrival times of every request to srv but /robots.txt, sorted. */
static size_t page_times(struct testsrv *srv, int64_t **out)
{
	struct testsrv_request *log;
	size_t n = testsrv_log(srv, &log), k = 0;
	int64_t *t = malloc((n + 1) * sizeof(*t));

	for (size_t i = 0; i < n; i++)
		if (strcmp(log[i].path, "/robots.txt"))
			t[k++] = log[i].at_ns;
	testsrv_log_free(log, n);
	qsort(t, k, sizeof(*t), cmp_i64);
	*out = t;
	return k;
}

/* npages page requests reached srv, each at least min_ms after the one
 * before. */
static void expect_spaced(struct testsrv *srv, size_t npages, int64_t min_ms)
{
	int64_t *t;
	size_t n = page_times(srv, &t);

	cr_expect_eq(n, npages, "%zu page requests, want %zu", n, npages);
	for (size_t i = 1; i < n; i++)
		cr_expect_geq(t[i] - t[i - 1], at_least(min_ms),
			      "requests %zu and %zu only %.1f ms apart, want %lld", i - 1,
			      i, (double)(t[i] - t[i - 1]) / MS, (long long)min_ms);
	free(t);
}

/* Arrival time of the nth request for path (from 0), or -1. */
static int64_t nth_arrival(struct testsrv *srv, const char *path, size_t nth)
{
	struct testsrv_request *log;
	size_t n = testsrv_log(srv, &log);
	int64_t at = -1;

	for (size_t i = 0; i < n && at < 0; i++)
		if (!strcmp(log[i].path, path) && nth-- == 0)
			at = log[i].at_ns;
	testsrv_log_free(log, n);
	return at;
}

/* ---- robots.txt -------------------------------------------------------- */

#define TEXT "text/plain"

Test(polite, robots_own_group_beats_star)
{
	static const struct testsrv_route routes[] = {
		{ "/robots.txt", { .content_type = TEXT,
				   .body = "User-agent: *\nDisallow: /\n\n"
					   "User-agent: crawler\nDisallow: /private\n" } },
		{ "/", { .body = HTML("<a href='/a'>a</a><a href='/private/x'>p</a>") } },
		{ "/a", { .body = HTML("a") } },
		{ "/private/x", { .body = HTML("secret") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 4, NULL);

	cr_expect_eq(run.n, 3, "records: %zu", run.n);
	expect_record(srv, &run, "/", 200, NULL);
	expect_record(srv, &run, "/a", 200, NULL);
	cr_expect_eq(testsrv_hits(srv, "/a"), 1);
	expect_refused(srv, &run, "/private/x");
	run_free(&run);
	testsrv_stop(srv);
}

Test(polite, robots_star_group_applies_to_us)
{
	static const struct testsrv_route routes[] = {
		{ "/robots.txt", { .content_type = TEXT,
				   .body = "User-agent: *\nDisallow: /b" } },
		{ "/", { .body = HTML("<a href='/a'>a</a><a href='/b'>b</a>") } },
		{ "/a", { .body = HTML("a") } },
		{ "/b", { .body = HTML("b") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 4, NULL);

	cr_expect_eq(run.n, 3, "records: %zu", run.n);
	expect_record(srv, &run, "/a", 200, NULL);
	cr_expect_eq(testsrv_hits(srv, "/a"), 1);
	expect_refused(srv, &run, "/b");
	run_free(&run);
	testsrv_stop(srv);
}

static void scope_any(struct crawl_config *cfg)
{
	cfg->scope.mode = SCOPE_ANY;
}

/* robots.txt answers after this long: any other request before its answer
 * arrives at least this much sooner than it should. */
#define ROBOTS_SLOW_MS 200
#define SLOW_ROBOTS { "/robots.txt", { .content_type = TEXT, .delay_ms = ROBOTS_SLOW_MS, \
				       .body = "User-agent: *\nDisallow:\n" } }

/* The log of srv starts with its one /robots.txt, every other request came
 * after its (slow) answer, and there are n requests. */
static void expect_robots_first(struct testsrv *srv, size_t n)
{
	struct testsrv_request *log;
	size_t got = testsrv_log(srv, &log);

	cr_assert_gt(got, 0);
	cr_expect_str_eq(log[0].path, "/robots.txt");
	cr_expect_eq(got, n, "%zu requests, want %zu", got, n);
	for (size_t i = 1; i < got; i++)
		cr_expect_geq(log[i].at_ns - log[0].at_ns, at_least(ROBOTS_SLOW_MS),
			      "%s asked for %.1f ms after robots.txt, before its answer",
			      log[i].path, (double)(log[i].at_ns - log[0].at_ns) / MS);
	testsrv_log_free(log, got);
	cr_expect_eq(testsrv_hits(srv, "/robots.txt"), 1);
}

Test(polite, robots_txt_requested_once_per_origin_first)
{
	static const struct testsrv_route b_routes[] = {
		SLOW_ROBOTS,
		{ "/x", { .body = HTML("<a href='/y'>y</a><a href='/z'>z</a>") } },
		{ "/y", { .body = HTML("<a href='/x'>x</a>") } },
		{ "/z", { .body = HTML("z") } },
		{ "/w", { .body = HTML("w") } },
	};
	struct testsrv *b = testsrv_start("127.0.0.2", b_routes, 5, NULL, NULL);
	char *bx = testsrv_url(b, "/x"), *by = testsrv_url(b, "/y");
	char *bw = testsrv_url(b, "/w");
	char body[1024];
	struct testsrv_route routes[] = {
		SLOW_ROBOTS,
		{ "/", { .body = body } },
		{ "/a", { .body = HTML("a") } },
	};
	struct testsrv *a;
	struct run run;

	/* Three URLs of B at once: with 8 transfers per origin they could
	 * all go before its robots.txt. */
	snprintf(body, sizeof(body),
		 HTML("<a href='%s'>x</a><a href='%s'>y</a><a href='%s'>w</a><a href='/a'>a</a>"),
		 bx, by, bw);
	run = crawl_routes(&a, routes, 3, scope_any);
	cr_expect_eq(run.n, 6, "records: %zu", run.n);
	cr_expect_eq(rec_status(run_must_find(&run, bw)), 200);
	expect_robots_first(a, 3);
	expect_robots_first(b, 5);
	free(bx);
	free(by);
	free(bw);
	run_free(&run);
	testsrv_stop(a);
	testsrv_stop(b);
}

Test(polite, robots_5xx_refuses_the_whole_origin)
{
	static const struct testsrv_route routes[] = {
		{ "/robots.txt", { .status = 503, .content_type = TEXT, .body = "busy" } },
		{ "/", { .body = HTML("<a href='/a'>a</a>") } },
		{ "/a", { .body = HTML("a") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 3, NULL);

	cr_expect_eq(run.n, 1, "records: %zu", run.n);
	expect_refused(srv, &run, "/");
	cr_expect_eq(testsrv_nrequests(srv), 1, "%zu requests", testsrv_nrequests(srv));
	cr_expect_eq(testsrv_hits(srv, "/robots.txt"), 1);
	run_free(&run);
	testsrv_stop(srv);
}

Test(polite, robots_redirect_is_followed)
{
	static const struct testsrv_route routes[] = {
		{ "/robots.txt", { .status = 301, .location = "/real-robots.txt" } },
		{ "/real-robots.txt", { .content_type = TEXT,
					.body = "User-agent: *\nDisallow: /secret\n" } },
		{ "/", { .body = HTML("<a href='/a'>a</a><a href='/secret'>s</a>") } },
		{ "/a", { .body = HTML("a") } },
		{ "/secret", { .body = HTML("s") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 5, NULL);

	cr_expect_eq(run.n, 3, "records: %zu", run.n);
	expect_record(srv, &run, "/a", 200, NULL);
	expect_refused(srv, &run, "/secret");
	cr_expect_eq(testsrv_hits(srv, "/robots.txt"), 1);
	cr_expect_eq(testsrv_hits(srv, "/real-robots.txt"), 1);
	cr_expect_null(find_at(srv, &run, "/real-robots.txt"));
	cr_expect_null(find_at(srv, &run, "/robots.txt"));
	run_free(&run);
	testsrv_stop(srv);
}

static void no_robots(struct crawl_config *cfg)
{
	cfg->robots = false;
}

Test(polite, no_robots_option_ignores_it)
{
	static const struct testsrv_route routes[] = {
		{ "/robots.txt", { .content_type = TEXT, .body = "User-agent: *\nDisallow: /\n" } },
		{ "/", { .body = HTML("<a href='/a'>a</a>") } },
		{ "/a", { .body = HTML("a") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 3, no_robots);

	cr_expect_eq(run.n, 2, "records: %zu", run.n);
	expect_record(srv, &run, "/", 200, NULL);
	expect_record(srv, &run, "/a", 200, NULL);
	cr_expect_eq(testsrv_hits(srv, "/robots.txt"), 0);
	cr_expect_eq(testsrv_nrequests(srv), 2);
	run_free(&run);
	testsrv_stop(srv);
}

Test(polite, user_agent_reaches_robots_txt)
{
	/* The product token of the User-Agent chooses the group, too. */
	static const struct testsrv_route routes[] = {
		{ "/robots.txt", { .content_type = TEXT,
				   .body = "User-agent: polite-test\nDisallow: /a\n" } },
		{ "/", { .body = HTML("<a href='/a'>a</a>") } },
		{ "/a", { .body = HTML("a") } },
	};
	struct testsrv *srv = testsrv_start("127.0.0.1", routes, 3, NULL, NULL);
	char *seed = testsrv_url(srv, "/");
	struct crawl_config cfg;
	struct testsrv_request *log;
	struct run run;
	size_t n;

	config(&cfg, &seed, 1);
	cfg.user_agent = "polite-test/1.0";
	run_crawl(&cfg, &run);
	n = testsrv_log(srv, &log);
	cr_assert_geq(n, 1);
	cr_expect_str_eq(log[0].path, "/robots.txt");
	cr_expect(log[0].user_agent && !strcmp(log[0].user_agent, "polite-test/1.0"),
		  "robots.txt asked for with User-Agent %s", log[0].user_agent);
	expect_refused(srv, &run, "/a");
	testsrv_log_free(log, n);
	free(seed);
	run_free(&run);
	testsrv_stop(srv);
}

/* ---- pacing ------------------------------------------------------------ */

#define FOUR_PAGES(robots_body)                                                     \
	{ "/robots.txt", { .content_type = TEXT, .body = robots_body } },           \
	{ "/", { .body = HTML("<a href='/1'>1</a><a href='/2'>2</a><a href='/3'>3</a>") } }, \
	{ "/1", { .body = HTML("1") } },                                            \
	{ "/2", { .body = HTML("2") } },                                            \
	{ "/3", { .body = HTML("3") } }

Test(polite, crawl_delay_spaces_requests)
{
	static const struct testsrv_route routes[] = {
		FOUR_PAGES("User-agent: *\nCrawl-delay: 0.3\n"),
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 5, NULL);

	cr_expect_eq(run.n, 4, "records: %zu", run.n);
	expect_spaced(srv, 4, 300);
	run_free(&run);
	testsrv_stop(srv);
}

static void delay_200ms(struct crawl_config *cfg)
{
	cfg->delay_ms = 200;
	cfg->per_host = 8;
}

Test(polite, robots_txt_counts_as_a_start_for_the_delay)
{
	static const struct testsrv_route routes[] = {
		FOUR_PAGES("User-agent: *\nDisallow:\n"),
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 5, delay_200ms);
	int64_t robots = nth_arrival(srv, "/robots.txt", 0);
	int64_t first = nth_arrival(srv, "/", 0);

	cr_assert(robots >= 0 && first >= 0);
	cr_expect_geq(first - robots, at_least(200), "the seed came %.0f ms after robots.txt",
		      (double)(first - robots) / MS);
	run_free(&run);
	testsrv_stop(srv);
}

Test(polite, delay_spaces_requests_to_one_origin)
{
	static const struct testsrv_route routes[] = {
		FOUR_PAGES("User-agent: *\nDisallow:\n"),
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 5, delay_200ms);

	cr_expect_eq(run.n, 4, "records: %zu", run.n);
	expect_spaced(srv, 4, 200);
	run_free(&run);
	testsrv_stop(srv);
}

static void max_rate_5(struct crawl_config *cfg)
{
	cfg->max_rate = 5;
	cfg->per_host = 8;
}

Test(polite, max_rate_spaces_requests_to_one_origin)
{
	static const struct testsrv_route routes[] = {
		FOUR_PAGES("User-agent: *\nDisallow:\n"),
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 5, max_rate_5);

	cr_expect_eq(run.n, 4, "records: %zu", run.n);
	expect_spaced(srv, 4, 200);
	run_free(&run);
	testsrv_stop(srv);
}

Test(polite, delay_on_one_origin_does_not_hold_up_another)
{
	static const struct testsrv_route a_routes[] = {
		{ "/robots.txt", { .content_type = TEXT, .body = "User-agent: *\nCrawl-delay: 2\n" } },
		{ "/", { .body = HTML("<a href='/a1'>1</a><a href='/a2'>2</a>") } },
		{ "/a1", { .body = HTML("1") } },
		{ "/a2", { .body = HTML("2") } },
	};
	static const struct testsrv_route b_routes[] = {
		{ "/", { .body = HTML("<a href='/b1'>1</a><a href='/b2'>2</a>") } },
		{ "/b1", { .body = HTML("1") } },
		{ "/b2", { .body = HTML("2") } },
	};
	struct testsrv *a = testsrv_start("127.0.0.1", a_routes, 4, NULL, NULL);
	struct testsrv *b = testsrv_start("127.0.0.2", b_routes, 3, NULL, NULL);
	char *seeds[] = { testsrv_url(a, "/"), testsrv_url(b, "/") };
	struct crawl_config cfg;
	int64_t *ta, *tb;
	size_t na, nb;
	struct run run;

	config(&cfg, seeds, 2);
	scope_any(&cfg);
	run_crawl(&cfg, &run);
	cr_expect_eq(run.n, 6, "records: %zu", run.n);
	expect_spaced(a, 3, 2000);
	na = page_times(a, &ta);
	nb = page_times(b, &tb);
	cr_assert_eq(na, 3);
	cr_assert_eq(nb, 3);
	/* B's last page before A's last; in fact before A's second, which
	 * waits 2 s for A's Crawl-delay while B has nothing to wait for. */
	cr_expect_lt(tb[2], ta[2], "B's last page %.0f ms after A's last",
		     (double)(tb[2] - ta[2]) / MS);
	cr_expect_lt(tb[2], ta[1], "B's last page %.0f ms after A's second",
		     (double)(tb[2] - ta[1]) / MS);
	free(ta);
	free(tb);
	free(seeds[0]);
	free(seeds[1]);
	run_free(&run);
	testsrv_stop(a);
	testsrv_stop(b);
}

/* A refusal is no request: a URL robots.txt refuses is recorded at once and
 * leaves the origin's clock alone, so the allowed pages behind 20 refused
 * ones each take the very next Crawl-delay slot (a slot lost to a refusal
 * would make a gap of two delays or more). */
Test(polite, robots_refusals_take_no_crawl_delay_slot)
{
	static const struct testsrv_route routes[] = {
		{ "/robots.txt", { .content_type = TEXT,
				   .body = "User-agent: *\nCrawl-delay: 1\nDisallow: /d/\n" } },
		{ "/", { .body = HTML("<a href='/d/0'></a><a href='/d/1'></a><a href='/d/2'></a>"
				      "<a href='/d/3'></a><a href='/d/4'></a><a href='/d/5'></a>"
				      "<a href='/d/6'></a><a href='/1'>1</a>"
				      "<a href='/d/7'></a><a href='/d/8'></a><a href='/d/9'></a>"
				      "<a href='/d/10'></a><a href='/d/11'></a><a href='/d/12'></a>"
				      "<a href='/d/13'></a><a href='/2'>2</a>"
				      "<a href='/d/14'></a><a href='/d/15'></a><a href='/d/16'></a>"
				      "<a href='/d/17'></a><a href='/d/18'></a><a href='/d/19'></a>"
				      "<a href='/3'>3</a>") } },
		{ "/1", { .body = HTML("1") } },
		{ "/2", { .body = HTML("2") } },
		{ "/3", { .body = HTML("3") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 5, NULL);
	int64_t *t;
	size_t n;

	cr_expect_eq(run.n, 24, "records: %zu", run.n);
	for (int i = 0; i < 20; i++) {
		char path[16];

		snprintf(path, sizeof(path), "/d/%d", i);
		expect_refused(srv, &run, path);
	}
	n = page_times(srv, &t);
	cr_expect_eq(n, 4, "%zu page requests, want 4", n);
	for (size_t i = 1; i < n; i++) {
		cr_expect_geq(t[i] - t[i - 1], at_least(1000),
			      "requests %zu and %zu only %.0f ms apart", i - 1, i,
			      (double)(t[i] - t[i - 1]) / MS);
		cr_expect_lt(t[i] - t[i - 1], 2000 * MS,
			     "requests %zu and %zu %.0f ms apart: a refusal took a slot",
			     i - 1, i, (double)(t[i] - t[i - 1]) / MS);
	}
	free(t);
	run_free(&run);
	testsrv_stop(srv);
}

static void max_delay_100ms(struct crawl_config *cfg)
{
	cfg->max_delay_ms = 100;
}

Test(polite, max_delay_caps_crawl_delay)
{
	static const struct testsrv_route routes[] = {
		FOUR_PAGES("User-agent: *\nCrawl-delay: 10\n"),
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 5, max_delay_100ms);
	int64_t *t;
	size_t n;

	cr_expect_eq(run.n, 4, "records: %zu", run.n);
	/* Paced at the cap, not 10 s apart (30 s for the three gaps). */
	expect_spaced(srv, 4, 100);
	n = page_times(srv, &t);
	cr_assert_eq(n, 4);
	cr_expect_lt(t[3] - t[0], 5000 * MS, "three gaps took %.0f ms",
		     (double)(t[3] - t[0]) / MS);
	free(t);
	run_free(&run);
	testsrv_stop(srv);
}

/* ---- retries ----------------------------------------------------------- */

/* /busy answers `fails` times with status (and headers), then 200; every
 * other path but "/" is a 404. "/" links /busy. */
struct flaky {
	atomic_uint calls;
	unsigned fails;     /* answers that fail before the 200 */
	unsigned status;
	const char *headers;
};

static bool flaky_handler(void *arg, const char *path, struct testsrv_reply *reply,
			  void **free_body)
{
	struct flaky *f = arg;

	(void)free_body;
	if (!strcmp(path, "/")) {
		reply->body = HTML("<a href='/busy'>b</a>");
		return true;
	}
	if (strcmp(path, "/busy"))
		return false;
	if (atomic_fetch_add(&f->calls, 1) < f->fails) {
		reply->status = f->status;
		reply->headers = f->headers;
		reply->content_type = TEXT;
		reply->body = "try later";
	} else {
		reply->body = HTML("done");
	}
	return true;
}

Test(polite, flaky_endpoint_succeeds_on_the_third_attempt)
{
	struct flaky f = { .fails = 2, .status = 503 };
	struct testsrv *srv = testsrv_start("127.0.0.1", NULL, 0, flaky_handler, &f);
	struct run run = crawl_at(srv, "/", NULL);
	json_t *r = record_at(srv, &run, "/busy");

	cr_expect_eq(rec_status(r), 200);
	cr_expect_eq(rec_int(r, "attempts"), 3, "attempts %lld", rec_int(r, "attempts"));
	cr_expect_null(rec_err(r));
	cr_expect_eq(testsrv_hits(srv, "/busy"), 3);
	cr_expect_eq(run.n, 2, "one record per URL, not per attempt");
	run_free(&run);
	testsrv_stop(srv);
}

Test(polite, retries_exhausted_record_the_last_answer)
{
	struct flaky f = { .fails = 1000, .status = 503 };
	struct testsrv *srv = testsrv_start("127.0.0.1", NULL, 0, flaky_handler, &f);
	struct run run = crawl_at(srv, "/", NULL);
	json_t *r = record_at(srv, &run, "/busy");

	cr_expect_eq(rec_status(r), 503);
	cr_expect_eq(rec_int(r, "attempts"), 3, "attempts %lld", rec_int(r, "attempts"));
	cr_expect_null(rec_err(r), "a 5xx is no error: %s", rec_err(r));
	cr_expect_eq(testsrv_hits(srv, "/busy"), 3);
	run_free(&run);
	testsrv_stop(srv);
}

static void no_retries(struct crawl_config *cfg)
{
	cfg->retries = 0;
}

Test(polite, retries_zero_tries_once)
{
	struct flaky f = { .fails = 1000, .status = 503 };
	struct testsrv *srv = testsrv_start("127.0.0.1", NULL, 0, flaky_handler, &f);
	struct run run = crawl_at(srv, "/", no_retries);
	json_t *r = record_at(srv, &run, "/busy");

	cr_expect_eq(rec_status(r), 503);
	cr_expect_eq(rec_int(r, "attempts"), 1, "attempts %lld", rec_int(r, "attempts"));
	cr_expect_eq(testsrv_hits(srv, "/busy"), 1);
	run_free(&run);
	testsrv_stop(srv);
}

Test(polite, retry_after_is_honoured)
{
	struct flaky f = { .fails = 1, .status = 429, .headers = "Retry-After: 1\n" };
	struct testsrv *srv = testsrv_start("127.0.0.1", NULL, 0, flaky_handler, &f);
	struct run run = crawl_at(srv, "/", NULL);
	json_t *r = record_at(srv, &run, "/busy");
	int64_t first = nth_arrival(srv, "/busy", 0), second = nth_arrival(srv, "/busy", 1);

	cr_expect_eq(rec_status(r), 200);
	cr_expect_eq(rec_int(r, "attempts"), 2, "attempts %lld", rec_int(r, "attempts"));
	cr_assert(first >= 0 && second >= 0, "/busy asked for %zu times",
		  testsrv_hits(srv, "/busy"));
	/* The backoff alone would be 25 to 75 ms (retry_base_ms 50). */
	cr_expect_geq(second - first, at_least(1000),
		      "retried %.1f ms after a Retry-After of 1 s",
		      (double)(second - first) / MS);
	run_free(&run);
	testsrv_stop(srv);
}

static void timeout_200ms(struct crawl_config *cfg)
{
	cfg->timeout_ms = 200;
}

Test(polite, timeout_is_retried)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/slow'>s</a>") } },
		{ "/slow", { .body = HTML("late"), .delay_ms = 2000 } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 2, timeout_200ms);
	json_t *r = record_at(srv, &run, "/slow");

	cr_expect(json_is_null(json_object_get(r, "status")));
	cr_expect_str_eq(rec_err(r), "timeout");
	cr_expect_eq(rec_int(r, "attempts"), 3, "attempts %lld", rec_int(r, "attempts"));
	cr_expect_eq(testsrv_hits(srv, "/slow"), 3);
	run_free(&run);
	testsrv_stop(srv);
}

/* A retry queued by a transfer that finished just before the fetch loop
 * sleeps must not wait out that sleep (up to 1 s): with the wait capped at
 * 1 ms, 30 retries take well under a second. */
static void thirty_quick_retries(struct crawl_config *cfg)
{
	cfg->retries = 30;
	cfg->max_delay_ms = 1;
}

Test(polite, max_delay_caps_the_retry_wait, .timeout = 90)
{
	/* Retry-After: 30 is cut to --max-delay too. */
	struct flaky f = { .fails = 1000, .status = 503, .headers = "Retry-After: 30\n" };
	struct testsrv *srv = testsrv_start("127.0.0.1", NULL, 0, flaky_handler, &f);
	struct run run = crawl_at(srv, "/", thirty_quick_retries);
	json_t *r = record_at(srv, &run, "/busy");
	int64_t first = nth_arrival(srv, "/busy", 0), last = nth_arrival(srv, "/busy", 30);

	cr_expect_eq(rec_int(r, "attempts"), 31, "attempts %lld", rec_int(r, "attempts"));
	cr_expect_eq(testsrv_hits(srv, "/busy"), 31);
	cr_assert(first >= 0 && last >= 0);
	cr_expect_lt(last - first, 5000 * MS, "30 retries capped at 1 ms took %.0f ms",
		     (double)(last - first) / MS);
	run_free(&run);
	testsrv_stop(srv);
}

/* ---- redirect chains --------------------------------------------------- */

static const struct testsrv_route chain_routes[] = {
	{ "/", { .body = HTML("<a href='/r0'>r</a>") } },
	{ "/r0", { .status = 301, .location = "/r1" } },
	{ "/r1", { .status = 301, .location = "/r2" } },
	{ "/r2", { .status = 301, .location = "/r3" } },
	{ "/r3", { .status = 301, .location = "/r4" } },
	{ "/r4", { .body = HTML("end") } },
};

static void max_redirects_3(struct crawl_config *cfg)
{
	cfg->max_redirects = 3;
}

Test(polite, redirect_chain_longer_than_max_redirects_ends_with_too_many_redirects)
{
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, chain_routes, 6, max_redirects_3);
	char *r4 = testsrv_url(srv, "/r4");

	expect_record(srv, &run, "/r0", 301, NULL);
	expect_record(srv, &run, "/r1", 301, NULL);
	expect_record(srv, &run, "/r2", 301, NULL);
	expect_record(srv, &run, "/r3", 301, "too_many_redirects");
	cr_expect_str_eq(rec_str(record_at(srv, &run, "/r3"), "location"), r4);
	cr_expect_eq(testsrv_hits(srv, "/r4"), 0);
	cr_expect_null(run_find(&run, r4));
	cr_expect_eq(run.n, 5, "records: %zu", run.n);
	free(r4);
	run_free(&run);
	testsrv_stop(srv);
}

Test(polite, redirect_chain_within_max_redirects_is_followed_to_the_end)
{
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, chain_routes, 6, NULL);

	cr_expect_eq(run.n, 6, "records: %zu", run.n);
	expect_record(srv, &run, "/r3", 301, NULL);
	expect_record(srv, &run, "/r4", 200, NULL);
	cr_expect_eq(testsrv_hits(srv, "/r4"), 1);
	run_free(&run);
	testsrv_stop(srv);
}

static void max_redirects_0(struct crawl_config *cfg)
{
	cfg->max_redirects = 0;
}

Test(polite, max_redirects_zero_stops_at_the_first_redirect)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/a'>a</a>") } },
		{ "/a", { .status = 301, .location = "/b" } },
		{ "/b", { .body = HTML("b") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 3, max_redirects_0);
	char *b = testsrv_url(srv, "/b");

	expect_record(srv, &run, "/a", 301, "too_many_redirects");
	cr_expect_str_eq(rec_str(record_at(srv, &run, "/a"), "location"), b);
	cr_expect_eq(testsrv_hits(srv, "/b"), 0);
	cr_expect_eq(run.n, 2, "records: %zu", run.n);
	free(b);
	run_free(&run);
	testsrv_stop(srv);
}

Test(polite, redirect_to_itself_is_a_loop)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/self'>s</a>") } },
		{ "/self", { .status = 301, .location = "/self" } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 2, NULL);
	char *self = testsrv_url(srv, "/self");

	expect_record(srv, &run, "/self", 301, "redirect_loop");
	cr_expect_str_eq(rec_str(record_at(srv, &run, "/self"), "location"), self);
	cr_expect_eq(testsrv_hits(srv, "/self"), 1);
	cr_expect_eq(run.n, 2, "records: %zu", run.n);
	free(self);
	run_free(&run);
	testsrv_stop(srv);
}

/* ---- crawler traps and per-origin caps -------------------------------- */

/* Every path under /cal/ is a page linking one level deeper and one up, a
 * URL space without end. */
static bool calendar_handler(void *arg, const char *path, struct testsrv_reply *reply,
			     void **free_body)
{
	(void)arg;
	(void)free_body;
	if (strncmp(path, "/cal/", 5))
		return false;
	reply->body = HTML("<a href='next/'>next</a><a href='../'>up</a>");
	return true;
}

Test(polite, calendar_trap_stays_bounded)
{
	struct testsrv *srv = testsrv_start("127.0.0.1", NULL, 0, calendar_handler, NULL);
	struct run run = crawl_at(srv, "/cal/", NULL);
	long traps = skipped(&run, "repeated_segment", CRAWL_SKIP_REPEATED_SEGMENT) +
		     skipped(&run, "path_segments", CRAWL_SKIP_PATH_SEGMENTS);

	cr_expect_eq(run.res.stop, CRAWL_DONE);
	cr_expect_lt(testsrv_nrequests(srv), 40, "%zu requests", testsrv_nrequests(srv));
	cr_expect_gt(traps, 0, "summary: %s", run.res.summary);
	run_free(&run);
	testsrv_stop(srv);
}

static void max_url_length_40(struct crawl_config *cfg)
{
	cfg->traps.max_url_length = 40;
}

Test(polite, max_url_length_skips_long_urls)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/s'>s</a>"
				      "<a href='/a-path-long-enough-to-pass-forty-bytes'>l</a>") } },
		{ "/s", { .body = HTML("s") } },
		{ "/a-path-long-enough-to-pass-forty-bytes", { .body = HTML("l") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 3, max_url_length_40);
	char *s = testsrv_url(srv, "/s");

	cr_assert_leq(strlen(s), 40, "%s", s);
	cr_expect_eq(testsrv_hits(srv, "/s"), 1);
	cr_expect_eq(testsrv_hits(srv, "/a-path-long-enough-to-pass-forty-bytes"), 0);
	cr_expect_eq(skipped(&run, "url_length", CRAWL_SKIP_URL_LENGTH), 1,
		     "summary: %s", run.res.summary);
	cr_expect_eq(run.n, 2, "records: %zu", run.n);
	free(s);
	run_free(&run);
	testsrv_stop(srv);
}

/* "/long/" and 'x' up to 10,000 bytes in all, malloc'd: a link longer than
 * the 8192 bytes the url module once took at most. */
static char *long_path(void)
{
	enum { LEN = 10000 };
	char *p = malloc(LEN + 1);

	cr_assert_not_null(p);
	memcpy(p, "/long/", 6);
	memset(p + 6, 'x', LEN - 6);
	p[LEN] = '\0';
	return p;
}

/* Serve "/" linking to path (and path itself), crawl with tweak; the run's
 * requests are checked against want (n paths, each asked for once, and
 * nothing else). */
static struct run crawl_long_link(const char *path, tweak_fn tweak,
				  const char *const *want, size_t nwant)
{
	size_t len = strlen(path) + 128, nlog;
	char *page = malloc(len);
	struct testsrv_route routes[2] = {
		{ "/", { .body = page } },
		{ path, { .body = HTML("l") } },
	};
	struct testsrv_request *log;
	struct testsrv *srv;
	struct run run;

	cr_assert_not_null(page);
	snprintf(page, len, HTML("<a href='%s'>long</a>"), path);
	run = crawl_routes(&srv, routes, 2, tweak);
	nlog = testsrv_log(srv, &log);
	cr_expect_eq(nlog, nwant, "%zu requests", nlog);
	for (size_t i = 0; i < nlog; i++) {
		size_t hits = 0;

		for (size_t k = 0; k < nwant; k++)
			hits += !strcmp(log[i].path, want[k]);
		cr_expect_eq(hits, 1, "request %.60s...", log[i].path);
	}
	for (size_t k = 0; k < nwant; k++)
		cr_expect_eq(testsrv_hits(srv, want[k]), 1, "%.60s", want[k]);
	testsrv_log_free(log, nlog);
	testsrv_stop(srv);
	free(page);
	return run;
}

static void no_url_length_limit(struct crawl_config *cfg)
{
	cfg->traps.max_url_length = 0;
}

Test(polite, max_url_length_0_follows_a_link_of_10000_bytes)
{
	/* The link was dropped silently, before any trap rule saw it. */
	char *path = long_path();
	const char *const want[] = { "/robots.txt", "/", path };
	struct run run = crawl_long_link(path, no_url_length_limit, want, 3);

	cr_expect_eq(run.n, 2, "records: %zu", run.n);
	cr_expect_eq(skipped(&run, "url_length", CRAWL_SKIP_URL_LENGTH), 0,
		     "summary: %s", run.res.summary);
	run_free(&run);
	free(path);
}

Test(polite, default_max_url_length_skips_a_link_of_10000_bytes_as_a_trap)
{
	char *path = long_path();
	const char *const want[] = { "/robots.txt", "/" };
	struct run run = crawl_long_link(path, NULL, want, 2);

	cr_expect_eq(run.n, 1, "records: %zu", run.n);
	cr_expect_eq(skipped(&run, "url_length", CRAWL_SKIP_URL_LENGTH), 1,
		     "summary: %s", run.res.summary);
	run_free(&run);
	free(path);
}

static void three_per_host(struct crawl_config *cfg)
{
	cfg->max_pages_per_host = 3;
}

Test(polite, max_pages_per_host_caps_each_origin)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/p0'>0</a><a href='/p1'>1</a><a href='/p2'>2</a>"
				      "<a href='/p3'>3</a><a href='/p4'>4</a><a href='/p5'>5</a>"
				      "<a href='/p6'>6</a><a href='/p7'>7</a><a href='/p8'>8</a>"
				      "<a href='/p9'>9</a>") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 1, three_per_host);

	/* The other pages are 404s: records all the same. */
	cr_expect_eq(run.n, 3, "records: %zu", run.n);
	cr_expect_eq(testsrv_nrequests(srv), 4, "3 pages and /robots.txt, not %zu",
		     testsrv_nrequests(srv));
	cr_expect_eq(skipped(&run, "max_pages_per_host", CRAWL_SKIP_HOST_LIMIT), 8,
		     "summary: %s", run.res.summary);
	run_free(&run);
	testsrv_stop(srv);
}

/* ---- following links --------------------------------------------------- */

static void follow_nofollow(struct crawl_config *cfg)
{
	cfg->follow_nofollow = true;
}

Test(polite, nofollow_link_is_not_followed_unless_asked)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a rel='nofollow' href='/nf'>n</a><a href='/f'>f</a>") } },
		{ "/nf", { .body = HTML("nf") } },
		{ "/f", { .body = HTML("f") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 3, NULL);

	cr_expect_eq(testsrv_hits(srv, "/nf"), 0);
	cr_expect_eq(testsrv_hits(srv, "/f"), 1);
	cr_expect_eq(rec_int(record_at(srv, &run, "/"), "links"), 2);
	cr_expect_eq(skipped(&run, "scope", CRAWL_SKIP_SCOPE), 0, "not a skip");
	run_free(&run);
	testsrv_stop(srv);

	run = crawl_routes(&srv, routes, 3, follow_nofollow);
	cr_expect_eq(testsrv_hits(srv, "/nf"), 1, "with follow_nofollow");
	cr_expect_eq(testsrv_hits(srv, "/f"), 1);
	cr_expect_eq(run.n, 3, "records: %zu", run.n);
	run_free(&run);
	testsrv_stop(srv);
}

Test(polite, meta_robots_nofollow_page_links_are_not_followed)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = "<html><head><meta name=\"robots\" content=\"NoFollow\">"
				 "<title>t</title></head><body>"
				 "<a href='/a'>a</a><a href='/b'>b</a></body></html>" } },
		{ "/a", { .body = HTML("a") } },
		{ "/b", { .body = HTML("b") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 3, NULL);

	cr_expect_eq(testsrv_hits(srv, "/a"), 0);
	cr_expect_eq(testsrv_hits(srv, "/b"), 0);
	cr_expect_eq(rec_int(record_at(srv, &run, "/"), "links"), 2);
	cr_expect_eq(run.n, 1, "records: %zu", run.n);
	run_free(&run);
	testsrv_stop(srv);
}

Test(polite, noindex_page_is_fetched_and_marked)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = "<html><head><meta name=\"robots\" content=\"noindex\">"
				 "<title>t</title></head><body>"
				 "<a href='/a'>a</a></body></html>" } },
		{ "/a", { .body = HTML("a") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 2, NULL);
	json_t *home = record_at(srv, &run, "/");

	cr_expect(json_is_true(json_object_get(home, "noindex")));
	cr_expect_eq(testsrv_hits(srv, "/a"), 1);
	cr_expect_null(json_object_get(record_at(srv, &run, "/a"), "noindex"),
		       "an ordinary page has no noindex key");
	run_free(&run);
	testsrv_stop(srv);
}

Test(polite, meta_refresh_is_a_link)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = "<html><head><meta http-equiv=\"refresh\" content=\"0; url=/next\">"
				 "<title>t</title></head><body>moved</body></html>" } },
		{ "/next", { .body = HTML("n") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 2, NULL);

	cr_expect_eq(testsrv_hits(srv, "/next"), 1);
	expect_record(srv, &run, "/next", 200, NULL);
	run_free(&run);
	testsrv_stop(srv);
}

Test(polite, base_href_changes_resolution)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = "<html><head><base href=\"/sub/\"><title>t</title></head>"
				 "<body><a href=\"x\">x</a></body></html>" } },
		{ "/sub/x", { .body = HTML("x") } },
		{ "/x", { .body = HTML("wrong x") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 3, NULL);

	cr_expect_eq(testsrv_hits(srv, "/sub/x"), 1);
	cr_expect_eq(testsrv_hits(srv, "/x"), 0);
	run_free(&run);
	testsrv_stop(srv);
}

Test(polite, latin1_title_comes_out_as_utf8)
{
	/* libxml2 falls back to Latin-1 by itself at the first byte that is
	 * not UTF-8, so the header must also be seen to beat a <meta> that
	 * says otherwise, and to name a charset that is not Latin-1. */
	static const struct testsrv_route routes[] = {
		{ "/", { .content_type = "text/html; charset=ISO-8859-1",
			 .body = "<html><head><title>caf\xe9</title></head><body>"
				 "<a href='/meta'>m</a><a href='/cp1252'>w</a></body></html>" } },
		{ "/meta", { .content_type = "text/html; charset=ISO-8859-1",
			     .body = "<html><head><meta charset=\"utf-8\"><title>caf\xe9</title>"
				     "</head><body>x</body></html>" } },
		{ "/cp1252", { .content_type = "text/html; charset=windows-1252",
			       .body = "<html><head><title>\x80 5</title></head><body>x</body></html>" } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 3, NULL);

	cr_expect_str_eq(rec_str(record_at(srv, &run, "/"), "title"), "caf\xc3\xa9");
	cr_expect_str_eq(rec_str(record_at(srv, &run, "/meta"), "title"), "caf\xc3\xa9");
	cr_expect_str_eq(rec_str(record_at(srv, &run, "/cp1252"), "title"), "\xe2\x82\xac 5");
	run_free(&run);
	testsrv_stop(srv);
}

static void with_links(struct crawl_config *cfg)
{
	cfg->links = true;
}

Test(polite, idn_link_is_punycode_in_outlinks)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href=\"http://b\xc3\xbc" "cher.example/\">b</a>") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 1, with_links);
	json_t *links = json_object_get(record_at(srv, &run, "/"), "outlinks");

	cr_assert(json_is_array(links));
	cr_assert_eq(json_array_size(links), 1);
	cr_expect_str_eq(json_string_value(json_array_get(links, 0)),
			 "http://xn--bcher-kva.example/");
	cr_expect_eq(run.n, 1, "out of scope: not fetched");
	run_free(&run);
	testsrv_stop(srv);
}

/* ---- scope ------------------------------------------------------------- */

static void keep_no_pdf(struct crawl_config *cfg)
{
	static char *include[] = { "/keep/" };
	static char *exclude[] = { "\\.pdf$" };

	cfg->scope.include = include;
	cfg->scope.ninclude = 1;
	cfg->scope.exclude = exclude;
	cfg->scope.nexclude = 1;
}

Test(polite, include_and_exclude_filter_links)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/keep/a'>a</a><a href='/keep/b.pdf'>b</a>"
				      "<a href='/other'>o</a>") } },
		{ "/keep/a", { .body = HTML("a") } },
		{ "/keep/b.pdf", { .content_type = "application/pdf", .body = "%PDF-1.4" } },
		{ "/other", { .body = HTML("o") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 4, keep_no_pdf);

	expect_record(srv, &run, "/", 200, NULL);
	cr_expect_eq(testsrv_hits(srv, "/keep/a"), 1);
	cr_expect_eq(testsrv_hits(srv, "/keep/b.pdf"), 0);
	cr_expect_eq(testsrv_hits(srv, "/other"), 0);
	cr_expect_eq(skipped(&run, "scope", CRAWL_SKIP_SCOPE), 2, "summary: %s",
		     run.res.summary);
	cr_expect_eq(run.n, 2, "records: %zu", run.n);
	run_free(&run);
	testsrv_stop(srv);
}

static void no_parent(struct crawl_config *cfg)
{
	cfg->scope.no_parent = true;
}

Test(polite, no_parent_stays_under_the_seed_directory)
{
	static const struct testsrv_route routes[] = {
		{ "/docs/index.html", { .body = HTML("<a href='/docs/a'>a</a><a href='/blog/b'>b</a>") } },
		{ "/docs/a", { .body = HTML("a") } },
		{ "/blog/b", { .body = HTML("b") } },
	};
	struct testsrv *srv = testsrv_start("127.0.0.1", routes, 3, NULL, NULL);
	struct run run = crawl_at(srv, "/docs/index.html", no_parent);

	cr_expect_eq(testsrv_hits(srv, "/docs/a"), 1);
	cr_expect_eq(testsrv_hits(srv, "/blog/b"), 0);
	cr_expect_eq(skipped(&run, "scope", CRAWL_SKIP_SCOPE), 1, "summary: %s",
		     run.res.summary);
	run_free(&run);
	testsrv_stop(srv);
}

static void resources(struct crawl_config *cfg)
{
	cfg->resources = true;
}

Test(polite, resources_are_fetched_only_with_the_option_and_not_parsed)
{
	/* /i.png is really HTML with a link: as an image it is not parsed. */
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<img src=/i.png><script src=/s.js></script>") } },
		{ "/i.png", { .body = HTML("<a href='/from-img'>x</a>") } },
		{ "/s.js", { .content_type = "application/javascript", .body = "var x;" } },
		{ "/from-img", { .body = HTML("never") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 4, NULL);

	cr_expect_eq(testsrv_hits(srv, "/i.png"), 0);
	cr_expect_eq(testsrv_hits(srv, "/s.js"), 0);
	cr_expect_eq(rec_int(record_at(srv, &run, "/"), "links"), 2);
	cr_expect_eq(run.n, 1, "records: %zu", run.n);
	run_free(&run);
	testsrv_stop(srv);

	run = crawl_routes(&srv, routes, 4, resources);
	cr_expect_eq(testsrv_hits(srv, "/i.png"), 1);
	cr_expect_eq(testsrv_hits(srv, "/s.js"), 1);
	expect_record(srv, &run, "/i.png", 200, NULL);
	expect_record(srv, &run, "/s.js", 200, NULL);
	cr_expect(json_is_null(json_object_get(record_at(srv, &run, "/i.png"), "links")),
		  "a resource served as HTML was parsed");
	cr_expect(json_is_null(json_object_get(record_at(srv, &run, "/s.js"), "links")));
	cr_expect_eq(rec_int(record_at(srv, &run, "/i.png"), "depth"), 1);
	cr_expect_eq(testsrv_hits(srv, "/from-img"), 0);
	cr_expect_eq(run.n, 3, "records: %zu", run.n);
	run_free(&run);
	testsrv_stop(srv);
}

/* The redirect target of a resource is the resource: never parsed. */
Test(polite, resource_redirect_target_is_not_parsed)
{
	/* An image that redirects to an HTML page (hot-link protection, a
	 * login page): the target is still what an <img> embeds. */
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<img src=/i.png>") } },
		{ "/i.png", { .status = 302, .location = "/login" } },
		{ "/login", { .body = HTML("<a href='/from-login'>x</a>") } },
		{ "/from-login", { .body = HTML("never") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 4, resources);

	expect_record(srv, &run, "/i.png", 302, NULL);
	cr_expect_eq(testsrv_hits(srv, "/login"), 1);
	cr_expect(json_is_null(json_object_get(record_at(srv, &run, "/login"), "links")),
		  "the redirect target of a resource was parsed");
	cr_expect_eq(testsrv_hits(srv, "/from-login"), 0);
	run_free(&run);
	testsrv_stop(srv);
}

Test(polite, binary_body_served_as_html_is_not_parsed)
{
	/* A PNG signature, an IHDR chunk's start, then what looks like a
	 * link. */
	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR<a href='/x'>x</a>";
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/bin'>b</a>") } },
		{ "/bin", { .body = png, .body_len = sizeof(png) - 1 } },
		{ "/x", { .body = HTML("x") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 3, NULL);
	json_t *r = record_at(srv, &run, "/bin");

	expect_record(srv, &run, "/bin", 200, NULL);
	cr_expect(json_is_null(json_object_get(r, "links")));
	cr_expect_eq(rec_int(r, "bytes"), (long)sizeof(png) - 1);
	cr_expect_eq(testsrv_hits(srv, "/x"), 0);
	run_free(&run);
	testsrv_stop(srv);
}

/* ---- cookies ----------------------------------------------------------- */

static void cookies(struct crawl_config *cfg)
{
	cfg->cookies = true;
}

/* The headers /a was requested with; malloc'd. */
static char *headers_of(struct testsrv *srv, const char *path)
{
	struct testsrv_request *log;
	size_t n = testsrv_log(srv, &log);
	char *h = NULL;

	for (size_t i = 0; i < n && !h; i++)
		if (!strcmp(log[i].path, path))
			h = strdup(log[i].headers);
	testsrv_log_free(log, n);
	cr_assert(h, "%s was not requested", path);
	return h;
}

Test(polite, cookies_are_kept_when_asked)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/a'>a</a>"), .headers = "Set-Cookie: s=1; Path=/\n" } },
		{ "/a", { .body = HTML("a") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 2, cookies);
	char *h = headers_of(srv, "/a");

	cr_expect(strstr(h, "Cookie: s=1\n"), "with cookies, /a was asked with:\n%s", h);
	free(h);
	run_free(&run);
	testsrv_stop(srv);

	run = crawl_routes(&srv, routes, 2, NULL);
	h = headers_of(srv, "/a");
	cr_expect_null(strstr(h, "Cookie:"), "without cookies, /a was asked with:\n%s", h);
	free(h);
	run_free(&run);
	testsrv_stop(srv);
}
