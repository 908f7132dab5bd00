/* Integration: real crawls through the crawl API against an HTTP server in
 * the test process (testsrv) on 127.0.0.x.
 *
 * Each test asserts what was fetched from the server's own log (which
 * paths, how often) and what was written, line by line, parsed back with
 * jansson. For the generated site the expected crawl comes from a
 * breadth-first walk of the site's own link graph (site_links), not from
 * the crawler. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl.h"
#include "crawlrun.h"
#include "ctx.h"
#include "parse.h"
#include "site.h"
#include "testgz.h"
#include "testsrv.h"
#include "visited.h"

TestSuite(crawl, .init = run_setup, .timeout = 120);

/* ---- the generated site ------------------------------------------------ */

struct expect {
	char path[64];
	unsigned status;
	unsigned depth;
	const char *err; /* error kind, or NULL */
};

/* Breadth-first walk of the site graph from "/", as a correct crawl with
 * depth limit max_depth (-1: none) sees it. Returns the count. */
static size_t walk(const struct site *site, long max_depth, struct expect **out)
{
	size_t n = 0, cap = 1024, head = 0;
	struct expect *q = malloc(cap * sizeof(*q));
	char (*links)[64] = malloc(1024 * sizeof(*links));

	snprintf(q[n].path, sizeof(q[n].path), "/");
	q[n].depth = 0;
	n++;
	while (head < n) {
		struct expect *e = &q[head++];
		char loc[64] = "";
		size_t nl = 0, page;
		char (*next)[64] = links;

		e->status = site_status(site, e->path, loc);
		e->err = NULL;
		/* Only /loop/a is linked: /loop/b's redirect closes the loop. */
		if (!strcmp(e->path, "/loop/b"))
			e->err = "redirect_loop";
		if ((e->status == 301 || e->status == 302) && !e->err) {
			next = &loc;
			nl = 1;
		} else if (e->status == 200 && !e->err &&
			   (!strcmp(e->path, "/") ||
			    sscanf(e->path, "/p/%zu.html", &page) == 1)) {
			page = strcmp(e->path, "/") ? page : 0;
			if (max_depth < 0 || e->depth < (unsigned long)max_depth)
				nl = site_links(site, page, links, 1024);
		}
		unsigned depth = e->depth + (next == links ? 1 : 0);
		for (size_t i = 0; i < nl; i++) {
			bool seen = false;

			for (size_t k = 0; k < n && !seen; k++)
				seen = !strcmp(q[k].path, next[i]);
			if (seen)
				continue;
			if (n == cap)
				q = realloc(q, (cap *= 2) * sizeof(*q));
			snprintf(q[n].path, sizeof(q[n].path), "%s", next[i]);
			q[n].depth = depth;
			n++;
		}
	}
	free(links);
	*out = q;
	return n;
}

struct site_run {
	struct site site;
	struct testsrv *srv;
	char *origin;
	char *seed;
};

static void site_up(struct site_run *s, size_t pages)
{
	s->site = (struct site){ .seed = 7, .pages = pages, .links = 12,
				 .page_bytes = 2000, .specials = true };
	s->srv = testsrv_start("127.0.0.1", NULL, 0, site_handler, &s->site);
	s->origin = testsrv_url(s->srv, "");
	s->site.origin = s->origin;
	s->seed = testsrv_url(s->srv, "/");
}

static void site_down(struct site_run *s)
{
	testsrv_stop(s->srv);
	free(s->origin);
	free(s->seed);
}

/* Every expected path has exactly one record, with the right status, and
 * the server saw exactly one request for it, and for /robots.txt, and none
 * for anything else. */
static void check_site_crawl(struct site_run *s, struct run *run,
			     const struct expect *want, size_t nwant, bool depths)
{
	cr_assert_eq(run->n, nwant, "records: %zu, reachable: %zu", run->n, nwant);
	cr_assert_eq(testsrv_nrequests(s->srv), nwant + 1, "requests: %zu, reachable: %zu",
		     testsrv_nrequests(s->srv), nwant);
	cr_expect_eq(testsrv_hits(s->srv, "/robots.txt"), 1);
	for (size_t i = 0; i < nwant; i++) {
		char *url = testsrv_url(s->srv, want[i].path);
		json_t *r = run_must_find(run, url);

		cr_expect_eq(testsrv_hits(s->srv, want[i].path), 1,
			     "%s requested %zu times", want[i].path,
			     testsrv_hits(s->srv, want[i].path));
		cr_expect_eq(rec_status(r), want[i].status, "%s: status %ld, want %u",
			     url, rec_status(r), want[i].status);
		if (want[i].err)
			cr_expect(rec_err(r) && !strcmp(rec_err(r), want[i].err),
				  "%s: error %s, want %s", url, rec_err(r), want[i].err);
		else
			cr_expect_null(rec_err(r), "%s: error %s", url, rec_err(r));
		if (depths)
			cr_expect_eq(json_integer_value(json_object_get(r, "depth")),
				     want[i].depth, "%s: depth", url);
		free(url);
	}
}

