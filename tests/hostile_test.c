/* Integration: hostile servers, through the crawl API against rawsrv (raw
 * bytes, for what a compliant server will not do) and testsrv on 127.0.0.x.
 *
 * Each test crawls a small site on which one URL, /bad, misbehaves: "/"
 * links /good1, /bad and /good2, and /good1 links /good3. It pins down that
 * the crawl ends (the suite's .timeout is only a safety net), that /bad has
 * exactly one record with the right error kind (and status, where one
 * arrived), that every good page is crawled without error, and that no
 * record breaks the output (every line is parsed back with jansson).
 *
 * The HTTP level: no answer, a body or headers dripped slower than
 * --timeout, headers or a body that never end, a body cut short by a FIN or
 * an RST, an empty reply, bad gzip, a bad chunk size, a 5 GB
 * Content-Length, a 100 KiB header line, a garbage status line, redirect
 * loops, chains and Locations that are not URLs. The HTML level: 200,000
 * links, 100,000 nested elements, a 50 MB line, NUL bytes and invalid UTF-8,
 * a 1 MB href, thousands of javascript: and data: links. The crawl level:
 * an infinite link space under --max-pages, robots.txt that is huge,
 * binary or dripped, names that do not resolve, ports that refuse. And the
 * peak memory of a crawl that meets a 50 MB page and an endless body.
 *
 * Results pinned here are libcurl 7.88's (Debian 12). */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "crawl.h"
#include "crawlrun.h"
#include "parse.h"
#include "rawsrv.h"
#include "testsrv.h"

#define HTML(body) "<!doctype html><html><head><title>t</title></head><body>" body "</body></html>"
#define TEXT "text/plain"
#define TIMEOUT_MS 1500   /* --timeout of every crawl here */
#define SLACK_MS 50
#define KIB 1024
#define MIB (1024 * 1024)

/* A page from rawsrv: no Content-Length, the body ends at the close. */
#define RAW_HEAD "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n" \
		 "Connection: close\r\n\r\n"
#define RAW_PAGE(body) RAW_HEAD HTML(body)

typedef void (*tweak_fn)(struct crawl_config *);

TestSuite(hostile, .init = run_setup, .timeout = 60);

/* ---- crawling and reading back --------------------------------------- */

/* Short timeouts and no retries, so that every bad URL is asked for once
 * and no test waits long. */
static void config(struct crawl_config *cfg, char **seeds, size_t n)
{
	crawl_config_init(cfg);
	cfg->seeds = seeds;
	cfg->nseeds = n;
	cfg->timeout_ms = TIMEOUT_MS;
	cfg->connect_timeout_ms = 1000;
	cfg->retries = 0;
	cfg->retry_base_ms = 50;
	cfg->log = stderr;
}

static size_t count_records(const struct run *run, const char *url)
{
	size_t n = 0;

	for (size_t i = 0; i < run->n; i++)
		n += !strcmp(json_string_value(json_object_get(run->recs[i], "url")), url);
	return n;
}

static void max_size_64k(struct crawl_config *cfg)
{
	cfg->max_size = 64 * KIB;
}

static void max_size_64m(struct crawl_config *cfg)
{
	cfg->max_size = 64 * MIB;
}

static void scope_any(struct crawl_config *cfg)
{
	cfg->scope.mode = SCOPE_ANY;
}

/* ---- the site: good pages around one bad URL --------------------------- */

#define LINKS_HOME "<a href='/good1'>1</a><a href='/bad'>b</a><a href='/good2'>2</a>"
#define BODY_GOOD1 "<a href='/good3'>3</a>"

#define NGOOD 4
static const char *const good_paths[NGOOD] = { "/", "/good1", "/good2", "/good3" };

static const struct testsrv_route web_good[NGOOD] = {
	{ "/", { .body = HTML(LINKS_HOME) } },
	{ "/good1", { .body = HTML(BODY_GOOD1) } },
	{ "/good2", { .body = HTML("2") } },
	{ "/good3", { .body = HTML("3") } },
};

/* A body made for one path on each request (too big for a static
 * buffer). */
struct gen {
	const char *path;
	char *(*make)(size_t *len); /* malloc'd body */
	const char *content_type;   /* NULL: HTML */
};

static bool gen_handler(void *arg, const char *path, struct testsrv_reply *reply,
			void **free_body)
{
	const struct gen *g = arg;

	if (strcmp(path, g->path))
		return false;
	reply->body = g->make(&reply->body_len);
	reply->content_type = g->content_type;
	*free_body = (void *)free;
	return true;
}

/* The site on one server, rawsrv or testsrv, crawled from "/". */
struct site {
	struct rawsrv *raw;
	struct rawsrv_case cases[NGOOD + 1];
	char good_bytes[NGOOD][512];
	struct testsrv *web;
	struct testsrv_route routes[NGOOD + 1];
	struct gen gen;
	struct run run;
	json_t *bad; /* the record of /bad, held by run */
};

static char *site_url(const struct site *s, const char *path)
{
	return s->raw ? rawsrv_url(s->raw, path) : testsrv_url(s->web, path);
}

static size_t site_hits(struct site *s, const char *path)
{
	return s->raw ? rawsrv_hits(s->raw, path) : testsrv_hits(s->web, path);
}

static json_t *site_rec(const struct site *s, const char *path)
{
	char *url = site_url(s, path);
	json_t *r = run_must_find(&s->run, url);

	free(url);
	return r;
}

/* Crawl from "/" and check what every test of a site checks: every good
 * page fetched once and recorded without error, /bad asked for once and
 * recorded once, the crawl run to its end. */
static void site_crawl(struct site *s, tweak_fn tweak)
{
	struct crawl_config cfg;
	char *seed = site_url(s, "/");
	char *bad = site_url(s, "/bad");

	config(&cfg, &seed, 1);
	if (tweak)
		tweak(&cfg);
	run_crawl(&cfg, &s->run);
	cr_expect_eq(s->run.res.stop, CRAWL_DONE, "stop %d", s->run.res.stop);
	for (size_t i = 0; i < NGOOD; i++) {
		json_t *r = site_rec(s, good_paths[i]);

		expect_rec(r, 200, NULL);
		cr_expect_eq(site_hits(s, good_paths[i]), 1, "%s asked for %zu times",
			     good_paths[i], site_hits(s, good_paths[i]));
	}
	cr_expect_eq(count_records(&s->run, bad), 1, "%zu records of /bad",
		     count_records(&s->run, bad));
	s->bad = run_must_find(&s->run, bad);
	cr_expect_eq(site_hits(s, "/bad"), 1, "/bad asked for %zu times",
		     site_hits(s, "/bad"));
	cr_expect_eq(rec_int(s->bad, "attempts"), 1);
	free(seed);
	free(bad);
}

/* A page with a Content-Length, on a connection kept open for the next
 * request, or else closed after it; into buf. */
