/* Integration tests for sitemaps in a crawl: the site of issue 10 (a
 * robots.txt naming two sitemaps, one an index of a gzipped sitemap, ten
 * pages no page links to, each linking one more), crawled through the crawl
 * API against the in-process server on 127.0.0.100-101; then
 * --no-sitemaps, --sitemap, robots.txt obeyed for a sitemap, and the cap on
 * index nesting. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl.h"
#include "crawlrun.h"
#include "testgz.h"
#include "testsrv.h"

#define IP "127.0.0.100"
#define OTHER "127.0.0.101"
#define NS "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\""
#define HTML(body) "<!doctype html><html><head><title>t</title></head><body>" body "</body></html>"

TestSuite(sitemap_crawl, .init = run_setup, .timeout = 60);

/* The site: what a path answers depends on the port, known once the server
 * runs, so a handler writes every body. */
struct site {
	unsigned short port;
};

/* A urlset of /p<from>../p<to> on the site (each with a lastmod), plus
 * extra entries. */
static char *urlset(const struct site *s, int from, int to, const char *extra)
{
	char *buf = malloc(8192);
	size_t n = 0;

	cr_assert(buf);
	n += (size_t)snprintf(buf + n, 8192 - n, "<?xml version=\"1.0\"?>\n<urlset " NS ">\n");
	for (int i = from; i <= to; i++)
		n += (size_t)snprintf(buf + n, 8192 - n,
				      "  <url>\n    <loc> http://" IP ":%u/p%d?a=1&amp;b=2 </loc>\n"
				      "    <lastmod>2024-01-%02d</lastmod>\n  </url>\n",
				      s->port, i, i);
	snprintf(buf + n, 8192 - n, "%s</urlset>\n", extra);
	return buf;
}

static bool answer(struct testsrv_reply *reply, void **free_body, char *body,
		   const char *type)
{
	reply->body = body;
	reply->content_type = type;
	*free_body = (void *)free;
	return true;
}

static bool serve(void *arg, const char *path, struct testsrv_reply *reply,
		  void **free_body)
{
	const struct site *s = arg;
	char *body = malloc(4096), extra[256];
	int i;

	cr_assert(body);
	if (!strcmp(path, "/robots.txt")) {
		snprintf(body, 4096, "User-agent: *\nDisallow: /private\n"
			 "Sitemap: http://" IP ":%u/sitemap-pages.xml\n"
			 "Sitemap: http://" IP ":%u/sitemap-index.xml\n"
			 "Sitemap: http://" OTHER ":%u/elsewhere.xml\n",
			 s->port, s->port, s->port);
		return answer(reply, free_body, body, "text/plain");
	}
	if (!strcmp(path, "/")) {
		snprintf(body, 4096, HTML("no links"));
		return answer(reply, free_body, body, NULL);
	}
	if (!strcmp(path, "/sitemap-pages.xml")) {
		free(body);
		return answer(reply, free_body, urlset(s, 1, 5, ""), "application/xml");
	}
	if (!strcmp(path, "/sitemap-index.xml")) {
		snprintf(body, 4096, "<sitemapindex " NS "><sitemap><loc>http://" IP
			 ":%u/sitemaps/more.xml.gz</loc><lastmod>2024-02-01</lastmod>"
			 "</sitemap></sitemapindex>", s->port);
		return answer(reply, free_body, body, "text/xml");
	}
	if (!strcmp(path, "/sitemaps/more.xml.gz")) {
		char *xml;
		size_t n;

		snprintf(extra, sizeof(extra), "<url><loc>http://" OTHER
			 ":%u/away</loc></url>\n", s->port);
		xml = urlset(s, 6, 10, extra);
		free(body);
		body = testgz(xml, strlen(xml), &n);
		free(xml);
		reply->body_len = n;
		return answer(reply, free_body, body, "application/x-gzip");
	}
	if (!strcmp(path, "/moved.xml")) {
		free(body);
		reply->status = 301;
		reply->location = "/extra.xml";
		return true;
	}
	if (!strcmp(path, "/extra.xml") || !strcmp(path, "/private/map.xml")) {
		free(body);
		return answer(reply, free_body, urlset(s, 11, 11, ""), "application/xml");
	}
	if (!strncmp(path, "/idx", 4) && sscanf(path, "/idx%d.xml", &i) == 1) {
		if (i < 3)
			snprintf(body, 4096, "<sitemapindex " NS "><sitemap><loc>http://"
				 IP ":%u/idx%d.xml</loc></sitemap></sitemapindex>",
				 s->port, i + 1);
		else
			snprintf(body, 4096, "<urlset " NS "><url><loc>http://" IP
				 ":%u/deep</loc></url></urlset>", s->port);
		return answer(reply, free_body, body, "application/xml");
	}
	if (sscanf(path, "/p%d", &i) == 1 && strstr(path, "/child")) {
		snprintf(body, 4096, HTML("child %d"), i);
		return answer(reply, free_body, body, NULL);
	}
	if (sscanf(path, "/p%d", &i) == 1) {
		snprintf(body, 4096, HTML("<a href='/p%d/child'>more</a>"), i);
		return answer(reply, free_body, body, NULL);
	}
	free(body);
	return false;
}