Test(crawl, generated_site_of_2000_pages_is_fetched_exactly_once)
{
	struct site_run s;
	struct crawl_config cfg;
	struct expect *want;
	struct run run;
	size_t nwant;

	site_up(&s, 2000);
	nwant = walk(&s.site, -1, &want);
	cr_assert_gt(nwant, 2000);
	run_config(&cfg, &s.seed, 1);
	cfg.concurrency = 32;
	cfg.per_host = 16;
	run_crawl(&cfg, &run);
	check_site_crawl(&s, &run, want, nwant, false);
	cr_expect_eq(run.res.stop, CRAWL_DONE);
	cr_expect_eq(run.res.not_fetched, 0);
	free(want);
	run_free(&run);
	site_down(&s);
}

Test(crawl, max_depth_fetches_exactly_the_pages_within_n_hops)
{
	struct site_run s;
	struct crawl_config cfg;
	struct expect *want;
	struct run run;
	size_t nwant;

	site_up(&s, 2000);
	nwant = walk(&s.site, 2, &want);
	run_config(&cfg, &s.seed, 1);
	cfg.max_depth = 2;
	run_crawl(&cfg, &run);
	check_site_crawl(&s, &run, want, nwant, true);
	free(want);
	run_free(&run);
	site_down(&s);
}

Test(crawl, max_depth_zero_fetches_only_the_seeds)
{
	struct site_run s;
	struct crawl_config cfg;
	struct run run;

	site_up(&s, 50);
	run_config(&cfg, &s.seed, 1);
	cfg.max_depth = 0;
	run_crawl(&cfg, &run);
	cr_expect_eq(run.n, 1);
	cr_expect_eq(testsrv_nrequests(s.srv), 2, "the seed and /robots.txt");
	cr_expect_gt(json_integer_value(json_object_get(run.recs[0], "links")), 0);
	run_free(&run);
	site_down(&s);
}

Test(crawl, max_pages_fetches_exactly_n_urls_then_stops)
{
	struct site_run s;
	struct crawl_config cfg;
	struct run run;

	site_up(&s, 500);
	run_config(&cfg, &s.seed, 1);
	cfg.max_pages = 50;
	run_crawl(&cfg, &run);
	cr_expect_eq(run.n, 50);
	cr_expect_eq(testsrv_nrequests(s.srv), 51, "50 pages and /robots.txt");
	cr_expect_eq(run.res.stop, CRAWL_MAX_PAGES);
	cr_expect_gt(run.res.not_fetched, 0);
	/* Whether the site's redirect loop is among the first 50 depends on
	 * how the parsers race; it is the one error the site has. */
	for (size_t i = 0; i < run.n; i++)
		cr_expect(!rec_err(run.recs[i]) ||
				  !strcmp(rec_err(run.recs[i]), "redirect_loop"),
			  "%s: %s", rec_str(run.recs[i], "url"), rec_err(run.recs[i]));
	run_free(&run);
	site_down(&s);
}

/* ---- hand-made sites --------------------------------------------------- */

#define HTML(body) "<!doctype html><html><head><title>t</title></head><body>" body "</body></html>"

static struct run crawl_routes(struct testsrv **srv, const struct testsrv_route *routes,
			       size_t n, void (*tweak)(struct crawl_config *))
{
	struct crawl_config cfg;
	struct run run;
	char *seed;

	*srv = testsrv_start("127.0.0.1", routes, n, NULL, NULL);
	seed = testsrv_url(*srv, "/");
	run_config(&cfg, &seed, 1);
	if (tweak)
		tweak(&cfg);
	run_crawl(&cfg, &run);
	free(seed);
	return run;
}

/* ---- out of memory ------------------------------------------------------ */

/* A visited set that takes the seeds and then fails every batch with
 * `failure`: what a page's links, or a redirect's target, meet when memory
 * runs out (or the set's Redis is gone). */
static atomic_int batches;
static enum visited_status failure;