static struct rawsrv_case raw_page(const char *path, const char *html, bool keep,
				   char *buf, size_t size)
{
	int n = snprintf(buf, size, "HTTP/1.1 200 OK\r\nContent-Type: text/html; "
			 "charset=utf-8\r\nContent-Length: %zu\r\n%s\r\n%s",
			 strlen(html), keep ? "" : "Connection: close\r\n", html);

	cr_assert(n > 0 && (size_t)n < size);
	return (struct rawsrv_case){ path, keep ? RAWSRV_SEND_KEEP : RAWSRV_SEND,
				     buf, (size_t)n };
}

/* rawsrv serves the good pages (the same as web_good) and bad as /bad.
 *
 * The good pages keep their connection open, as most servers do: libcurl
 * then knows that the origin speaks HTTP/1.1, which keeps these tests
 * clear of the bug of slow_url_does_not_hold_up_the_other_urls_of_its_origin.
 * With keep false they close it: for a /bad that answers nothing at all,
 * which libcurl would send again on another kept-alive connection (see
 * empty_reply_on_a_kept_alive_connection_is_sent_again_by_libcurl). */
static void raw_site_with(struct site *s, struct rawsrv_case bad, tweak_fn tweak,
			  bool keep)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < NGOOD; i++)
		s->cases[i] = raw_page(web_good[i].path, web_good[i].reply.body, keep,
				       s->good_bytes[i], sizeof(s->good_bytes[i]));
	bad.path = "/bad";
	s->cases[NGOOD] = bad;
	s->raw = rawsrv_start("127.0.0.1", s->cases, NGOOD + 1);
	site_crawl(s, tweak);
	/* Nothing but the pages of the site (and a robots.txt 404). */
	cr_expect_eq(s->run.n, NGOOD + 1, "records: %zu", s->run.n);
	cr_expect_eq(rawsrv_nrequests(s->raw), NGOOD + 2, "requests: %zu",
		     rawsrv_nrequests(s->raw));
}

static void raw_site(struct site *s, struct rawsrv_case bad, tweak_fn tweak)
{
	raw_site_with(s, bad, tweak, true);
}

/* testsrv serves the good pages and /bad, as bad (a route) or else as gen
 * makes it. */
static void web_site(struct site *s, const struct testsrv_reply *bad,
		     const struct gen *gen, tweak_fn tweak)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->routes, web_good, sizeof(web_good));
	if (bad)
		s->routes[NGOOD] = (struct testsrv_route){ "/bad", *bad };
	if (gen)
		s->gen = *gen;
	s->web = testsrv_start("127.0.0.1", s->routes, bad ? NGOOD + 1 : NGOOD,
			       gen ? gen_handler : NULL, &s->gen);
	site_crawl(s, tweak);
}

static void site_free(struct site *s)
{
	run_free(&s->run);
	rawsrv_stop(s->raw);
	testsrv_stop(s->web);
}

/* /bad failed on time: not before --timeout, and not much after. */
static void expect_timed_out(const struct site *s)
{
	long long ms = rec_int(s->bad, "elapsed_ms");

	cr_expect_geq(ms, TIMEOUT_MS - SLACK_MS, "timed out after %lld ms", ms);
	cr_expect_lt(ms, TIMEOUT_MS + 5000, "timed out after %lld ms", ms);
}

/* ---- no answer, or too slow -------------------------------------------- */

Test(hostile, accepted_and_never_answered_is_a_timeout)
{
	struct site s;

	raw_site(&s, (struct rawsrv_case){ .action = RAWSRV_NEVER }, NULL);
	expect_rec(s.bad, 0, "timeout");
	expect_timed_out(&s);
	site_free(&s);
}

#define DRIP_HEAD "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n"

Test(hostile, body_dripped_a_byte_a_second_is_a_timeout)
{
	static char bytes[sizeof(DRIP_HEAD) - 1 + 1000];
	struct site s;

	memcpy(bytes, DRIP_HEAD, sizeof(DRIP_HEAD) - 1);
	memset(bytes + sizeof(DRIP_HEAD) - 1, 'x', 1000);
	raw_site(&s, (struct rawsrv_case){ .action = RAWSRV_DRIP, .bytes = bytes,
					   .len = sizeof(bytes), .param = 1000,
					   .burst = sizeof(DRIP_HEAD) - 1 }, NULL);
	/* The headers came: the status with them. */
	expect_rec(s.bad, 200, "timeout");
	cr_expect_leq(rec_int(s.bad, "bytes"), 1 + TIMEOUT_MS / 1000);
	expect_timed_out(&s);
	site_free(&s);
}

#define SLOW_HEADER "HTTP/1.1 200 OK\r\nX-Slow: "

Test(hostile, header_line_dripped_is_a_timeout)
{
	static char bytes[sizeof(SLOW_HEADER) - 1 + 1000 + 4];
	struct site s;
	size_t n = sizeof(SLOW_HEADER) - 1;

	memcpy(bytes, SLOW_HEADER, n);
	memset(bytes + n, 'a', 1000);
	memcpy(bytes + n + 1000, "\r\n\r\n", 4);
	raw_site(&s, (struct rawsrv_case){ .action = RAWSRV_DRIP, .bytes = bytes,
					   .len = sizeof(bytes), .param = 100,
					   .burst = n }, NULL);
	/* The status line came (libcurl reports its code), the headers never
	 * ended. */
	expect_rec(s.bad, 200, "timeout");
	cr_expect_null(rec_str(s.bad, "content_type"));
	expect_timed_out(&s);
	site_free(&s);
}

Test(hostile, header_lines_without_end_are_cut_off_by_curl)
{
	struct site s;

	raw_site(&s, (struct rawsrv_case){ .action = RAWSRV_ENDLESS,
					   .bytes = "HTTP/1.1 200 OK\r\n",
					   .param = RAWSRV_FILL_HEADERS }, NULL);
	/* libcurl 7.88 refuses more than 300 KiB of response headers ("Too
	 * large response headers: 307217 > 307200"), long before --timeout;
	 * the status line had come. */
	expect_rec(s.bad, 200, "http");
	cr_expect_lt(rec_int(s.bad, "elapsed_ms"), TIMEOUT_MS);
	site_free(&s);
}

/* ---- bodies that never end, or end too soon ---------------------------- */

#define CHUNKED_HEAD "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" \
		     "Transfer-Encoding: chunked\r\n\r\n"

Test(hostile, chunked_body_without_end_is_too_large_at_max_size)
{
	struct site s;

	raw_site(&s, (struct rawsrv_case){ .action = RAWSRV_ENDLESS, .bytes = CHUNKED_HEAD,
					   .param = RAWSRV_FILL_CHUNKS }, max_size_64k);
	expect_rec(s.bad, 200, "too_large");
	cr_expect_leq(rec_int(s.bad, "bytes"), 64 * KIB);
	cr_expect_gt(rec_int(s.bad, "bytes"), 0);
	cr_expect_eq(rec_int(s.bad, "links"), 0, "what arrived is read for links");
	site_free(&s);
}

