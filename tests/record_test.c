/* record_test: the JSON line of include/record.h, the format users' tools
 * read (man/crawler.1 OUTPUT). Each line is parsed back with jansson and
 * every field checked with its type: nulls for missing values, outlinks
 * only when asked for and parsed, the error object, one '\n' and no other,
 * escaping that round-trips, U+FFFD for each byte that is not UTF-8, and
 * fetched_at as RFC 3339 UTC with milliseconds. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "record.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define FFFD "\xEF\xBF\xBD"

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	cr_assert_not_null(d);
	return d;
}

/* record_to_json, checking the line's framing, parsed back. */
static json_t *to_json(const struct record *r, bool outlinks)
{
	size_t len = 0;
	char *line = record_to_json(r, outlinks, &len);
	json_error_t jerr;
	json_t *o;

	cr_assert_not_null(line);
	cr_assert_eq(len, strlen(line), "len is the line's length");
	cr_assert_gt(len, 1);
	cr_assert_eq(line[len - 1], '\n', "ends with a newline");
	cr_assert_eq(strchr(line, '\n'), line + len - 1,
		     "no newline before the end: %s", line);
	cr_assert_null(strchr(line, '\r'));
	o = json_loads(line, 0, &jerr);
	cr_assert_not_null(o, "not JSON (%s): %s", jerr.text, line);
	cr_assert(json_is_object(o));
	free(line);
	return o;
}

/* A record with every field set. */
static struct record *full_record(void)
{
	struct record *r = record_new("http://a.test/page", "http://a.test/", 2);

	cr_assert_not_null(r);
	r->status = 200;
	r->content_type = xstrdup("text/html; charset=utf-8");
	r->bytes = 5120;
	r->title = xstrdup("About us");
	r->nlinks = 2;
	r->outlinks = calloc(2, sizeof(*r->outlinks));
	cr_assert_not_null(r->outlinks);
	r->outlinks[0] = xstrdup("http://a.test/x");
	r->outlinks[1] = xstrdup("http://b.test/y");
	r->noutlinks = 2;
	r->location = xstrdup("http://a.test/moved");
	r->fetched_at_ms = 1700000000123LL;
	r->elapsed_ms = 84;
	r->attempts = 2;
	r->noindex = true;
	r->via = RECORD_VIA_LINK;
	r->http_version = 11;
	snprintf(r->ip, sizeof(r->ip), "%s", "192.0.2.7");
	r->wire_bytes = 1800;
	r->timings = (struct record_timings){ .dns_us = 1234, .connect_us = 2500,
					      .tls_us = 0, .ttfb_us = 70001,
					      .total_us = 84321 };
	digest_sha1("abc", 3, r->digest);
	r->content_encoding = xstrdup("gzip");
	r->etag = xstrdup("\"v1\"");
	r->last_modified = xstrdup("Tue, 01 Dec 2026 10:00:00 GMT");
	r->canonical = xstrdup("http://a.test/canon");
	r->description = xstrdup("All about us");
	r->lang = xstrdup("en-GB");
	cr_assert_eq(record_strs_add(&r->hreflang, "de", 2), 0);
	cr_assert_eq(record_strs_add(&r->hreflang, "http://a.test/de", 16), 0);
	cr_assert_eq(record_strs_add(&r->robots, "noindex", 7), 0);
	cr_assert_eq(record_strs_add(&r->robots, "max-snippet: 20", 15), 0);
	r->with_headers = true;
	cr_assert_eq(record_strs_add(&r->headers, "server", 6), 0);
	cr_assert_eq(record_strs_add(&r->headers, "test", 4), 0);
	r->lastmod = strdup("2024-01-02T03:04:05+00:00");
	r->sitemap_urls = 7;
	return r;
}

static void expect_real(json_t *o, const char *key, double want)
{
	json_t *v = json_object_get(o, key);

	cr_assert_not_null(v, "no \"%s\"", key);
	cr_assert(json_is_real(v), "\"%s\" is not a real number", key);
	cr_expect_float_eq(json_real_value(v), want, 1e-9, "\"%s\"", key);
}