static enum visited_status fail_after_seeds(void *state, char *const *urls,
					    size_t n, bool *fresh, size_t *nfresh)
{
	if (atomic_fetch_add(&batches, 1) == 0)
		return visited_add_batch(state, urls, n, fresh, nfresh);
	for (size_t i = 0; i < n; i++)
		fresh[i] = false;
	*nfresh = 0;
	return failure;
}

static bool inner_has(void *state, const char *url)
{
	return visited_has(state, url);
}

static size_t inner_count(void *state)
{
	return visited_count(state);
}

static void inner_free(void *state)
{
	visited_free(state);
}

static const struct visited_ops failing_ops = {
	.add_batch = fail_after_seeds,
	.has = inner_has,
	.count = inner_count,
	.free = inner_free,
};

static struct visited *failing_visited(void)
{
	atomic_store(&batches, 0);
	return visited_new(&failing_ops, visited_memory_new());
}

static void visited_out_of_memory(struct crawl_config *cfg)
{
	failure = VISITED_NOMEM;
	cfg->new_visited = failing_visited;
}

static void visited_unavailable(struct crawl_config *cfg)
{
	failure = VISITED_UNAVAILABLE;
	cfg->new_visited = failing_visited;
}

Test(crawl, a_page_whose_links_found_no_memory_says_so_in_its_record)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<title>home</title><a href='/a'>a</a><a href='/b'>b</a>") } },
		{ "/a", { .body = HTML("a") } },
		{ "/b", { .body = HTML("b") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 3, visited_out_of_memory);
	json_t *r;

	cr_expect_eq(run.res.stop, CRAWL_FAILED, "the crawl cannot go on without its links");
	cr_assert_eq(run.n, 1, "records: %zu", run.n);
	r = record_at(srv, &run, "/");
	expect_rec(r, 200, "internal");
	cr_expect(rec_err_msg(r) && strstr(rec_err_msg(r), "links"),
		  "the message names what was lost: %s", rec_err_msg(r));
	cr_expect_eq(testsrv_hits(srv, "/a") + testsrv_hits(srv, "/b"), 0);
	run_free(&run);
	testsrv_stop(srv);
}

Test(crawl, a_page_whose_links_met_an_unavailable_visited_set_says_so_in_its_record)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/a'>a</a>") } },
		{ "/a", { .body = HTML("a") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 2, visited_unavailable);
	json_t *r;

	cr_expect_eq(run.res.stop, CRAWL_FAILED, "its links may be lost as seen");
	cr_assert_eq(run.n, 1, "records: %zu", run.n);
	r = record_at(srv, &run, "/");
	expect_rec(r, 200, "internal");
	cr_expect(rec_err_msg(r) &&
		  strcmp(rec_err_msg(r), "the visited set is unavailable: "
					 "the page's links were not all queued") == 0,
		  "the message says why and what was lost: %s", rec_err_msg(r));
	cr_expect_eq(testsrv_hits(srv, "/a"), 0);
	run_free(&run);
	testsrv_stop(srv);
}

Test(crawl, a_redirect_whose_target_found_no_memory_says_so_in_its_record)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .status = 301, .location = "/b" } },
		{ "/b", { .body = HTML("b") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 2, visited_out_of_memory);
	json_t *r;

	cr_expect_eq(run.res.stop, CRAWL_FAILED);
	cr_assert_eq(run.n, 1, "records: %zu", run.n);
	r = record_at(srv, &run, "/");
	expect_rec(r, 301, "internal");
	cr_expect(rec_err_msg(r) && strstr(rec_err_msg(r), "target"),
		  "the message names what was lost: %s", rec_err_msg(r));
	cr_expect_eq(testsrv_hits(srv, "/b"), 0);
	run_free(&run);
	testsrv_stop(srv);
}