Test(hostile, raw_body_without_end_is_too_large_at_max_size)
{
	struct site s;

	raw_site(&s, (struct rawsrv_case){ .action = RAWSRV_ENDLESS, .bytes = RAW_HEAD,
					   .param = RAWSRV_FILL_RAW }, max_size_64k);
	expect_rec(s.bad, 200, "too_large");
	cr_expect_leq(rec_int(s.bad, "bytes"), 64 * KIB);
	site_free(&s);
}

Test(hostile, content_length_longer_than_the_body_is_http)
{
	struct site s;

	raw_site(&s, (struct rawsrv_case){
			     .action = RAWSRV_SEND,
			     .bytes = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
				      "Content-Length: 1000\r\n\r\n" HTML("short") },
		 NULL);
	/* CURLE_PARTIAL_FILE */
	expect_rec(s.bad, 200, "http");
	cr_expect_eq(rec_int(s.bad, "bytes"), (long long)strlen(HTML("short")));
	cr_expect(json_is_null(json_object_get(s.bad, "links")), "a cut body was parsed");
	site_free(&s);
}

Test(hostile, close_in_the_middle_of_a_chunk_is_http)
{
	static const char bytes[] = CHUNKED_HEAD "100\r\n<html><title>cut</title>";
	struct site s;

	raw_site(&s, (struct rawsrv_case){ .action = RAWSRV_SEND, .bytes = bytes }, NULL);
	expect_rec(s.bad, 200, "http");
	site_free(&s);
}

Test(hostile, reset_in_the_middle_of_the_body_is_http)
{
	static char bytes[sizeof(DRIP_HEAD) - 1 + 1000];
	struct site s;

	memcpy(bytes, DRIP_HEAD, sizeof(DRIP_HEAD) - 1);
	memset(bytes + sizeof(DRIP_HEAD) - 1, 'x', 1000);
	raw_site(&s, (struct rawsrv_case){ .action = RAWSRV_RESET, .bytes = bytes,
					   .len = sizeof(bytes),
					   .param = sizeof(DRIP_HEAD) - 1 + 100 }, NULL);
	/* CURLE_RECV_ERROR, "Connection reset by peer" */
	expect_rec(s.bad, 200, "http");
	cr_expect_leq(rec_int(s.bad, "bytes"), 100);
	site_free(&s);
}

Test(hostile, reset_before_any_answer_is_http)
{
	struct site s;

	raw_site_with(&s, (struct rawsrv_case){ .action = RAWSRV_RESET }, NULL, false);
	expect_rec(s.bad, 0, "http");
	site_free(&s);
}

Test(hostile, empty_reply_is_http_without_status)
{
	struct site s;

	raw_site_with(&s, (struct rawsrv_case){ .action = RAWSRV_SEND }, NULL, false);
	/* CURLE_GOT_NOTHING */
	expect_rec(s.bad, 0, "http");
	cr_expect_null(rec_str(s.bad, "content_type"));
	site_free(&s);
}

/* A request whose reused connection closes before any byte of the answer
 * is sent again by libcurl itself, on another connection, whatever
 * --retries says (RFC 9110 9.2.2 lets a client retry an idempotent request
 * so): a server that closes every connection in silence sees each URL more
 * than once. The record is still one, of one attempt. */
Test(hostile, empty_reply_on_a_kept_alive_connection_is_sent_again_by_libcurl)
{
	static char home[512];
	struct rawsrv_case cases[] = {
		raw_page("/", HTML("<a href='/bad'>b</a>"), true, home, sizeof(home)),
		{ "/bad", RAWSRV_SEND },
	};
	struct rawsrv *srv = rawsrv_start("127.0.0.1", cases, 2);
	char *seed = rawsrv_url(srv, "/"), *bad = rawsrv_url(srv, "/bad");
	struct crawl_config cfg;
	struct run run;

	config(&cfg, &seed, 1);
	run_crawl(&cfg, &run);
	expect_rec(run_must_find(&run, seed), 200, NULL);
	expect_rec(run_must_find(&run, bad), 0, "http");
	cr_expect_eq(rec_int(run_must_find(&run, bad), "attempts"), 1);
	/* On the connection "/" left open, then on a new one. */
	cr_expect_eq(rawsrv_hits(srv, "/bad"), 2, "/bad asked for %zu times",
		     rawsrv_hits(srv, "/bad"));
	cr_expect_eq(run.n, 2, "records: %zu", run.n);
	free(seed);
	free(bad);
	run_free(&run);
	rawsrv_stop(srv);
}

/* ---- malformed HTTP ---------------------------------------------------- */

Test(hostile, invalid_gzip_is_http)
{
	struct site s;

	raw_site(&s, (struct rawsrv_case){
			     .action = RAWSRV_SEND,
			     .bytes = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
				      "Content-Encoding: gzip\r\nContent-Length: 32\r\n\r\n"
				      "this is not gzip at all, really!" },
		 NULL);
	/* decode.c finds it is not gzip (libcurl decodes nothing) */
	expect_rec(s.bad, 200, "http");
	site_free(&s);
}

Test(hostile, five_gigabyte_content_length_is_too_large_before_the_body)
{
	struct site s;

	raw_site(&s, (struct rawsrv_case){
			     .action = RAWSRV_SEND,
			     .bytes = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
				      "Content-Length: 5368709120\r\n\r\n" },
		 NULL);
	/* CURLE_FILESIZE_EXCEEDED from CURLOPT_MAXFILESIZE (default 10M),
	 * before a byte of the body is read. */
	expect_rec(s.bad, 200, "too_large");
	cr_expect_eq(rec_int(s.bad, "bytes"), 0);
	site_free(&s);
}

Test(hostile, bad_chunk_size_is_http)
{
	struct site s;

	raw_site(&s, (struct rawsrv_case){ .action = RAWSRV_SEND,
					   .bytes = CHUNKED_HEAD "zz\r\nabc\r\n0\r\n\r\n" },
		 NULL);
	expect_rec(s.bad, 200, "http");
	site_free(&s);
}

#define BIG_HEADER "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Big: "
#define BIG_TAIL "\r\nContent-Length: 2\r\n\r\nok"

/* A response whose line after head is 100 KiB of 'a', then a short
 * ending; into buf, which has room for it. */
static size_t long_line(char *buf, const char *head, const char *tail)
{
	char *p = mempcpy(buf, head, strlen(head));

	memset(p, 'a', 100 * KIB);
	p = mempcpy(p + 100 * KIB, tail, strlen(tail));
	return (size_t)(p - buf);
}

/* libcurl 7.88 keeps a header line in a buffer of at most
 * CURL_MAX_HTTP_HEADER (100 KiB) and reports a longer one as
 * CURLE_OUT_OF_MEMORY: the record must blame the server (http), not the
 * crawler (internal). */
