/* Integration: the rich fields of a record (issue 10), from real crawls
 * against testsrv on 127.0.0.1: what the transfer measured (ip, HTTP
 * version, timings, wire bytes, digest), what the headers said (ETag,
 * Last-Modified, Content-Encoding, --headers, Link rel=canonical,
 * X-Robots-Tag, which is obeyed), what the page's head said (canonical,
 * description, lang, hreflang), and how each URL was found (via). */
#include <criterion/criterion.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl.h"
#include "crawlrun.h"
#include "testsrv.h"

TestSuite(rich, .init = run_setup, .timeout = 120);

#define HTML(body) "<!doctype html><html><head><title>t</title></head><body>" body "</body></html>"

static struct run crawl_with(struct testsrv **srv, const struct testsrv_route *routes,
			     size_t n, bool headers, bool resources)
{
	struct crawl_config cfg;
	struct run run;
	char *seed;

	*srv = testsrv_start("127.0.0.1", routes, n, NULL, NULL);
	seed = testsrv_url(*srv, "/");
	run_config(&cfg, &seed, 1);
	cfg.record_headers = headers;
	cfg.resources = resources;
	run_crawl(&cfg, &run);
	free(seed);
	return run;
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_number(v), "\"%s\" is not a number", key);
	return json_number_value(v);
}

/* RFC 4648 base32, a bit at a time: another way than the crawler's. */
static void base32_bits(const unsigned char *in, size_t n, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t nbits = n * 8, o = 0;

	for (size_t bit = 0; bit < nbits; bit += 5) {
		unsigned v = 0;

		for (size_t k = 0; k < 5; k++) {
			size_t b = bit + k;

			v <<= 1;
			if (b < nbits)
				v |= (in[b / 8] >> (7 - b % 8)) & 1;
		}
		out[o++] = abc[v];
	}
	out[o] = '\0';
}

Test(rich, transfer_fields_are_what_the_transfer_measured)
{
	/* gzip of HTML("<a href='/z'>z</a>"), made with Python's gzip module. */
	static const unsigned char gz[] = {
#include "gz_page.inc"
	};
	static const char page[] = HTML("<a href='/z'>z</a>");
	struct testsrv_route routes[] = {
		{ "/", { .body = (const char *)gz, .body_len = sizeof(gz),
			 .headers = "Content-Encoding: gzip\n"
				    "ETag: \"abc-1\"\n"
				    "Last-Modified: Tue, 01 Dec 2026 10:00:00 GMT\n" } },
		{ "/z", { .body = HTML("z") } },
	};
	struct testsrv *srv;
	struct run run = crawl_with(&srv, routes, 2, false, false);
	json_t *r = record_at(srv, &run, "/"), *t = json_object_get(r, "timings");
	unsigned char sha1[20];
	char want[40] = "sha1:";

	/* The digest is of the body as received, gzip and all (the WARC
	 * payload), not of the page it decodes to. */
	cr_assert_eq(gnutls_hash_fast(GNUTLS_DIG_SHA1, gz, sizeof(gz), sha1), 0);
	base32_bits(sha1, sizeof(sha1), want + 5);
	cr_expect_str_eq(rec_str(r, "ip"), "127.0.0.1");
	cr_expect_str_eq(rec_str(r, "http_version"), "1.1");
	cr_expect_str_eq(rec_str(r, "digest"), want);
	cr_expect_eq(rec_int(r, "bytes"), (long long)strlen(page));
	cr_expect_eq(rec_int(r, "wire_bytes"), (long long)sizeof(gz));
	cr_expect_lt(rec_int(r, "wire_bytes"), rec_int(r, "bytes"));
	cr_expect_str_eq(rec_str(r, "content_encoding"), "gzip");
	cr_expect_str_eq(rec_str(r, "etag"), "\"abc-1\"");
	cr_expect_str_eq(rec_str(r, "last_modified"), "Tue, 01 Dec 2026 10:00:00 GMT");
	cr_assert(json_is_object(t), "timings is an object");
	cr_expect_geq(num(t, "dns_ms"), 0);
	cr_expect_geq(num(t, "connect_ms"), 0);
	cr_expect_eq(num(t, "tls_ms"), 0, "no TLS on http");
	cr_expect_gt(num(t, "ttfb_ms"), 0);
	cr_expect_geq(num(t, "total_ms"), num(t, "ttfb_ms"));
	cr_expect_geq(num(t, "ttfb_ms"), num(t, "connect_ms"));
	cr_expect_null(json_object_get(r, "headers"), "no headers without --headers");
	r = record_at(srv, &run, "/z");
	cr_expect(json_is_null(json_object_get(r, "content_encoding")));
	cr_expect(json_is_null(json_object_get(r, "etag")));
	run_free(&run);
	testsrv_stop(srv);
}