Test(crawl, redirects_are_records_and_their_targets_are_fetched_once)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/a'>a</a> <a href='/c'>c</a> <a href='/loop1'>l</a>") } },
		{ "/a", { .status = 301, .location = "/b" } },
		{ "/b", { .status = 302, .location = "http://127.0.0.2:1/never" } },
		{ "/c", { .body = HTML("<a href='/a'>again</a>") } },
		{ "/loop1", { .status = 301, .location = "/loop2" } },
		{ "/loop2", { .status = 307, .location = "/loop1" } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 6, NULL);
	char *b = testsrv_url(srv, "/b"), *loop1 = testsrv_url(srv, "/loop1");

	cr_expect_eq(run.n, 6, "records: %zu", run.n);
	expect_record(srv, &run, "/a", 301, NULL);
	expect_record(srv, &run, "/b", 302, NULL);
	expect_record(srv, &run, "/loop2", 307, "redirect_loop");
	{
		char *a = testsrv_url(srv, "/a");

		cr_expect_str_eq(rec_str(run_must_find(&run, a), "location"), b);
		cr_expect_str_eq(rec_str(run_must_find(&run, b), "parent"), a);
		free(a);
	}
	{
		char *loop2 = testsrv_url(srv, "/loop2");

		cr_expect_str_eq(rec_str(run_must_find(&run, loop2), "location"), loop1);
		free(loop2);
	}
	/* Out of scope (another host): recorded as location, not fetched. */
	cr_expect_str_eq(rec_str(run_must_find(&run, b), "location"), "http://127.0.0.2:1/never");
	cr_expect_null(run_find(&run, "http://127.0.0.2:1/never"));
	cr_expect_eq(testsrv_hits(srv, "/a"), 1);
	cr_expect_eq(testsrv_hits(srv, "/loop1"), 1);
	cr_expect_eq(testsrv_hits(srv, "/loop2"), 1);
	free(b);
	free(loop1);
	run_free(&run);
	testsrv_stop(srv);
}

static void timeout_300ms(struct crawl_config *cfg)
{
	cfg->timeout_ms = 300;
}

Test(crawl, page_slower_than_timeout_is_a_timeout_record_and_the_crawl_goes_on)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/slow'>s</a><a href='/fast'>f</a>") } },
		{ "/slow", { .body = HTML("late"), .delay_ms = 3000 } },
		{ "/fast", { .body = HTML("<a href='/fast2'>f</a>") } },
		{ "/fast2", { .body = HTML("ok") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 4, timeout_300ms);

	cr_expect_eq(run.n, 4);
	expect_record(srv, &run, "/slow", 0, "timeout");
	expect_record(srv, &run, "/fast2", 200, NULL);
	cr_expect_eq(run.res.stats.by_err[RECORD_ERR_TIMEOUT], 1);
	run_free(&run);
	testsrv_stop(srv);
}

static void max_time_500ms(struct crawl_config *cfg)
{
	cfg->max_time_ms = 500;
}

Test(crawl, max_time_stops_the_crawl_and_records_transfers_in_flight_as_canceled)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/s1'>1</a><a href='/s2'>2</a><a href='/quick'>q</a>") } },
		{ "/s1", { .body = HTML("<a href='/after'>a</a>"), .delay_ms = 5000 } },
		{ "/s2", { .body = HTML("x"), .delay_ms = 5000 } },
		{ "/quick", { .body = HTML("q") } },
		{ "/after", { .body = HTML("never reached") } },
	};
	struct testsrv *srv;
	int64_t t0 = ctx_now_ns();
	struct run run = crawl_routes(&srv, routes, 5, max_time_500ms);
	double secs = (double)(ctx_now_ns() - t0) / 1e9;

	cr_expect_eq(run.res.stop, CRAWL_MAX_TIME);
	cr_expect_eq(run.n, 4, "records: %zu", run.n);
	expect_record(srv, &run, "/s1", 0, "canceled");
	expect_record(srv, &run, "/s2", 0, "canceled");
	expect_record(srv, &run, "/quick", 200, NULL);
	cr_expect_eq(testsrv_hits(srv, "/after"), 0);
	/* Behaviour, not speed: it did not wait for the 5 s replies. */
	cr_expect_lt(secs, 4.5, "the crawl waited %.1f s for aborted transfers", secs);
	run_free(&run);
	testsrv_stop(srv);
}

Test(crawl, not_found_and_non_html_are_recorded_and_not_parsed)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<title>Home</title><a href='/gone'>g</a><a href='/data.json'>d</a>") } },
		{ "/gone", { .status = 404, .body = HTML("<a href='/hidden'>h</a>") } },
		{ "/data.json", { .content_type = "application/json",
				  .body = "{\"href\": \"<a href='/hidden2'>\"}" } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 3, NULL);
	char *data = testsrv_url(srv, "/data.json");
	json_t *d;

	cr_expect_eq(run.n, 3);
	expect_record(srv, &run, "/gone", 404, NULL);
	d = run_must_find(&run, data);
	cr_expect_str_eq(rec_str(d, "content_type"), "application/json");
	cr_expect(json_is_null(json_object_get(d, "links")));
	cr_expect_eq(json_integer_value(json_object_get(d, "bytes")),
		     (json_int_t)strlen(routes[2].reply.body));
	cr_expect_eq(testsrv_hits(srv, "/hidden"), 0);
	cr_expect_eq(testsrv_hits(srv, "/hidden2"), 0);
	cr_expect_str_eq(rec_str(record_at(srv, &run, "/"), "title"), "t");
	free(data);
	run_free(&run);
	testsrv_stop(srv);
}