static void expect_str(json_t *o, const char *key, const char *want)
{
	json_t *v = json_object_get(o, key);

	cr_assert_not_null(v, "no \"%s\"", key);
	cr_assert(json_is_string(v), "\"%s\" is not a string", key);
	cr_expect_str_eq(json_string_value(v), want, "\"%s\"", key);
}

static void expect_int(json_t *o, const char *key, json_int_t want)
{
	json_t *v = json_object_get(o, key);

	cr_assert_not_null(v, "no \"%s\"", key);
	cr_assert(json_is_integer(v), "\"%s\" is not an integer", key);
	cr_expect_eq(json_integer_value(v), want, "\"%s\"", key);
}

static void expect_null(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert_not_null(v, "no \"%s\": it must be present as null", key);
	cr_expect(json_is_null(v), "\"%s\" is not null", key);
}

Test(record, new_record_copies_url_and_parent_and_starts_unparsed)
{
	char url[] = "http://a.test/p", parent[] = "http://a.test/";
	struct record *r = record_new(url, parent, 4);

	cr_assert_not_null(r);
	url[7] = parent[7] = 'X';
	cr_expect_str_eq(r->url, "http://a.test/p");
	cr_expect_str_eq(r->parent, "http://a.test/");
	cr_expect_eq(r->depth, 4);
	cr_expect_eq(r->status, 0);
	cr_expect_eq(r->nlinks, -1);
	cr_expect_eq(r->err, RECORD_ERR_NONE);
	record_free(r);
}

Test(record, full_record_has_every_field_with_its_type)
{
	struct record *r = full_record();
	json_t *o = to_json(r, true);
	json_t *links;

	expect_str(o, "url", "http://a.test/page");
	expect_int(o, "status", 200);
	expect_str(o, "content_type", "text/html; charset=utf-8");
	expect_int(o, "bytes", 5120);
	expect_int(o, "depth", 2);
	expect_str(o, "parent", "http://a.test/");
	expect_str(o, "title", "About us");
	expect_int(o, "links", 2);
	expect_str(o, "location", "http://a.test/moved");
	expect_str(o, "fetched_at", "2023-11-14T22:13:20.123Z");
	expect_int(o, "elapsed_ms", 84);
	expect_int(o, "attempts", 2);
	cr_expect(json_is_true(json_object_get(o, "noindex")));
	expect_str(o, "lastmod", "2024-01-02T03:04:05+00:00");
	expect_int(o, "sitemap_urls", 7);
	expect_null(o, "error");
	expect_str(o, "via", "link");
	expect_str(o, "http_version", "1.1");
	expect_str(o, "ip", "192.0.2.7");
	expect_int(o, "wire_bytes", 1800);
	expect_str(o, "digest", "sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5");
	expect_str(o, "content_encoding", "gzip");
	expect_str(o, "etag", "\"v1\"");
	expect_str(o, "last_modified", "Tue, 01 Dec 2026 10:00:00 GMT");
	expect_str(o, "canonical", "http://a.test/canon");
	expect_str(o, "description", "All about us");
	expect_str(o, "lang", "en-GB");
	links = json_object_get(o, "timings");
	cr_assert(json_is_object(links), "timings is an object");
	cr_expect_eq(json_object_size(links), 5);
	expect_real(links, "dns_ms", 1.234);
	expect_real(links, "connect_ms", 2.5);
	expect_real(links, "tls_ms", 0);
	expect_real(links, "ttfb_ms", 70.001);
	expect_real(links, "total_ms", 84.321);
	links = json_object_get(o, "hreflang");
	cr_assert(json_is_array(links));
	cr_assert_eq(json_array_size(links), 1);
	expect_str(json_array_get(links, 0), "lang", "de");
	expect_str(json_array_get(links, 0), "url", "http://a.test/de");
	cr_expect_eq(json_object_size(json_array_get(links, 0)), 2);
	links = json_object_get(o, "robots");
	cr_assert(json_is_array(links));
	cr_assert_eq(json_array_size(links), 2);
	cr_expect_str_eq(json_string_value(json_array_get(links, 0)), "noindex");
	cr_expect_str_eq(json_string_value(json_array_get(links, 1)),
			 "max-snippet: 20");
	links = json_object_get(o, "headers");
	cr_assert(json_is_object(links));
	expect_str(links, "server", "test");
	links = json_object_get(o, "outlinks");
	cr_assert(json_is_array(links));
	cr_assert_eq(json_array_size(links), 2);
	cr_expect_str_eq(json_string_value(json_array_get(links, 0)),
			 "http://a.test/x");
	cr_expect_str_eq(json_string_value(json_array_get(links, 1)),
			 "http://b.test/y");
	expect_null(o, "warc");
	cr_expect_eq(json_object_size(o), 33, "no fields beyond the documented");
	json_decref(o);
	record_free(r);
}