Test(rich, headers_option_adds_every_header_lowercased_repeats_as_arrays)
{
	struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/gone'>g</a>"),
			 .headers = "X-Dup: one\nX-Dup: two\nX-Single: yes\n" } },
	};
	struct testsrv *srv;
	struct run run = crawl_with(&srv, routes, 1, true, false);
	json_t *h = json_object_get(record_at(srv, &run, "/"), "headers"), *dup;

	cr_assert(json_is_object(h), "headers is an object");
	dup = json_object_get(h, "x-dup");
	cr_assert(json_is_array(dup), "a repeated header is an array");
	cr_assert_eq(json_array_size(dup), 2);
	cr_expect_str_eq(json_string_value(json_array_get(dup, 0)), "one");
	cr_expect_str_eq(json_string_value(json_array_get(dup, 1)), "two");
	cr_expect_str_eq(json_string_value(json_object_get(h, "x-single")), "yes");
	cr_expect_str_eq(json_string_value(json_object_get(h, "content-type")),
			 "text/html; charset=utf-8");
	cr_expect_null(json_object_get(h, "X-Single"), "names are lowercased");
	h = json_object_get(record_at(srv, &run, "/gone"), "headers");
	cr_expect(json_is_object(h), "a 404 has its headers too");
	run_free(&run);
	testsrv_stop(srv);
}

Test(rich, page_head_gives_canonical_description_lang_and_hreflang)
{
	struct testsrv_route routes[] = {
		{ "/", { .body = "<!doctype html><html lang='en-GB'><head><title>t</title>"
				 "<meta name='Description' content='  All about us '>"
				 "<link rel='canonical' href='/home#top'>"
				 "<link rel='alternate' hreflang='de' href='de/'>"
				 "<link rel='alternate' hreflang='x-default' href='http://127.0.0.1:1/'>"
				 "</head><body><a href='/plain'>p</a></body></html>" } },
		{ "/plain", { .body = HTML("p"),
			      .headers = "Link: </style.css>; rel=preload, "
					 "<http://other.test/p>; rel=\"nofollow canonical\"\n" } },
	};
	struct testsrv *srv;
	struct run run = crawl_with(&srv, routes, 2, false, false);
	json_t *r = record_at(srv, &run, "/"), *h;
	char *home = testsrv_url(srv, "/home"), *de = testsrv_url(srv, "/de/");

	cr_expect_str_eq(rec_str(r, "canonical"), home);
	cr_expect_str_eq(rec_str(r, "description"), "All about us");
	cr_expect_str_eq(rec_str(r, "lang"), "en-GB");
	h = json_object_get(r, "hreflang");
	cr_assert(json_is_array(h));
	cr_assert_eq(json_array_size(h), 2);
	cr_expect_str_eq(rec_str(json_array_get(h, 0), "lang"), "de");
	cr_expect_str_eq(rec_str(json_array_get(h, 0), "url"), de);
	cr_expect_str_eq(rec_str(json_array_get(h, 1), "lang"), "x-default");
	cr_expect_str_eq(rec_str(json_array_get(h, 1), "url"), "http://127.0.0.1:1/");
	r = record_at(srv, &run, "/plain");
	cr_expect_str_eq(rec_str(r, "canonical"), "http://other.test/p",
			 "from the Link header");
	cr_expect(json_is_null(json_object_get(r, "description")));
	cr_expect(json_is_null(json_object_get(r, "lang")));
	cr_expect(json_is_null(json_object_get(r, "hreflang")));
	cr_expect_eq(testsrv_hits(srv, "/home"), 1,
		     "a canonical is followed, as every <link rel> page is");
	free(home);
	free(de);
	run_free(&run);
	testsrv_stop(srv);
}