Test(hostile, header_line_of_100_kib_is_http)
{
	static char bytes[sizeof(BIG_HEADER) + 100 * KIB + sizeof(BIG_TAIL)];
	struct site s;
	size_t n = long_line(bytes, BIG_HEADER, BIG_TAIL);

	raw_site(&s, (struct rawsrv_case){ .action = RAWSRV_SEND, .bytes = bytes,
					   .len = n }, NULL);
	/* The status line came before the long header. */
	expect_rec(s.bad, 200, "http");
	site_free(&s);
}

#define BIG_STATUS "HTTP/1.1 200 "
#define BIG_STATUS_TAIL "\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok"

/* As header_line_of_100_kib_is_http, with a reason phrase of 100 KiB: no
 * status at all this time. */
Test(hostile, status_line_of_100_kib_is_http)
{
	static char bytes[sizeof(BIG_STATUS) + 100 * KIB + sizeof(BIG_STATUS_TAIL)];
	struct site s;
	size_t n = long_line(bytes, BIG_STATUS, BIG_STATUS_TAIL);

	raw_site(&s, (struct rawsrv_case){ .action = RAWSRV_SEND, .bytes = bytes,
					   .len = n }, NULL);
	expect_rec(s.bad, 0, "http");
	site_free(&s);
}

Test(hostile, garbage_status_line_is_http)
{
	struct site s;

	raw_site(&s, (struct rawsrv_case){
			     .action = RAWSRV_SEND,
			     .bytes = "HTTP/1.1 abc\r\nContent-Type: text/html\r\n\r\n" HTML("x") },
		 NULL);
	expect_rec(s.bad, 0, "http");
	site_free(&s);
}

/* ---- redirects --------------------------------------------------------- */

Test(hostile, redirect_to_itself_is_a_loop)
{
	struct site s;
	char *bad;

	raw_site(&s, (struct rawsrv_case){
			     .action = RAWSRV_SEND,
			     .bytes = "HTTP/1.1 301 Moved Permanently\r\nLocation: /bad\r\n"
				      "Content-Length: 0\r\n\r\n" },
		 NULL);
	bad = site_url(&s, "/bad");
	expect_rec(s.bad, 301, "redirect_loop");
	cr_expect_str_eq(rec_str(s.bad, "location"), bad);
	free(bad);
	site_free(&s);
}

Test(hostile, location_that_is_not_a_url_is_an_http_error_without_a_target)
{
	struct site s;

	raw_site(&s, (struct rawsrv_case){
			     .action = RAWSRV_SEND,
			     .bytes = "HTTP/1.1 301 Moved Permanently\r\nLocation: http://[bad\r\n"
				      "Content-Length: 0\r\n\r\n" },
		 NULL);
	/* The 301 is what the server said; there is nothing to follow. */
	expect_rec(s.bad, 301, "http");
	cr_expect(json_is_null(json_object_get(s.bad, "location")), "location %s",
		  rec_str(s.bad, "location"));
	cr_expect(rec_err_msg(s.bad) && strstr(rec_err_msg(s.bad), "http://[bad"),
		  "message %s", rec_err_msg(s.bad));
	site_free(&s);
}

Test(hostile, redirect_without_a_location_is_an_http_error)
{
	struct site s;

	raw_site(&s, (struct rawsrv_case){
			     .action = RAWSRV_SEND,
			     .bytes = "HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n" },
		 NULL);
	expect_rec(s.bad, 302, "http");
	site_free(&s);
}

Test(hostile, redirect_off_the_web_is_recorded_and_not_followed)
{
	struct site s;

	raw_site(&s, (struct rawsrv_case){
			     .action = RAWSRV_SEND,
			     .bytes = "HTTP/1.1 301 Moved\r\nLocation: ftp://files.test/x\r\n"
				      "Content-Length: 0\r\n\r\n" },
		 NULL);
	expect_rec(s.bad, 301, NULL);
	cr_expect(json_is_null(json_object_get(s.bad, "location")));
	site_free(&s);
}

/* /r<n> redirects to /r<n+1> up to /r50, a page. */
static bool chain_handler(void *arg, const char *path, struct testsrv_reply *reply,
			  void **free_body)
{
	static _Thread_local char location[16];
	unsigned n;
	char tail;

	(void)arg;
	(void)free_body;
	if (sscanf(path, "/r%u%c", &n, &tail) != 1 || n > 50)
		return false;
	if (n == 50) {
		reply->body = HTML("end");
		return true;
	}
	/* testsrv copies it before this thread handles another request. */
	snprintf(location, sizeof(location), "/r%u", n + 1);
	reply->status = 301;
	reply->location = location;
	return true;
}

Test(hostile, chain_of_50_redirects_ends_at_max_redirects)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/r0'>r</a><a href='/good1'>1</a>") } },
		{ "/good1", { .body = HTML("1") } },
	};
	struct testsrv *srv = testsrv_start("127.0.0.1", routes, 2, chain_handler, NULL);
	char *seed = testsrv_url(srv, "/");
	struct crawl_config cfg;
	struct run run;
	size_t chain = 0;

	config(&cfg, &seed, 1);
	run_crawl(&cfg, &run);
	/* Default --max-redirects 10: /r0 to /r9 redirect, /r10 would make
	 * the eleventh redirect. */
	for (unsigned i = 0; i <= 10; i++) {
		char path[16], *url;

		snprintf(path, sizeof(path), "/r%u", i);
		url = testsrv_url(srv, path);
		expect_rec(run_must_find(&run, url), 301, i < 10 ? NULL : "too_many_redirects");
		cr_expect_eq(testsrv_hits(srv, path), 1, "%s asked for %zu times", path,
			     testsrv_hits(srv, path));
		free(url);
	}
	for (unsigned i = 0; i <= 50; i++) {
		char path[16];

		snprintf(path, sizeof(path), "/r%u", i);
		chain += testsrv_hits(srv, path);
	}
	cr_expect_eq(chain, 11, "%zu requests along the chain", chain);
	cr_expect_eq(run.n, 13, "records: %zu", run.n);
	expect_rec(run_must_find(&run, seed), 200, NULL);
	cr_expect_eq(run.res.stop, CRAWL_DONE);
	free(seed);
	run_free(&run);
	testsrv_stop(srv);
}

/* ---- hostile HTML ------------------------------------------------------ */

#define NFOREIGN 200000

/* 200,000 links to another host (out of scope: none is fetched), and
 * /good3 at the end. */
static char *many_links(size_t *len)
{
	static const char head[] = "<!doctype html><html><head><title>many</title></head><body>";
	static const char tail[] = "<a href='/good3'>g</a></body></html>";
	size_t cap = sizeof(head) + (size_t)NFOREIGN * 40 + sizeof(tail), n;
	char *b = malloc(cap);

	cr_assert(b);
	n = (size_t)snprintf(b, cap, "%s", head);
	for (unsigned i = 0; i < NFOREIGN; i++)
		n += (size_t)snprintf(b + n, cap - n, "<a href=//127.0.0.2:1/l/%u>x</a>", i);
	n += (size_t)snprintf(b + n, cap - n, "%s", tail);
	*len = n;
	return b;
}