Test(record, fields_come_in_the_documented_order)
{
	static const char *const order[] = {
		"url", "via", "status", "http_version", "ip", "content_type",
		"bytes", "wire_bytes", "digest", "content_encoding", "etag",
		"last_modified", "depth", "parent", "title", "description",
		"lang", "canonical", "hreflang", "robots", "links", "location",
		"fetched_at", "elapsed_ms", "timings", "attempts", "lastmod",
		"sitemap_urls", "headers", "error", "warc",
	};
	struct record *r = full_record();
	size_t len;
	char *line = record_to_json(r, false, &len);
	const char *at = line;

	cr_assert_not_null(line);
	for (size_t i = 0; i < N(order); i++) {
		char key[32];
		const char *p;

		snprintf(key, sizeof(key), "\"%s\":", order[i]);
		p = strstr(line, key);
		cr_assert_not_null(p, "no %s in %s", key, line);
		cr_expect_geq(p, at, "%s out of order in %s", key, line);
		at = p;
	}
	free(line);
	record_free(r);
}

Test(record, bare_record_has_nulls_for_what_is_missing)
{
	struct record *r = record_new("http://a.test/", NULL, 0);
	json_t *o;

	cr_assert_not_null(r);
	o = to_json(r, false);
	expect_str(o, "url", "http://a.test/");
	expect_null(o, "status");
	expect_null(o, "content_type");
	expect_int(o, "bytes", 0);
	expect_int(o, "depth", 0);
	expect_null(o, "parent");
	expect_null(o, "title");
	expect_null(o, "links");
	expect_null(o, "location");
	expect_str(o, "fetched_at", "1970-01-01T00:00:00.000Z");
	expect_int(o, "elapsed_ms", 0);
	expect_int(o, "attempts", 0);
	cr_expect_null(json_object_get(o, "noindex"), "noindex only when true");
	expect_null(o, "lastmod");
	expect_null(o, "sitemap_urls");
	expect_null(o, "error");
	cr_expect_null(json_object_get(o, "outlinks"));
	expect_str(o, "via", "seed");
	expect_null(o, "http_version");
	expect_null(o, "ip");
	expect_int(o, "wire_bytes", 0);
	expect_null(o, "digest");
	expect_null(o, "content_encoding");
	expect_null(o, "etag");
	expect_null(o, "last_modified");
	expect_null(o, "description");
	expect_null(o, "lang");
	expect_null(o, "canonical");
	expect_null(o, "hreflang");
	expect_null(o, "robots");
	expect_null(o, "timings");
	cr_expect_null(json_object_get(o, "headers"), "headers only with --headers");
	expect_null(o, "warc");
	cr_expect_eq(json_object_size(o), 30);
	json_decref(o);
	record_free(r);
}

Test(record, an_archived_record_says_where_its_warc_record_is)
{
	struct record *r = record_new("http://a.test/", NULL, 0);
	json_t *o, *w;

	cr_assert_not_null(r);
	r->warc_file = xstrdup("out-00000.warc.gz");
	r->warc_offset = 1234;
	r->warc_length = 567;
	o = to_json(r, false);
	w = json_object_get(o, "warc");
	cr_assert(json_is_object(w));
	expect_str(w, "file", "out-00000.warc.gz");
	expect_int(w, "offset", 1234);
	expect_int(w, "length", 567);
	cr_expect_eq(json_object_size(w), 3);
	json_decref(o);
	record_free(r);
}