static bool robots_has(json_t *r, const char *directive)
{
	json_t *a = json_object_get(r, "robots");

	for (size_t i = 0; i < json_array_size(a); i++)
		if (!strcmp(json_string_value(json_array_get(a, i)), directive))
			return true;
	return false;
}

Test(rich, x_robots_tag_is_obeyed_and_reported_for_this_crawler_only)
{
	struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/nf'>a</a><a href='/ni'>b</a>"
				      "<a href='/other'>c</a><a href='/ours'>d</a>"
				      "<a href='/meta'>e</a>") } },
		{ "/nf", { .body = HTML("<a href='/nf-child'>x</a>"),
			   .headers = "X-Robots-Tag: NoFollow\n" } },
		{ "/ni", { .body = HTML("<a href='/ni-child'>x</a>"),
			   .headers = "X-Robots-Tag: noindex, max-snippet: 20\n" } },
		{ "/other", { .body = HTML("<a href='/other-child'>x</a>"),
			      .headers = "X-Robots-Tag: otherbot: noindex, nofollow\n" } },
		{ "/ours", { .body = HTML("<a href='/ours-child'>x</a>"),
			     .headers = "X-Robots-Tag: crawler: nofollow\n" } },
		{ "/meta", { .body = "<html><head><meta name=robots content='noindex'>"
				     "</head><body></body></html>",
			     .headers = "X-Robots-Tag: noarchive\n" } },
		{ "/ni-child", { .body = HTML("c") } },
		{ "/other-child", { .body = HTML("c") } },
	};
	struct testsrv *srv;
	struct run run = crawl_with(&srv, routes, 8, false, false);
	json_t *r;

	cr_expect_eq(testsrv_hits(srv, "/nf-child"), 0, "nofollow is obeyed");
	cr_expect_eq(testsrv_hits(srv, "/ours-child"), 0, "ours: nofollow is obeyed");
	cr_expect_eq(testsrv_hits(srv, "/ni-child"), 1);
	cr_expect_eq(testsrv_hits(srv, "/other-child"), 1, "otherbot's is not ours");
	r = record_at(srv, &run, "/nf");
	cr_expect(robots_has(r, "nofollow"), "directives are lowercased");
	cr_expect_null(json_object_get(r, "noindex"));
	cr_expect_eq(rec_int(r, "links"), 1, "the links are still counted");
	r = record_at(srv, &run, "/ni");
	cr_expect(json_is_true(json_object_get(r, "noindex")));
	cr_expect(robots_has(r, "noindex"));
	cr_expect(robots_has(r, "max-snippet: 20"));
	r = record_at(srv, &run, "/other");
	cr_expect(json_is_null(json_object_get(r, "robots")));
	cr_expect_null(json_object_get(r, "noindex"));
	r = record_at(srv, &run, "/meta");
	cr_expect(robots_has(r, "noarchive"), "the header's");
	cr_expect(robots_has(r, "noindex"), "and the meta's");
	cr_expect(json_is_true(json_object_get(r, "noindex")));
	run_free(&run);
	testsrv_stop(srv);
}

Test(rich, via_says_how_each_url_was_found)
{
	struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/moved'>m</a><img src='/i.png'>") } },
		{ "/moved", { .status = 301, .location = "/target" } },
		{ "/target", { .body = HTML("t") } },
		{ "/i.png", { .content_type = "image/png", .body = "\x89PNG" } },
	};
	struct testsrv *srv;
	struct run run = crawl_with(&srv, routes, 4, false, true);

	cr_expect_str_eq(rec_str(record_at(srv, &run, "/"), "via"), "seed");
	cr_expect_str_eq(rec_str(record_at(srv, &run, "/moved"), "via"), "link");
	cr_expect_str_eq(rec_str(record_at(srv, &run, "/target"), "via"), "redirect");
	cr_expect_str_eq(rec_str(record_at(srv, &run, "/i.png"), "via"), "resource");
	cr_expect_str_eq(rec_str(record_at(srv, &run, "/i.png"), "digest"),
			 "sha1:J375UEWCMEPC4T7LN4GTIL7LNBOM3AS3", /* of "\x89PNG" */
			 "a body nothing reads still has the digest of what came");
	run_free(&run);
	testsrv_stop(srv);
}