Test(hostile, page_with_200000_links_is_counted_and_the_crawl_ends)
{
	static const struct gen gen = { "/bad", many_links, NULL };
	struct site s;

	web_site(&s, NULL, &gen, NULL);
	expect_rec(s.bad, 200, NULL);
	cr_expect_str_eq(rec_str(s.bad, "title"), "many");
	cr_expect_eq(rec_int(s.bad, "links"), NFOREIGN + 1);
	cr_expect_eq(run_skipped(&s.run, "scope"), NFOREIGN, "summary: %s", s.run.res.summary);
	cr_expect_eq(s.run.n, NGOOD + 1, "records: %zu", s.run.n);
	cr_expect_eq(testsrv_nrequests(s.web), NGOOD + 2, "the site and robots.txt");
	site_free(&s);
}

#define NDEEP 100000

/* 100,000 <div>s inside each other: /good3 before them, a link to /deep
 * at the bottom, /good3 again after them. */
static char *deep_divs(size_t *len)
{
	static const char head[] = "<!doctype html><html><head><title>deep</title></head><body>"
				   "<a href='/good3'>before</a>";
	static const char middle[] = "<a href='/deep'>bottom</a>";
	static const char tail[] = "<a href='/good3'>after</a></body></html>";
	size_t cap = sizeof(head) + (size_t)NDEEP * 11 + sizeof(middle) + sizeof(tail);
	char *b = malloc(cap), *p = b;

	cr_assert(b);
	p = mempcpy(p, head, sizeof(head) - 1);
	for (unsigned i = 0; i < NDEEP; i++)
		p = mempcpy(p, "<div>", 5);
	p = mempcpy(p, middle, sizeof(middle) - 1);
	for (unsigned i = 0; i < NDEEP; i++)
		p = mempcpy(p, "</div>", 6);
	p = mempcpy(p, tail, sizeof(tail) - 1);
	*len = (size_t)(p - b);
	return b;
}

Test(hostile, hundred_thousand_nested_divs_are_parsed)
{
	static const struct gen gen = { "/bad", deep_divs, NULL };
	struct site s;
	char *deep;

	web_site(&s, NULL, &gen, NULL);
	expect_rec(s.bad, 200, NULL);
	cr_expect_str_eq(rec_str(s.bad, "title"), "deep");
	/* Every link, the one at the bottom too. */
	cr_expect_eq(rec_int(s.bad, "links"), 3);
	deep = site_url(&s, "/deep");
	expect_rec(run_must_find(&s.run, deep), 404, NULL);
	free(deep);
	site_free(&s);
}

#define BIG_PAGE (50 * MIB)

/* A 50 MB page on one line: a title, then words, then one link to /after
 * at the very end. */
/* BIG_PAGE bytes: head, then one line of words, then a link to /good3. */
static char *long_page(const char *head, size_t *len)
{
	static const char tail[] = "<a href='/good3'>after</a></body></html>";
	static const char words[] = "lorem ipsum dolor sit amet ";
	char *b = malloc(BIG_PAGE), *p = b;
	size_t room;

	cr_assert(b);
	p = mempcpy(p, head, strlen(head));
	room = BIG_PAGE - strlen(head) - (sizeof(tail) - 1);
	while (room >= sizeof(words) - 1) {
		p = mempcpy(p, words, sizeof(words) - 1);
		room -= sizeof(words) - 1;
	}
	memset(p, '.', room);
	p += room;
	p = mempcpy(p, tail, sizeof(tail) - 1);
	*len = (size_t)(p - b);
	return b;
}

static char *one_long_line(size_t *len)
{
	return long_page("<!doctype html><html><head><title>long</title></head><body>", len);
}

static char *early_link_then_long_line(size_t *len)
{
	return long_page("<!doctype html><html><head><title>long</title></head><body>"
			 "<a href='/early'>early</a>", len);
}

/* The long page (made by make) links /good3 only at its end: a site of
 * its own. */
static void long_line_site(struct site *s, char *(*make)(size_t *len),
			   tweak_fn tweak)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/good1'>1</a><a href='/bad'>b</a>"
				      "<a href='/good2'>2</a>") } },
		{ "/good1", { .body = HTML("1") } },
		{ "/good2", { .body = HTML("2") } },
		{ "/good3", { .body = HTML("3") } },
		{ "/early", { .body = HTML("e") } },
	};
	struct crawl_config cfg;
	char *seed, *bad;

	memset(s, 0, sizeof(*s));
	s->gen = (struct gen){ "/bad", make, NULL };
	s->web = testsrv_start("127.0.0.1", routes, 5, gen_handler, &s->gen);
	seed = testsrv_url(s->web, "/");
	bad = testsrv_url(s->web, "/bad");
	config(&cfg, &seed, 1);
	cfg.timeout_ms = 20000; /* 50 MB, also under sanitizers */
	if (tweak)
		tweak(&cfg);
	run_crawl(&cfg, &s->run);
	cr_expect_eq(count_records(&s->run, bad), 1);
	s->bad = run_must_find(&s->run, bad);
	cr_expect_eq(testsrv_hits(s->web, "/bad"), 1);
	expect_rec(site_rec(s, "/good1"), 200, NULL);
	expect_rec(site_rec(s, "/good2"), 200, NULL);
	free(seed);
	free(bad);
}

Test(hostile, line_of_50_mb_is_too_large_at_the_default_max_size)
{
	struct site s;

	long_line_site(&s, one_long_line, NULL);
	expect_rec(s.bad, 200, "too_large");
	cr_expect_leq(rec_int(s.bad, "bytes"), 10 * MIB);
	cr_expect_eq(rec_int(s.bad, "links"), 0, "what arrived is read, to the cap");
	cr_expect_eq(testsrv_hits(s.web, "/good3"), 0, "the link past the cap");
	cr_expect_eq(s.run.n, 4, "records: %zu", s.run.n);
	site_free(&s);
}

Test(hostile, page_over_max_size_gives_the_links_of_what_arrived)
{
	struct site s;

	long_line_site(&s, early_link_then_long_line, max_size_64k);
	expect_rec(s.bad, 200, "too_large");
	cr_expect_eq(rec_int(s.bad, "bytes"), 64 * KIB);
	cr_expect_eq(rec_int(s.bad, "links"), 1);
	expect_rec(site_rec(&s, "/early"), 200, NULL);
	cr_expect_eq(testsrv_hits(s.web, "/early"), 1);
	cr_expect_eq(testsrv_hits(s.web, "/good3"), 0, "the link past the cap");
	cr_expect_eq(s.run.n, 5, "records: %zu", s.run.n);
	site_free(&s);
}