/* Crawl a one-page site on 127.0.0.1 that links to /x on another host
 * (ip); returns how often that host was asked for /x. */
static size_t crawl_link_to_host(const char *ip, void (*tweak)(struct crawl_config *),
				 struct run *run)
{
	static const struct testsrv_route other_routes[] = {
		{ "/x", { .body = HTML("other host") } },
	};
	struct testsrv *other = testsrv_start(ip, other_routes, 1, NULL, NULL);
	char *other_url = testsrv_url(other, "/x");
	char body[512];
	struct testsrv_route routes[] = {
		{ "/", { .body = body } },
	};
	struct testsrv *srv;
	size_t hits;

	snprintf(body, sizeof(body), HTML("<a href='%s'>o</a>"), other_url);
	*run = crawl_routes(&srv, routes, 1, tweak);
	cr_expect_eq(json_integer_value(json_object_get(record_at(srv, run, "/"), "links")), 1);
	cr_expect_eq(!!run_find(run, other_url), testsrv_hits(other, "/x"),
		     "a record for the other host's page without a request, or back");
	hits = testsrv_hits(other, "/x");
	testsrv_stop(srv);
	free(other_url);
	testsrv_stop(other);
	return hits;
}

static void scope_any(struct crawl_config *cfg)
{
	cfg->scope.mode = SCOPE_ANY;
}

Test(crawl, links_outside_the_seed_host_are_not_followed)
{
	struct run run;

	cr_expect_eq(crawl_link_to_host("127.0.0.2", NULL, &run), 0);
	cr_expect_eq(run.n, 1);
	run_free(&run);
}

Test(crawl, scope_any_follows_links_to_other_hosts)
{
	struct run run;

	cr_expect_eq(crawl_link_to_host("127.0.0.3", scope_any, &run), 1);
	cr_expect_eq(run.n, 2);
	run_free(&run);
}

static void max_size_1k(struct crawl_config *cfg)
{
	cfg->max_size = 1024;
}

Test(crawl, body_over_max_size_is_cut_off_as_too_large)
{
	static char big[4096];
	struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/big'>b</a>") } },
		{ "/big", { .body = big } },
	};
	struct testsrv *srv;
	struct run run;

	memset(big, 'x', sizeof(big) - 1);
	run = crawl_routes(&srv, routes, 2, max_size_1k);
	expect_record(srv, &run, "/big", 200, "too_large");
	run_free(&run);
	testsrv_stop(srv);
}

Test(crawl, refused_connection_is_a_connect_error_record)
{
	struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='http://127.0.0.1:9/'>discard port</a>") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 1, scope_any);
	json_t *r = run_must_find(&run, "http://127.0.0.1:9/");

	cr_expect_eq(rec_status(r), 0);
	cr_expect_str_eq(rec_err(r), "connect");
	cr_expect(json_is_null(json_object_get(r, "status")));
	run_free(&run);
	testsrv_stop(srv);
}

static void per_host_2(struct crawl_config *cfg)
{
	cfg->per_host = 2;
	cfg->concurrency = 16;
}

Test(crawl, no_host_gets_more_connections_than_per_host)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/1'>1</a><a href='/2'>2</a><a href='/3'>3</a>"
				      "<a href='/4'>4</a><a href='/5'>5</a><a href='/6'>6</a>") } },
		{ "/1", { .body = HTML("1"), .delay_ms = 200 } },
		{ "/2", { .body = HTML("2"), .delay_ms = 200 } },
		{ "/3", { .body = HTML("3"), .delay_ms = 200 } },
		{ "/4", { .body = HTML("4"), .delay_ms = 200 } },
		{ "/5", { .body = HTML("5"), .delay_ms = 200 } },
		{ "/6", { .body = HTML("6"), .delay_ms = 200 } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 7, per_host_2);

	cr_expect_eq(run.n, 7);
	cr_expect_leq(testsrv_peak_connections(srv), 2, "peak %u connections",
		      testsrv_peak_connections(srv));
	run_free(&run);
	testsrv_stop(srv);
}

static void with_links(struct crawl_config *cfg)
{
	cfg->links = true;
}