Test(record, status_zero_is_null_and_others_are_integers)
{
	struct record *r = record_new("http://a.test/", NULL, 0);
	json_t *o;

	cr_assert_not_null(r);
	o = to_json(r, false);
	expect_null(o, "status");
	json_decref(o);
	r->status = 404;
	o = to_json(r, false);
	expect_int(o, "status", 404);
	json_decref(o);
	record_free(r);
}

Test(record, unparsed_page_has_null_links)
{
	struct record *r = full_record();
	json_t *o;

	r->nlinks = -1;
	o = to_json(r, false);
	expect_null(o, "links");
	json_decref(o);
	r->nlinks = 0;
	o = to_json(r, false);
	expect_int(o, "links", 0);
	json_decref(o);
	record_free(r);
}

Test(record, outlinks_absent_unless_asked_for)
{
	struct record *r = full_record();
	json_t *o = to_json(r, false);

	cr_expect_null(json_object_get(o, "outlinks"));
	json_decref(o);
	record_free(r);
}

Test(record, outlinks_absent_on_an_unparsed_page_even_when_asked)
{
	struct record *r = record_new("http://a.test/img.png", NULL, 1);
	json_t *o;

	cr_assert_not_null(r);
	r->status = 200;
	o = to_json(r, true);
	cr_expect_null(json_object_get(o, "outlinks"));
	expect_null(o, "links");
	json_decref(o);
	record_free(r);
}

Test(record, parsed_page_without_links_has_an_empty_outlinks_array)
{
	struct record *r = record_new("http://a.test/", NULL, 0);
	json_t *o, *a;

	cr_assert_not_null(r);
	r->status = 200;
	r->nlinks = 0;
	o = to_json(r, true);
	a = json_object_get(o, "outlinks");
	cr_assert_not_null(a);
	cr_expect(json_is_array(a));
	cr_expect_eq(json_array_size(a), 0);
	expect_int(o, "links", 0);
	json_decref(o);
	record_free(r);
}

Test(record, error_with_a_message_is_kind_and_message)
{
	struct record *r = record_new("http://a.test/", NULL, 0);
	json_t *o, *e;

	cr_assert_not_null(r);
	record_set_err(r, RECORD_ERR_DNS, "could not resolve a.test");
	o = to_json(r, false);
	e = json_object_get(o, "error");
	cr_assert(json_is_object(e), "error is an object");
	expect_str(e, "kind", "dns");
	expect_str(e, "message", "could not resolve a.test");
	cr_expect_eq(json_object_size(e), 2);
	json_decref(o);
	record_free(r);
}

Test(record, error_without_a_message_gets_the_default_text)
{
	for (int k = RECORD_ERR_NONE + 1; k < RECORD_ERR_COUNT; k++) {
		struct record *r = record_new("http://a.test/", NULL, 0);
		json_t *o, *e;

		cr_assert_not_null(r);
		record_set_err(r, (enum record_err)k, NULL);
		o = to_json(r, false);
		e = json_object_get(o, "error");
		cr_assert(json_is_object(e), "kind %d", k);
		expect_str(e, "kind", record_err_name((enum record_err)k));
		expect_str(e, "message", record_err_text((enum record_err)k));
		cr_expect_gt(strlen(record_err_text((enum record_err)k)), 0);
		json_decref(o);
		record_free(r);
	}
}

Test(record, set_err_replaces_an_earlier_message)
{
	struct record *r = record_new("http://a.test/", NULL, 0);
	json_t *o;

	cr_assert_not_null(r);
	record_set_err(r, RECORD_ERR_CONNECT, "first");
	record_set_err(r, RECORD_ERR_TIMEOUT, NULL);
	o = to_json(r, false);
	expect_str(json_object_get(o, "error"), "kind", "timeout");
	expect_str(json_object_get(o, "error"), "message",
		   record_err_text(RECORD_ERR_TIMEOUT));
	json_decref(o);
	record_free(r);
}