Test(hostile, line_of_50_mb_is_parsed_to_its_end_at_64m)
{
	struct site s;

	long_line_site(&s, one_long_line, max_size_64m);
	expect_rec(s.bad, 200, NULL);
	cr_expect_eq(rec_int(s.bad, "bytes"), BIG_PAGE);
	cr_expect_str_eq(rec_str(s.bad, "title"), "long");
	cr_expect_eq(rec_int(s.bad, "links"), 1);
	expect_rec(site_rec(&s, "/good3"), 200, NULL);
	cr_expect_eq(s.run.n, 5, "records: %zu", s.run.n);
	site_free(&s);
}

/* NUL bytes and bytes that are not UTF-8 (though the header says UTF-8)
 * in the title and in hrefs. */
static const char nul_page[] =
	"<!doctype html><html><head><title>caf\xff\xfe \0end</title></head><body>"
	"<a href='/x\xff\xfey'>1</a><a href='/n\0ul'>2</a>\0\0"
	"<a href='/good3'>3</a></body></html>";

Test(hostile, nul_bytes_and_invalid_utf8_give_valid_json)
{
	static const struct testsrv_reply bad = {
		.body = nul_page, .body_len = sizeof(nul_page) - 1,
	};
	struct site s;
	const char *title;
	char *x, *n;

	web_site(&s, &bad, NULL, NULL);
	expect_rec(s.bad, 200, NULL);
	/* jansson took every line: the output is valid UTF-8. The title's
	 * bad bytes are replaced, its NUL dropped. */
	title = rec_str(s.bad, "title");
	cr_expect_str_eq(title, "caf\xef\xbf\xbd\xef\xbf\xbd end");
	/* Three links: libxml2 read the href's bad bytes as Latin-1 (a
	 * browser would make them U+FFFD, %EF%BF%BD), and the href with a
	 * NUL ends at the NUL (a browser: U+FFFD). Both are fetched, 404s;
	 * the links after the NULs still count, and are followed. */
	cr_expect_eq(rec_int(s.bad, "links"), 3);
	x = site_url(&s, "/x%C3%BF%C3%BEy");
	n = site_url(&s, "/n");
	expect_rec(run_must_find(&s.run, x), 404, NULL);
	expect_rec(run_must_find(&s.run, n), 404, NULL);
	cr_expect_eq(testsrv_hits(s.web, "/good3"), 1);
	cr_expect_eq(s.run.n, NGOOD + 3, "records: %zu", s.run.n);
	free(x);
	free(n);
	site_free(&s);
}

#define HUGE_HREF MIB

/* A link to /good3, one whose href is 1 MB, and /good3 again. */
static char *huge_href(size_t *len)
{
	static const char head[] = HTML("<a href='/good3'>g</a><a href='/");
	static const char tail[] = "'>huge</a><a href='/good3'>g</a>";
	char *b = malloc(sizeof(head) + HUGE_HREF + sizeof(tail)), *p = b;

	cr_assert(b);
	/* HTML() closed the page already; links after </html> still count. */
	p = mempcpy(p, head, sizeof(head) - 1);
	memset(p, 'a', HUGE_HREF);
	p += HUGE_HREF;
	p = mempcpy(p, tail, sizeof(tail) - 1);
	*len = (size_t)(p - b);
	return b;
}

/* It was dropped as it was read (the url module took 8192 bytes at most);
 * now it is a link, and the trap limit (2048 bytes by default) skips it. */
Test(hostile, href_of_1_mb_is_a_link_the_url_length_limit_skips)
{
	static const struct gen gen = { "/bad", huge_href, NULL };
	struct site s;

	web_site(&s, NULL, &gen, NULL);
	expect_rec(s.bad, 200, NULL);
	cr_expect_eq(rec_int(s.bad, "links"), 3);
	cr_expect_eq(run_skipped(&s.run, "url_length"), 1);
	cr_expect_eq(s.run.n, NGOOD + 1, "records: %zu", s.run.n);
	cr_expect_eq(testsrv_nrequests(s.web), NGOOD + 2, "requests: %zu",
		     testsrv_nrequests(s.web));
	site_free(&s);
}

#define NSCRIPT 1000

/* A thousand each of javascript:, data:, mailto: and ftp: links, with
 * what looks like links inside them, and one http link. */
static char *script_links(size_t *len)
{
	static const char *const kinds[] = {
		"<a href=\"javascript:location='/js%u'\">j</a>",
		"<a href=\"data:text/html,<a href='/data%u'>x</a>\">d</a>",
		"<a href='mailto:x%u@127.0.0.1'>m</a>",
		"<a href='ftp://127.0.0.1/f%u'>f</a>",
		"<iframe src='javascript:void(%u)'></iframe>",
	};
	size_t cap = 256 + (size_t)NSCRIPT * 5 * 64, n;
	char *b = malloc(cap);

	cr_assert(b);
	n = (size_t)snprintf(b, cap, "<html><head><title>js</title></head><body>");
	for (unsigned i = 0; i < NSCRIPT; i++)
		for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++)
			n += (size_t)snprintf(b + n, cap - n, kinds[k], i);
	n += (size_t)snprintf(b + n, cap - n, "<a href='/good3'>g</a></body></html>");
	*len = n;
	return b;
}

Test(hostile, thousands_of_javascript_and_data_links_are_not_links)
{
	static const struct gen gen = { "/bad", script_links, NULL };
	struct site s;

	web_site(&s, NULL, &gen, NULL);
	expect_rec(s.bad, 200, NULL);
	cr_expect_eq(rec_int(s.bad, "links"), 1);
	cr_expect_eq(s.run.n, NGOOD + 1, "records: %zu", s.run.n);
	cr_expect_eq(testsrv_nrequests(s.web), NGOOD + 2, "requests: %zu",
		     testsrv_nrequests(s.web));
	cr_expect_eq(run_skipped(&s.run, "scope"), 0, "summary: %s", s.run.res.summary);
	site_free(&s);
}

/* ---- crawl limits ------------------------------------------------------ */

/* /n/<i> links /n/<i+1> and /n/<i+2>: a link space without end. */
static bool endless_handler(void *arg, const char *path, struct testsrv_reply *reply,
			    void **free_body)
{
	unsigned long i;
	char tail, *body;

	(void)arg;
	if (sscanf(path, "/n/%lu%c", &i, &tail) != 1)
		return false;
	if (asprintf(&body, HTML("<a href='/n/%lu'>a</a><a href='/n/%lu'>b</a>"),
		     i + 1, i + 2) < 0)
		return false;
	reply->body = body;
	*free_body = (void *)free;
	return true;
}

static void max_pages_100(struct crawl_config *cfg)
{
	cfg->max_pages = 100;
}