Test(crawl, outlinks_list_every_link_in_document_order_followed_or_not)
{
	static const struct testsrv_route routes[] = {
		{ "/dir/", { .body = HTML("<a href='b'>b</a><a href='mailto:x@y'>m</a>"
					  "<a href='/dir/b#frag'>again</a>"
					  "<a href='http://other.invalid/'>o</a><a href='../%7Euser/'>u</a>") } },
		{ "/dir/b", { .body = HTML("b") } },
		/* Requested as written: escapes are not decoded (url.h). */
		{ "/%7Euser/", { .body = HTML("u") } },
	};
	struct testsrv *srv = testsrv_start("127.0.0.1", routes, 3, NULL, NULL);
	char *seed = testsrv_url(srv, "/dir/");
	char *b = testsrv_url(srv, "/dir/b"), *u = testsrv_url(srv, "/%7Euser/");
	struct crawl_config cfg;
	struct run run;
	json_t *links;

	run_config(&cfg, &seed, 1);
	with_links(&cfg);
	run_crawl(&cfg, &run);
	links = json_object_get(run_must_find(&run, seed), "outlinks");
	cr_assert(json_is_array(links));
	cr_assert_eq(json_array_size(links), 4);
	cr_expect_str_eq(json_string_value(json_array_get(links, 0)), b);
	cr_expect_str_eq(json_string_value(json_array_get(links, 1)), b);
	cr_expect_str_eq(json_string_value(json_array_get(links, 2)), "http://other.invalid/");
	cr_expect_str_eq(json_string_value(json_array_get(links, 3)), u);
	cr_expect_eq(run.n, 3);
	cr_expect_eq(testsrv_hits(srv, "/dir/b"), 1);
	cr_expect_eq(testsrv_hits(srv, "/%7Euser/"), 1);
	free(seed);
	free(b);
	free(u);
	run_free(&run);
	testsrv_stop(srv);
}

Test(crawl, same_page_linked_a_hundred_times_is_fetched_once)
{
	static char body[8192];
	struct testsrv_route routes[] = {
		{ "/", { .body = body } },
		{ "/once", { .body = HTML("<a href='/'>home</a><a href='/once'>me</a>") } },
	};
	struct testsrv *srv;
	struct run run;
	size_t n = 0;

	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
				      i % 2 ? "<a href='/once'>x</a>" : "<a href='once#%d'>y</a>", i);
	run = crawl_routes(&srv, routes, 2, NULL);
	cr_expect_eq(run.n, 2);
	cr_expect_eq(testsrv_hits(srv, "/once"), 1);
	cr_expect_eq(testsrv_hits(srv, "/"), 1);
	run_free(&run);
	testsrv_stop(srv);
}

Test(crawl, user_agent_and_extra_headers_reach_the_server_on_every_request)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/a'>a</a>") } },
		{ "/a", { .body = HTML("a") } },
	};
	static char *headers[] = { "X-Crawl-Test: yes", "Accept-Language: fr" };
	struct testsrv *srv = testsrv_start("127.0.0.1", routes, 2, NULL, NULL);
	char *seed = testsrv_url(srv, "/");
	struct crawl_config cfg;
	struct testsrv_request *log;
	struct run run;
	size_t n;

	run_config(&cfg, &seed, 1);
	cfg.user_agent = "test-agent/1.0";
	cfg.headers = headers;
	cfg.nheaders = 2;
	run_crawl(&cfg, &run);
	n = testsrv_log(srv, &log);
	cr_assert_eq(n, 3, "/robots.txt, / and /a");
	for (size_t i = 0; i < n; i++) {
		cr_expect_str_eq(log[i].user_agent, "test-agent/1.0");
		cr_expect(strstr(log[i].headers, "X-Crawl-Test: yes\n"), "%s", log[i].headers);
		cr_expect(strstr(log[i].headers, "Accept-Language: fr\n"), "%s", log[i].headers);
		/* Every coding decode.c undoes. */
		cr_expect(strstr(log[i].headers,
				 "Accept-Encoding: gzip, deflate, br, zstd\n"),
			  "%s", log[i].headers);
	}
	testsrv_log_free(log, n);
	free(seed);
	run_free(&run);
	testsrv_stop(srv);
}