Test(record, err_name_covers_every_kind)
{
	static const struct {
		enum record_err err;
		const char *name;
	} kinds[] = {
		{ RECORD_ERR_NONE, "none" },
		{ RECORD_ERR_TIMEOUT, "timeout" },
		{ RECORD_ERR_DNS, "dns" },
		{ RECORD_ERR_CONNECT, "connect" },
		{ RECORD_ERR_TLS, "tls" },
		{ RECORD_ERR_HTTP, "http" },
		{ RECORD_ERR_TOO_LARGE, "too_large" },
		{ RECORD_ERR_CANCELED, "canceled" },
		{ RECORD_ERR_ROBOTS, "robots" },
		{ RECORD_ERR_TYPE_REJECTED, "type_rejected" },
		{ RECORD_ERR_REDIRECT_LOOP, "redirect_loop" },
		{ RECORD_ERR_TOO_MANY_REDIRECTS, "too_many_redirects" },
		{ RECORD_ERR_INTERNAL, "internal" },
	};

	cr_expect_eq(N(kinds), RECORD_ERR_COUNT, "a kind without a test row");
	for (size_t i = 0; i < N(kinds); i++) {
		cr_expect_str_eq(record_err_name(kinds[i].err), kinds[i].name);
		cr_expect_not_null(record_err_text(kinds[i].err));
	}
}

/* A title must come back from the JSON exactly as it went in. */
static void expect_title_round_trip(const char *title)
{
	struct record *r = record_new("http://a.test/", NULL, 0);
	json_t *o;

	cr_assert_not_null(r);
	r->title = xstrdup(title);
	o = to_json(r, false);
	expect_str(o, "title", title);
	json_decref(o);
	record_free(r);
}