Test(hostile, infinite_link_space_stops_at_max_pages)
{
	struct testsrv *srv = testsrv_start("127.0.0.1", NULL, 0, endless_handler, NULL);
	char *seed = testsrv_url(srv, "/n/1");
	struct crawl_config cfg;
	struct run run;

	config(&cfg, &seed, 1);
	max_pages_100(&cfg);
	run_crawl(&cfg, &run);
	cr_expect_eq(run.n, 100, "records: %zu", run.n);
	cr_expect_eq(run.res.stop, CRAWL_MAX_PAGES, "stop %d", run.res.stop);
	cr_expect_eq(testsrv_nrequests(srv), 101, "100 pages and robots.txt, not %zu",
		     testsrv_nrequests(srv));
	cr_expect_gt(run.res.not_fetched, 0);
	for (size_t i = 0; i < run.n; i++)
		expect_rec(run.recs[i], 200, NULL);
	free(seed);
	run_free(&run);
	testsrv_stop(srv);
}

/* ---- robots.txt -------------------------------------------------------- */

#define ROBOTS_HUGE (10 * MIB)
#define ROBOTS_LATE (600 * KIB)

/* 10 MB of robots.txt: Disallow /early at the top, Disallow /late after
 * 600 KiB of comments, then comments to the end. */
static char *huge_robots(size_t *len)
{
	static const char head[] = "User-agent: *\nDisallow: /early\n";
	static const char late[] = "Disallow: /late\n";
	static const char filler[] = "# a comment line to make this file long, "
				     "long, long, long, long\n";
	char *b = malloc(ROBOTS_HUGE), *p = b;

	cr_assert(b);
	p = mempcpy(p, head, sizeof(head) - 1);
	while ((size_t)(p - b) < ROBOTS_LATE)
		p = mempcpy(p, filler, sizeof(filler) - 1);
	p = mempcpy(p, late, sizeof(late) - 1);
	while ((size_t)(p - b) + sizeof(filler) < ROBOTS_HUGE)
		p = mempcpy(p, filler, sizeof(filler) - 1);
	*len = (size_t)(p - b);
	return b;
}

/* 64 KiB of bytes from a fixed xorshift sequence. */
static char *binary_robots(size_t *len)
{
	uint32_t x = 2463534242u;
	char *b = malloc(64 * KIB);

	cr_assert(b);
	for (size_t i = 0; i < 64 * KIB; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (char)(x >> 24);
	}
	*len = 64 * KIB;
	return b;
}

static const struct testsrv_route robots_site[] = {
	{ "/", { .body = HTML("<a href='/early'>e</a><a href='/late'>l</a>"
			      "<a href='/good1'>1</a>") } },
	{ "/early", { .body = HTML("e") } },
	{ "/late", { .body = HTML("l") } },
	{ "/good1", { .body = HTML("1") } },
};

/* robots_site, with a robots.txt that gen makes. */
static struct run crawl_robots(struct testsrv **srv, const struct gen *gen)
{
	struct crawl_config cfg;
	struct run run;
	char *seed;

	*srv = testsrv_start("127.0.0.1", robots_site, 4, gen_handler, (void *)gen);
	seed = testsrv_url(*srv, "/");
	config(&cfg, &seed, 1);
	run_crawl(&cfg, &run);
	free(seed);
	cr_expect_eq(testsrv_hits(*srv, "/robots.txt"), 1);
	cr_expect_eq(run.n, 4, "records: %zu", run.n);
	return run;
}

static json_t *web_rec(struct testsrv *srv, const struct run *run, const char *path)
{
	char *url = testsrv_url(srv, path);
	json_t *r = run_must_find(run, url);

	free(url);
	return r;
}

Test(hostile, robots_txt_of_10_mb_is_read_to_500_kib)
{
	static const struct gen gen = { "/robots.txt", huge_robots, TEXT };
	struct testsrv *srv;
	struct run run = crawl_robots(&srv, &gen);
	json_t *early = web_rec(srv, &run, "/early");

	/* Refused: never asked for, recorded with attempts 0. */
	expect_rec(early, 0, "robots");
	cr_expect_eq(rec_int(early, "attempts"), 0);
	cr_expect_eq(testsrv_hits(srv, "/early"), 0);
	/* The Disallow past 500 KiB was never read. */
	expect_rec(web_rec(srv, &run, "/late"), 200, NULL);
	expect_rec(web_rec(srv, &run, "/good1"), 200, NULL);
	cr_expect_eq(testsrv_hits(srv, "/late"), 1);
	run_free(&run);
	testsrv_stop(srv);
}

Test(hostile, binary_robots_txt_allows_everything)
{
	static const struct gen gen = { "/robots.txt", binary_robots, TEXT };
	struct testsrv *srv;
	struct run run = crawl_robots(&srv, &gen);

	for (size_t i = 0; i < sizeof(robots_site) / sizeof(*robots_site); i++) {
		expect_rec(web_rec(srv, &run, robots_site[i].path), 200, NULL);
		cr_expect_eq(testsrv_hits(srv, robots_site[i].path), 1);
	}
	run_free(&run);
	testsrv_stop(srv);
}

#define SLOW_ROBOTS_HEAD "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 26\r\n\r\n"

Test(hostile, robots_txt_dripped_past_the_timeout_closes_its_origin)
{
	static const char robots[] = SLOW_ROBOTS_HEAD "User-agent: *\nDisallow: /\n";
	static const struct rawsrv_case cases[] = {
		{ "/robots.txt", RAWSRV_DRIP, robots, 0, 100, sizeof(SLOW_ROBOTS_HEAD) - 1 },
		{ "/", RAWSRV_SEND, RAW_PAGE("<a href='/a'>a</a>") },
		{ "/a", RAWSRV_SEND, RAW_PAGE("a") },
	};
	struct rawsrv *raw = rawsrv_start("127.0.0.2", cases, 3);
	struct testsrv *web = testsrv_start("127.0.0.1", web_good, NGOOD, NULL, NULL);
	char *seeds[] = { rawsrv_url(raw, "/"), testsrv_url(web, "/") };
	struct crawl_config cfg;
	struct run run;
	json_t *r;

	config(&cfg, seeds, 2);
	run_crawl(&cfg, &run);
	/* The slow origin's seed: not fetched, recorded with the timeout of
	 * its robots.txt. */
	r = run_must_find(&run, seeds[0]);
	expect_rec(r, 0, "timeout");
	cr_expect_eq(rec_int(r, "attempts"), 0);
	cr_expect(rec_err_msg(r) && strstr(rec_err_msg(r), "robots.txt"), "message %s", rec_err_msg(r));
	cr_expect_eq(rawsrv_hits(raw, "/"), 0);
	cr_expect_eq(rawsrv_nrequests(raw), 1, "only robots.txt, not %zu",
		     rawsrv_nrequests(raw));
	/* The other origin is crawled as if nothing happened (its /bad is
	 * a 404 there). */
	for (size_t i = 0; i < NGOOD; i++)
		expect_rec(web_rec(web, &run, good_paths[i]), 200, NULL);
	cr_expect_eq(run.n, NGOOD + 2, "records: %zu", run.n);
	free(seeds[0]);
	free(seeds[1]);
	run_free(&run);
	testsrv_stop(web);
	rawsrv_stop(raw);
}