Test(crawl, gzip_bodies_are_decoded_before_parsing_and_counting)
{
	/* gzip of HTML("<a href='/z'>z</a>"), made with Python's gzip module. */
	static const unsigned char gz[] = {
#include "gz_page.inc"
	};
	struct testsrv_route routes[] = {
		{ "/", { .body = (const char *)gz, .body_len = sizeof(gz),
			 .headers = "Content-Encoding: gzip\n" } },
		{ "/z", { .body = HTML("z") } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 2, NULL);

	cr_expect_eq(run.n, 2);
	cr_expect_eq(testsrv_hits(srv, "/z"), 1);
	cr_expect_eq(json_integer_value(json_object_get(record_at(srv, &run, "/"), "bytes")),
		     (json_int_t)strlen(HTML("<a href='/z'>z</a>")));
	run_free(&run);
	testsrv_stop(srv);
}

Test(crawl, br_zstd_and_deflate_bodies_are_decoded_before_parsing_and_counting)
{
	static const char br_page[] = HTML("<a href='/y'>y</a>");
	static const char zstd_page[] = HTML("<a href='/x'>x</a>");
	static const char deflate_page[] = HTML("the end");
	size_t blen, zlen, dlen;
	char *br = testenc("br", br_page, strlen(br_page), &blen);
	char *zs = testenc("zstd", zstd_page, strlen(zstd_page), &zlen);
	char *df = testenc("rawdeflate", deflate_page, strlen(deflate_page), &dlen);
	struct testsrv_route routes[] = {
		{ "/", { .body = br, .body_len = blen, .headers = "Content-Encoding: br\n" } },
		{ "/y", { .body = zs, .body_len = zlen, .headers = "Content-Encoding: zstd\n" } },
		{ "/x", { .body = df, .body_len = dlen,
			  .headers = "Content-Encoding: deflate\n" } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 3, NULL);

	cr_expect_eq(run.n, 3, "each page decoded and its link found");
	cr_expect_eq(rec_int(record_at(srv, &run, "/"), "bytes"), (long long)strlen(br_page));
	cr_expect_eq(rec_int(record_at(srv, &run, "/y"), "bytes"),
		     (long long)strlen(zstd_page));
	cr_expect_eq(rec_int(record_at(srv, &run, "/x"), "wire_bytes"), (long long)dlen);
	run_free(&run);
	testsrv_stop(srv);
	free(br);
	free(zs);
	free(df);
}

Test(crawl, a_body_cut_inside_its_gzip_stream_is_an_http_error)
{
	static const char page[] = HTML("<a href='/z'>z</a>");
	size_t n;
	char *gz = testgz(page, strlen(page), &n);
	struct testsrv_route routes[] = {
		/* Content-Length says what was sent: only the coding is cut. */
		{ "/", { .body = gz, .body_len = n / 2, .headers = "Content-Encoding: gzip\n" } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 1, NULL);
	json_t *r = record_at(srv, &run, "/");
	const char *msg = json_string_value(json_object_get(json_object_get(r, "error"),
							    "message"));

	expect_record(srv, &run, "/", 200, "http");
	cr_assert_not_null(msg);
	cr_expect(strstr(msg, "ends inside its gzip stream"), "%s", msg);
	run_free(&run);
	testsrv_stop(srv);
	free(gz);
}

static void max_size_64k(struct crawl_config *cfg)
{
	cfg->max_size = 64 * 1024;
}

Test(crawl, max_size_counts_decoded_bytes_so_a_gzip_bomb_is_too_large)
{
	/* 4 MiB of spaces in an HTML page, gzip -9: about 4 KiB on the wire. */
	static const unsigned char bomb[] = {
#include "gz_bomb.inc"
	};
	struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/bomb'>b</a>") } },
		{ "/bomb", { .body = (const char *)bomb, .body_len = sizeof(bomb),
			     .headers = "Content-Encoding: gzip\n" } },
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, routes, 2, max_size_64k);
	char *url = testsrv_url(srv, "/bomb");

	cr_assert_lt(sizeof(bomb), 64 * 1024, "the bomb must be small on the wire");
	expect_record(srv, &run, "/bomb", 200, "too_large");
	cr_expect_leq(json_integer_value(json_object_get(run_must_find(&run, url), "bytes")),
		      64 * 1024);
	free(url);
	run_free(&run);
	testsrv_stop(srv);
}

/* ---- every link source (issue 10) -------------------------------------- */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A site where some URLs are linked only from CSS (a stylesheet, an
 * @import'ed one, a <style> block, a style="" attribute), one page only by
 * <link rel=search> and one file only by srcset. */
static const struct testsrv_route css_site[] = {
	{ "/", { .body = "<!doctype html><html><head><title>t</title>"
			 "<link rel=stylesheet href=/s.css>"
			 "<link rel=search href=/search.html>"
			 "<style>header { background: url('/img/style-block.png') }</style>"
			 "</head><body>"
			 "<div style=\"background: url(/img/inline.png)\"></div>"
			 "<img src=/img/plain.png srcset=\"/img/wide.png 2x\">"
			 "</body></html>" } },
	{ "/s.css", { .content_type = "text/css",
		      .body = "@import \"more.css\";\n"
			      "@font-face { font-family: F; src: url(fonts/missing.woff2) }\n"
			      "/* url(/img/commented.png) */\n"
			      ".x { background: url(\"/img/sheet.png\") }\n" } },
	{ "/more.css", { .content_type = "text/css; charset=utf-8",
			 .body = ".y { background: url(img/deep.png) }" } },
	{ "/search.html", { .body = HTML("<p>search</p>") } },
	{ "/img/style-block.png", { .content_type = "image/png", .body = "png" } },
	{ "/img/inline.png", { .content_type = "image/png", .body = "png" } },
	{ "/img/plain.png", { .content_type = "image/png", .body = "png" } },
	{ "/img/wide.png", { .content_type = "image/png", .body = "png" } },
	{ "/img/sheet.png", { .content_type = "image/png", .body = "png" } },
	{ "/img/deep.png", { .content_type = "image/png", .body = "png" } },
	{ "/img/commented.png", { .content_type = "image/png", .body = "png" } },
};

static void with_resources(struct crawl_config *cfg)
{
	cfg->resources = true;
}

static void expect_paths(struct testsrv *srv, const struct run *run,
			 const char *const *paths, size_t n)
{
	cr_expect_eq(run->n, n, "records: %zu, want %zu", run->n, n);
	for (size_t i = 0; i < n; i++)
		cr_expect_not_null(find_at(srv, run, paths[i]), "no record for %s", paths[i]);
}

Test(crawl, without_resources_only_pages_are_fetched_rel_search_among_them)
{
	static const char *const want[] = { "/", "/search.html" };
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, css_site, ARRAY_SIZE(css_site), NULL);

	expect_paths(srv, &run, want, ARRAY_SIZE(want));
	cr_expect_eq(testsrv_hits(srv, "/s.css"), 0);
	run_free(&run);
	testsrv_stop(srv);
}

Test(crawl, resources_follow_css_urls_imports_style_blocks_and_srcset)
{
	static const char *const want[] = {
		"/", "/search.html", "/s.css", "/more.css", "/fonts/missing.woff2",
		"/img/sheet.png", "/img/deep.png", "/img/style-block.png",
		"/img/inline.png", "/img/plain.png", "/img/wide.png",
	};
	struct testsrv *srv;
	struct run run = crawl_routes(&srv, css_site, ARRAY_SIZE(css_site), with_resources);

	expect_paths(srv, &run, want, ARRAY_SIZE(want));
	expect_record(srv, &run, "/fonts/missing.woff2", 404, NULL);
	expect_record(srv, &run, "/img/deep.png", 200, NULL);
	cr_expect_eq(testsrv_hits(srv, "/img/commented.png"), 0);
	cr_expect_eq(rec_int(record_at(srv, &run, "/s.css"), "links"), 3,
		     "the stylesheet's record counts its links");
	run_free(&run);
	testsrv_stop(srv);
}

static char cut_sheet[70 * 1024];

static void resources_max_size_64k(struct crawl_config *cfg)
{
	cfg->resources = true;
	cfg->max_size = 64 * 1024;
}

Test(crawl, stylesheet_over_max_size_gives_the_urls_of_what_arrived)
{
	static const char head[] = ".a { background: url(/early.png) } /*";
	static const char tail[] = "*/ .b { background: url(/late.png) }";
	struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<link rel=stylesheet href=/big.css>") } },
		{ "/big.css", { .content_type = "text/css", .body = cut_sheet } },
		{ "/early.png", { .content_type = "image/png", .body = "png" } },
		{ "/late.png", { .content_type = "image/png", .body = "png" } },
	};
	struct testsrv *srv;
	struct run run;

	memset(cut_sheet, ' ', sizeof(cut_sheet) - 1);
	memcpy(cut_sheet, head, sizeof(head) - 1);
	memcpy(cut_sheet + sizeof(cut_sheet) - sizeof(tail), tail, sizeof(tail));
	run = crawl_routes(&srv, routes, ARRAY_SIZE(routes), resources_max_size_64k);
	expect_record(srv, &run, "/big.css", 200, "too_large");
	cr_expect_eq(rec_int(record_at(srv, &run, "/big.css"), "links"), 1);
	expect_record(srv, &run, "/early.png", 200, NULL);
	cr_expect_eq(testsrv_hits(srv, "/late.png"), 0, "the URL past the cap");
	cr_expect_eq(run.n, 3, "records: %zu", run.n);
	run_free(&run);
	testsrv_stop(srv);
}