/* Crawl the site from / with tweak applied to the config. */
static struct run crawl_site(struct testsrv **srv, struct site *s,
			     void (*tweak)(struct crawl_config *, const struct site *))
{
	struct crawl_config cfg;
	struct run run;
	static char *seeds[1];

	*srv = testsrv_start(IP, NULL, 0, serve, s);
	s->port = testsrv_port(*srv);
	seeds[0] = testsrv_url(*srv, "/");
	run_config(&cfg, seeds, 1);
	if (tweak)
		tweak(&cfg, s);
	run_crawl(&cfg, &run);
	free(seeds[0]);
	return run;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every path the server was asked for, sorted, joined by spaces. */
static char *requested(struct testsrv *srv)
{
	struct testsrv_request *log;
	size_t n = testsrv_log(srv, &log), len = 1;
	char **paths = malloc((n + 1) * sizeof(*paths)), *out;

	cr_assert(paths);
	for (size_t i = 0; i < n; i++) {
		paths[i] = log[i].path;
		len += strlen(paths[i]) + 1;
	}
	qsort(paths, n, sizeof(*paths), cmp_str);
	out = calloc(1, len);
	cr_assert(out);
	for (size_t i = 0, at = 0; i < n; i++)
		at += (size_t)snprintf(out + at, len - at, "%s%s", i ? " " : "",
				       paths[i]);
	free(paths);
	testsrv_log_free(log, n);
	return out;
}

static long long summary_int(const struct run *run, const char *key)
{
	json_t *sum = json_loads(run->res.summary, 0, NULL);
	long long v;

	cr_assert(sum, "summary is not JSON: %s", run->res.summary);
	v = json_integer_value(json_object_get(sum, key));
	json_decref(sum);
	return v;
}

static bool is_null(json_t *r, const char *key)
{
	json_t *v = json_object_get(r, key);

	cr_assert(v, "no \"%s\" in the record", key);
	return json_is_null(v);
}

#define PAGE(i) "/p" #i "/child /p" #i "?a=1&b=2 "
Test(sitemap_crawl, robots_sitemaps_index_and_gzip_bring_every_page)
{
	struct testsrv *srv;
	struct site s = { 0 };
	struct run run = crawl_site(&srv, &s, NULL);
	char *paths = requested(srv);
	json_t *r;

	/* Sorted: "/p1/child" < "/p10/child" < "/p10?..." < "/p1?...". */
	cr_expect_str_eq(paths, "/ /p1/child /p10/child /p10?a=1&b=2 /p1?a=1&b=2 "
			 PAGE(2) PAGE(3) PAGE(4) PAGE(5) PAGE(6) PAGE(7) PAGE(8) PAGE(9)
			 "/robots.txt /sitemap-index.xml /sitemap-pages.xml "
			 "/sitemaps/more.xml.gz");
	cr_expect_eq(run.n, 24, "records: %zu", run.n);
	for (int i = 1; i <= 10; i++) {
		char path[32], want[16];

		snprintf(path, sizeof(path), "/p%d?a=1&b=2", i);
		snprintf(want, sizeof(want), "2024-01-%02d", i);
		r = record_at(srv, &run, path);
		expect_rec(r, 200, NULL);
		cr_expect_str_eq(rec_str(r, "lastmod"), want, "%s", path);
		cr_expect_eq(rec_int(r, "depth"), 1);
		cr_expect(is_null(r, "sitemap_urls"));
		snprintf(path, sizeof(path), "/p%d/child", i);
		r = record_at(srv, &run, path);
		cr_expect(is_null(r, "lastmod"), "%s", path);
		cr_expect_eq(rec_int(r, "depth"), 2);
	}
	r = record_at(srv, &run, "/sitemap-pages.xml");
	expect_rec(r, 200, NULL);
	cr_expect_eq(rec_int(r, "sitemap_urls"), 5);
	cr_expect_eq(rec_int(r, "depth"), 0);
	cr_expect(strstr(rec_str(r, "parent"), "/robots.txt"));
	cr_expect(is_null(r, "links"));
	cr_expect_eq(rec_int(record_at(srv, &run, "/sitemap-index.xml"), "sitemap_urls"), 1);
	r = record_at(srv, &run, "/sitemaps/more.xml.gz");
	cr_expect_eq(rec_int(r, "sitemap_urls"), 6, "five pages and one elsewhere");
	cr_expect_str_eq(rec_str(r, "lastmod"), "2024-02-01");
	cr_expect_eq(rec_int(r, "depth"), 0);
	cr_expect(is_null(record_at(srv, &run, "/"), "sitemap_urls"));
	cr_expect_eq(run_skipped(&run, "scope"), 2, "elsewhere.xml and /away");
	cr_expect_eq(summary_int(&run, "sitemaps"), 3);
	free(paths);
	run_free(&run);
	testsrv_stop(srv);
}

static void no_sitemaps(struct crawl_config *cfg, const struct site *s)
{
	(void)s;
	cfg->robots_sitemaps = false;
}

Test(sitemap_crawl, no_sitemaps_fetches_none_of_them)
{
	struct testsrv *srv;
	struct site s = { 0 };
	struct run run = crawl_site(&srv, &s, no_sitemaps);
	char *paths = requested(srv);

	cr_expect_str_eq(paths, "/ /robots.txt");
	cr_expect_eq(run.n, 1);
	cr_expect_eq(summary_int(&run, "sitemaps"), 0);
	free(paths);
	run_free(&run);
	testsrv_stop(srv);
}

static char *given[2];

static void sitemap_given(struct crawl_config *cfg, const struct site *s)
{
	static char url[2][96];

	snprintf(url[0], sizeof(url[0]), "http://" IP ":%u/moved.xml", s->port);
	snprintf(url[1], sizeof(url[1]), "http://" IP ":%u/private/map.xml", s->port);
	given[0] = url[0];
	given[1] = url[1];
	cfg->robots_sitemaps = false;
	cfg->sitemaps = given;
	cfg->nsitemaps = 2;
}

/* A --sitemap is fetched though robots.txt does not name it, and obeys
 * robots.txt like any URL of its origin; one that redirects is read at its
 * target. */
Test(sitemap_crawl, sitemap_option_adds_one_under_robots_rules)
{
	struct testsrv *srv;
	struct site s = { 0 };
	struct run run = crawl_site(&srv, &s, sitemap_given);
	char *paths = requested(srv);
	json_t *r;

	cr_expect_str_eq(paths, "/ /extra.xml /moved.xml /p11/child /p11?a=1&b=2 "
			 "/robots.txt");
	r = record_at(srv, &run, "/moved.xml");
	expect_rec(r, 301, NULL);
	cr_expect(is_null(r, "parent"));
	cr_expect(is_null(r, "sitemap_urls"));
	r = record_at(srv, &run, "/extra.xml");
	cr_expect_eq(rec_int(r, "sitemap_urls"), 1);
	cr_expect_eq(rec_int(r, "depth"), 0);
	cr_expect_str_eq(rec_str(record_at(srv, &run, "/p11?a=1&b=2"), "lastmod"),
			 "2024-01-11");
	r = record_at(srv, &run, "/private/map.xml");
	expect_rec(r, 0, "robots");
	cr_expect(is_null(r, "sitemap_urls"));
	cr_expect_eq(summary_int(&run, "sitemaps"), 1);
	free(paths);
	run_free(&run);
	testsrv_stop(srv);
}

static void only_nested(struct crawl_config *cfg, const struct site *s)
{
	static char url[96];

	snprintf(url, sizeof(url), "http://" IP ":%u/idx0.xml", s->port);
	given[0] = url;
	cfg->robots_sitemaps = false;
	cfg->sitemaps = given;
	cfg->nsitemaps = 1;
}

/* idx0 -> idx1 -> idx2 -> idx3: the third index's sitemap is past the
 * nesting cap, skipped and counted. */
Test(sitemap_crawl, index_nesting_is_capped_at_three_files)
{
	struct testsrv *srv;
	struct site s = { 0 };
	struct run run = crawl_site(&srv, &s, only_nested);
	char *paths = requested(srv);

	cr_expect_str_eq(paths, "/ /idx0.xml /idx1.xml /idx2.xml /robots.txt");
	cr_expect_eq(rec_int(record_at(srv, &run, "/idx2.xml"), "sitemap_urls"), 1);
	cr_expect_eq(run_skipped(&run, "sitemap_nesting"), 1);
	free(paths);
	run_free(&run);
	testsrv_stop(srv);
}

static void html_only(struct crawl_config *cfg, const struct site *s)
{
	static char *accept[] = { "text/html" };

	(void)s;
	cfg->types.accept = accept;
	cfg->types.naccept = 1;
}

/* --accept-type judges pages, not sitemaps (as it does not judge
 * robots.txt): an XML or gzip sitemap is still read. */
Test(sitemap_crawl, accept_type_does_not_refuse_sitemaps)
{
	struct testsrv *srv;
	struct site s = { 0 };
	struct run run = crawl_site(&srv, &s, html_only);

	cr_expect_eq(run.n, 24, "records: %zu", run.n);
	cr_expect_eq(rec_int(record_at(srv, &run, "/sitemaps/more.xml.gz"),
			     "sitemap_urls"), 6);
	cr_expect_eq(summary_int(&run, "sitemaps"), 3);
	run_free(&run);
	testsrv_stop(srv);
}

static void depth_one(struct crawl_config *cfg, const struct site *s)
{
	(void)s;
	cfg->max_depth = 1;
}

/* Sitemaps are at depth 0 and their pages at 1, so -d 1 fetches every
 * page a sitemap lists (the index's too) and none of the links on them. */
Test(sitemap_crawl, max_depth_one_reaches_listed_pages_not_their_links)
{
	struct testsrv *srv;
	struct site s = { 0 };
	struct run run = crawl_site(&srv, &s, depth_one);

	cr_expect_eq(run.n, 14, "records: %zu", run.n);
	for (int i = 1; i <= 10; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/p%d?a=1&b=2", i);
		expect_record(srv, &run, path, 200, NULL);
		snprintf(path, sizeof(path), "/p%d/child", i);
		cr_expect_eq(testsrv_hits(srv, path), 0, "%s", path);
	}
	run_free(&run);
	testsrv_stop(srv);
}