/* ---- names that do not resolve, ports that refuse ---------------------- */

/* A label of 64 octets is longer than DNS allows (RFC 1035 2.3.4): the
 * resolver fails without sending a query, so this test sends nothing
 * beyond 127.0.0.x, and .invalid (RFC 6761) could never resolve anyway. */
#define UNRESOLVABLE "http://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.invalid/"

/* "/" on testsrv links to a URL on another host, and to /good1. */
static void crawl_link_away(const char *away, struct testsrv **srv, struct run *run)
{
	static char home[512];
	static struct testsrv_route routes[] = {
		{ "/", { .body = home } },
		{ "/good1", { .body = HTML("1") } },
	};
	struct crawl_config cfg;
	char *seed;

	snprintf(home, sizeof(home), HTML("<a href='%s'>x</a><a href='/good1'>1</a>"), away);
	*srv = testsrv_start("127.0.0.1", routes, 2, NULL, NULL);
	seed = testsrv_url(*srv, "/");
	config(&cfg, &seed, 1);
	scope_any(&cfg);
	run_crawl(&cfg, run);
	expect_rec(run_must_find(run, seed), 200, NULL);
	expect_rec(web_rec(*srv, run, "/good1"), 200, NULL);
	cr_expect_eq(run->n, 3, "records: %zu", run->n);
	cr_expect_eq(count_records(run, away), 1);
	free(seed);
}

Test(hostile, host_that_does_not_resolve_is_dns)
{
	struct testsrv *srv;
	struct run run;

	crawl_link_away(UNRESOLVABLE, &srv, &run);
	expect_rec(run_must_find(&run, UNRESOLVABLE), 0, "dns");
	run_free(&run);
	testsrv_stop(srv);
}

Test(hostile, refused_connection_is_connect)
{
	struct testsrv *srv;
	struct run run;

	crawl_link_away("http://127.0.0.1:9/", &srv, &run);
	expect_rec(run_must_find(&run, "http://127.0.0.1:9/"), 0, "connect");
	run_free(&run);
	testsrv_stop(srv);
}

/* ---- memory ------------------------------------------------------------ */

/* ASan keeps up to 256 MiB of freed memory in quarantine (its default
 * quarantine_size_mb) before reusing it. */
#if defined(__SANITIZE_ADDRESS__)
#define ASAN_QUARANTINE_MIB 256
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_QUARANTINE_MIB 256
#endif
#endif
#ifndef ASAN_QUARANTINE_MIB
#define ASAN_QUARANTINE_MIB 0
#endif
#define MAX_RSS_MIB (400 + ASAN_QUARANTINE_MIB)

Test(hostile, peak_memory_stays_bounded_by_the_bodies)
{
	static const struct rawsrv_case cases[] = {
		{ "/endless", RAWSRV_ENDLESS, CHUNKED_HEAD, 0, RAWSRV_FILL_CHUNKS },
	};
	static const struct gen gen = { "/bad", one_long_line, NULL };
	struct rawsrv *raw = rawsrv_start("127.0.0.2", cases, 1);
	struct testsrv *web = testsrv_start("127.0.0.1", web_good, NGOOD, gen_handler,
					    (void *)&gen);
	char *seeds[] = { testsrv_url(web, "/bad"), rawsrv_url(raw, "/endless") };
	struct crawl_config cfg;
	struct rusage ru;
	struct run run;

	config(&cfg, seeds, 2);
	cfg.timeout_ms = 20000;
	max_size_64m(&cfg);
	run_crawl(&cfg, &run);
	expect_rec(run_must_find(&run, seeds[0]), 200, NULL);
	cr_expect_eq(rec_int(run_must_find(&run, seeds[0]), "links"), 1);
	expect_rec(run_must_find(&run, seeds[1]), 200, "too_large");
	cr_expect_leq(rec_int(run_must_find(&run, seeds[1]), "bytes"), 64 * MIB);
	cr_assert_eq(getrusage(RUSAGE_SELF, &ru), 0);
	/* ru_maxrss is in KiB. The server's 50 MB copy counts too. */
	cr_log_info("peak RSS %ld MiB", ru.ru_maxrss / KIB);
	cr_expect_lt(ru.ru_maxrss, (long)MAX_RSS_MIB * KIB, "peak RSS %ld MiB, want < %d",
		     ru.ru_maxrss / KIB, MAX_RSS_MIB);
	free(seeds[0]);
	free(seeds[1]);
	run_free(&run);
	testsrv_stop(web);
	rawsrv_stop(raw);
}

/* ---- one slow URL among many ------------------------------------------- */

/* With CURLOPT_PIPEWAIT on an http:// origin whose connections close after
 * each answer (HTTP/1.0 style), libcurl 7.88 never learns the origin cannot
 * multiplex and queues each new transfer behind the one in progress: behind
 * a URL that never answers, good pages would time out waiting. */
Test(hostile, slow_url_does_not_hold_up_the_other_urls_of_its_origin)
{
	static const struct rawsrv_case cases[] = {
		{ "/", RAWSRV_SEND, RAW_PAGE("<a href='/never'>n</a><a href='/p1'>1</a>"
					     "<a href='/p2'>2</a><a href='/p3'>3</a>"
					     "<a href='/p4'>4</a>") },
		{ "/never", RAWSRV_NEVER },
		{ "/p1", RAWSRV_SEND, RAW_PAGE("1") },
		{ "/p2", RAWSRV_SEND, RAW_PAGE("2") },
		{ "/p3", RAWSRV_SEND, RAW_PAGE("3") },
		{ "/p4", RAWSRV_SEND, RAW_PAGE("4") },
	};
	static const char *const pages[] = { "/p1", "/p2", "/p3", "/p4" };
	struct rawsrv *srv = rawsrv_start("127.0.0.1", cases, 6);
	char *seed = rawsrv_url(srv, "/"), *never = rawsrv_url(srv, "/never");
	struct crawl_config cfg;
	struct run run;

	config(&cfg, &seed, 1);
	run_crawl(&cfg, &run);
	expect_rec(run_must_find(&run, never), 0, "timeout");
	for (size_t i = 0; i < 4; i++) {
		char *url = rawsrv_url(srv, pages[i]);
		json_t *r = run_must_find(&run, url);

		expect_rec(r, 200, NULL);
		cr_expect_eq(rawsrv_hits(srv, pages[i]), 1, "%s asked for %zu times",
			     pages[i], rawsrv_hits(srv, pages[i]));
		/* Loopback answers in milliseconds: no waiting for /never. */
		cr_expect_lt(rec_int(r, "elapsed_ms"), TIMEOUT_MS / 2, "%s took %lld ms",
			     pages[i], rec_int(r, "elapsed_ms"));
		free(url);
	}
	cr_expect_eq(run.n, 6, "records: %zu", run.n);
	free(seed);
	free(never);
	run_free(&run);
	rawsrv_stop(srv);
}