Test(record, quotes_backslashes_and_controls_in_a_title_round_trip)
{
	expect_title_round_trip("say \"hi\"");
	expect_title_round_trip("C:\\path\\to\\file \\\" end");
	expect_title_round_trip("line one\nline two\r\nthree");
	expect_title_round_trip("tab\there\x01\x02\x1f\x7f bell\a");
	expect_title_round_trip("</script><!-- {\"a\":[1]} -->");
	expect_title_round_trip("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
	expect_title_round_trip("\xE2\x80\xA8 and \xE2\x80\xA9");
}

Test(record, strings_other_than_the_title_are_escaped_too)
{
	struct record *r = record_new("http://a.test/", "http://a.test/\"p\"", 0);
	json_t *o;

	cr_assert_not_null(r);
	r->content_type = xstrdup("text/html;\n x=\"y\"");
	r->location = xstrdup("http://a.test/\\loc");
	record_set_err(r, RECORD_ERR_HTTP, "bad\nreply \"x\"");
	o = to_json(r, false);
	expect_str(o, "parent", "http://a.test/\"p\"");
	expect_str(o, "content_type", "text/html;\n x=\"y\"");
	expect_str(o, "location", "http://a.test/\\loc");
	expect_str(json_object_get(o, "error"), "message", "bad\nreply \"x\"");
	json_decref(o);
	record_free(r);
}

/* title (not UTF-8) must come out as want. */
static void expect_repaired(const char *title, const char *want)
{
	struct record *r = record_new("http://a.test/", NULL, 0);
	json_t *o;

	cr_assert_not_null(r);
	r->title = xstrdup(title);
	o = to_json(r, false);
	expect_str(o, "title", want);
	json_decref(o);
	record_free(r);
}

Test(record, invalid_utf8_bytes_each_become_u_fffd)
{
	expect_repaired("a\xff b\xc3", "a" FFFD " b" FFFD);
	expect_repaired("\xc0\xaf", FFFD FFFD);               /* overlong '/' */
	expect_repaired("\xe0\x80\xaf", FFFD FFFD FFFD);      /* overlong */
	expect_repaired("\xed\xa0\x80", FFFD FFFD FFFD);      /* surrogate */
	expect_repaired("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* > U+10FFFF */
	expect_repaired("\xf5\x80", FFFD FFFD);
	expect_repaired("x\x80y", "x" FFFD "y");              /* stray continuation */
	expect_repaired("ok \xC3\xA9 bad \xfe", "ok \xC3\xA9 bad " FFFD);
}

Test(record, invalid_utf8_in_other_fields_is_repaired_too)
{
	struct record *r = record_new("http://a.test/", NULL, 0);
	json_t *o;

	cr_assert_not_null(r);
	r->content_type = xstrdup("text/html; charset=\xff");
	record_set_err(r, RECORD_ERR_HTTP, "bad \xc3");
	o = to_json(r, false);
	expect_str(o, "content_type", "text/html; charset=" FFFD);
	expect_str(json_object_get(o, "error"), "message", "bad " FFFD);
	json_decref(o);
	record_free(r);
}

Test(record, invalid_utf8_in_outlinks_is_repaired)
{
	struct record *r = record_new("http://a.test/", NULL, 0);
	json_t *o, *a;

	cr_assert_not_null(r);
	r->nlinks = 1;
	r->outlinks = calloc(1, sizeof(*r->outlinks));
	cr_assert_not_null(r->outlinks);
	r->outlinks[0] = xstrdup("http://a.test/\xff");
	r->noutlinks = 1;
	o = to_json(r, true);
	a = json_object_get(o, "outlinks");
	cr_assert(json_is_array(a));
	cr_assert_eq(json_array_size(a), 1);
	cr_expect_str_eq(json_string_value(json_array_get(a, 0)),
			 "http://a.test/" FFFD);
	json_decref(o);
	record_free(r);
}

Test(record, fetched_at_is_rfc3339_utc_with_milliseconds)
{
	static const struct {
		int64_t ms;
		const char *want;
	} rows[] = {
		{ 1700000000123LL, "2023-11-14T22:13:20.123Z" },
		{ 1700000000000LL, "2023-11-14T22:13:20.000Z" },
		{ 1700000000007LL, "2023-11-14T22:13:20.007Z" },
		{ 1710408413589LL, "2024-03-14T09:26:53.589Z" },
		{ 951782400999LL, "2000-02-29T00:00:00.999Z" },
		{ 0, "1970-01-01T00:00:00.000Z" },
	};

	for (size_t i = 0; i < N(rows); i++) {
		struct record *r = record_new("http://a.test/", NULL, 0);
		json_t *o;

		cr_assert_not_null(r);
		r->fetched_at_ms = rows[i].ms;
		o = to_json(r, false);
		expect_str(o, "fetched_at", rows[i].want);
		json_decref(o);
		record_free(r);
	}
}

Test(record, large_byte_counts_and_depths_survive)
{
	struct record *r = record_new("http://a.test/", NULL, 100000);
	json_t *o;

	cr_assert_not_null(r);
	r->bytes = 5000000000ULL; /* past 32 bits */
	r->elapsed_ms = 3000000000LL;
	o = to_json(r, false);
	expect_int(o, "bytes", 5000000000LL);
	expect_int(o, "depth", 100000);
	expect_int(o, "elapsed_ms", 3000000000LL);
	json_decref(o);
	record_free(r);
}

Test(record, digest_is_sha1_in_base32_as_warc_writes_it)
{
	struct record *r = record_new("http://a.test/", NULL, 0);

	cr_assert_not_null(r);
	/* RFC 3174's vector "abc", and the empty body. */
	digest_sha1("abc", 3, r->digest);
	cr_expect_str_eq(r->digest, "sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5");
	digest_sha1("", 0, r->digest);
	cr_expect_str_eq(r->digest, "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
	record_free(r);
}

Test(record, http_version_is_a_string_as_http_names_it)
{
	static const struct { int v; const char *want; } cases[] = {
		{ 10, "1.0" }, { 11, "1.1" }, { 20, "2" }, { 30, "3" },
	};
	struct record *r = record_new("http://a.test/", NULL, 0);

	cr_assert_not_null(r);
	for (size_t i = 0; i < N(cases); i++) {
		json_t *o;

		r->http_version = cases[i].v;
		o = to_json(r, false);
		expect_str(o, "http_version", cases[i].want);
		json_decref(o);
	}
	record_free(r);
}

Test(record, via_names_every_way_a_url_is_found)
{
	static const char *const want[] = {
		"seed", "link", "redirect", "sitemap", "resource", "css",
	};

	cr_assert_eq(N(want), RECORD_VIA_COUNT);
	for (size_t i = 0; i < N(want); i++)
		cr_expect_str_eq(record_via_name((enum record_via)i), want[i]);
}

Test(record, repeated_headers_become_an_array_in_the_order_sent)
{
	static const char *const fields[] = {
		"set-cookie", "a=1", "content-type", "text/html",
		"set-cookie", "b=2", "set-cookie", "c=3",
	};
	struct record *r = record_new("http://a.test/", NULL, 0);
	json_t *o, *h, *cookies;

	cr_assert_not_null(r);
	r->status = 200;
	r->with_headers = true;
	for (size_t i = 0; i < N(fields); i++)
		cr_assert_eq(record_strs_add(&r->headers, fields[i], strlen(fields[i])), 0);
	o = to_json(r, false);
	h = json_object_get(o, "headers");
	cr_assert(json_is_object(h));
	cr_expect_eq(json_object_size(h), 2);
	expect_str(h, "content-type", "text/html");
	cookies = json_object_get(h, "set-cookie");
	cr_assert(json_is_array(cookies));
	cr_assert_eq(json_array_size(cookies), 3);
	cr_expect_str_eq(json_string_value(json_array_get(cookies, 0)), "a=1");
	cr_expect_str_eq(json_string_value(json_array_get(cookies, 2)), "c=3");
	json_decref(o);
	record_free(r);
}

/* A hostile server's thousands of fields (64 KB of headers) make one
 * object, each name once, at its first place, its values in order. */
Test(record, thousands_of_interleaved_headers_group_by_name)
{
	struct record *r = record_new("http://a.test/", NULL, 0);
	char name[16], value[16];
	json_t *o, *h, *a;

	cr_assert_not_null(r);
	r->status = 200;
	r->with_headers = true;
	for (int i = 0; i < 6000; i++) {
		snprintf(name, sizeof(name), "x-%d", i % 3);
		snprintf(value, sizeof(value), "%d", i);
		cr_assert_eq(record_strs_add(&r->headers, name, strlen(name)), 0);
		cr_assert_eq(record_strs_add(&r->headers, value, strlen(value)), 0);
	}
	cr_assert_eq(record_strs_add(&r->headers, "once", 4), 0);
	cr_assert_eq(record_strs_add(&r->headers, "v", 1), 0);
	o = to_json(r, false);
	h = json_object_get(o, "headers");
	cr_assert(json_is_object(h));
	cr_assert_eq(json_object_size(h), 4);
	expect_str(h, "once", "v");
	for (int k = 0; k < 3; k++) {
		snprintf(name, sizeof(name), "x-%d", k);
		a = json_object_get(h, name);
		cr_assert(json_is_array(a));
		cr_assert_eq(json_array_size(a), 2000);
		for (int i = 0; i < 2000; i++)
			cr_expect_str_eq(json_string_value(json_array_get(a, (size_t)i)),
					 (snprintf(value, sizeof(value), "%d", i * 3 + k), value));
	}
	json_decref(o);
	record_free(r);
}

Test(record, headers_of_a_record_with_no_response_are_null)
{
	struct record *r = record_new("http://a.test/", NULL, 0);
	json_t *o;

	cr_assert_not_null(r);
	r->with_headers = true;
	o = to_json(r, false);
	expect_null(o, "headers");
	json_decref(o);
	record_free(r);
}

Test(record, strs_keep_strings_in_order_and_answer_membership)
{
	struct record_strs l = { 0 };
	const char *s;

	cr_expect_null(record_strs_next(&l, NULL));
	cr_assert_eq(record_strs_add(&l, "noindex, x", 7), 0);
	cr_assert_eq(record_strs_add(&l, "", 0), 0);
	cr_assert_eq(record_strs_add(&l, "nofollow", 8), 0);
	s = record_strs_next(&l, NULL);
	cr_expect_str_eq(s, "noindex");
	s = record_strs_next(&l, s);
	cr_expect_str_eq(s, "");
	s = record_strs_next(&l, s);
	cr_expect_str_eq(s, "nofollow");
	cr_expect_null(record_strs_next(&l, s));
	cr_expect(record_strs_has(&l, "nofollow"));
	cr_expect_not(record_strs_has(&l, "none"));
	record_strs_release(&l);
	cr_expect_null(l.buf);
}
