/* Tests for url: resolution against RFC 3986 section 5.4, the canonical form
 * url.h describes, and what browsers do to a raw href by the WHATWG URL
 * Standard, which wins where it and RFC 3986 disagree (each such place
 * says so). url_whatwg_test.c runs the web-platform-tests cases.
 */
#include "url.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RFC_BASE "http://a/b/c/d;p?q"

struct row {
	const char *ref;
	enum url_status status;
	const char *want; /* when status is URL_OK */
};

/* Resolve every row against base through one url_base, naming the row that
 * fails. */
static void check_rows(const char *base, const struct row *rows, size_t n)
{
	enum url_status st;
	struct url_base *b = url_base_new(base, &st);

	cr_assert_not_null(b, "base %s: %s", base, url_strerror(st));
	for (size_t i = 0; i < n; i++) {
		char *got = NULL;

		st = url_base_resolve(b, rows[i].ref, &got);
		cr_expect_eq(st, rows[i].status, "ref \"%s\": %s, want %s",
			     rows[i].ref, url_strerror(st),
			     url_strerror(rows[i].status));
		if (st == URL_OK && rows[i].status == URL_OK)
			cr_expect_str_eq(got, rows[i].want,
					 "ref \"%s\": got %s, want %s",
					 rows[i].ref, got, rows[i].want);
		else
			cr_expect_null(got, "ref \"%s\" set *out on error",
				       rows[i].ref);
		free(got);
	}
	url_base_free(b);
}

#define CHECK_ROWS(base, rows) \
	check_rows(base, rows, sizeof(rows) / sizeof(rows[0]))

static void expect_resolve(const char *base, const char *ref, const char *want)
{
	char *got = NULL;
	enum url_status st = url_resolve(base, ref, &got);

	cr_expect_eq(st, URL_OK, "ref \"%s\": %s", ref, url_strerror(st));
	cr_expect_str_eq(got ? got : "(none)", want, "ref \"%s\": got %s", ref, got);
	free(got);
}

static void expect_normal(const char *url, const char *want)
{
	char *got = NULL;
	enum url_status st = url_normalize(url, &got);

	cr_expect_eq(st, URL_OK, "url \"%s\": %s", url, url_strerror(st));
	cr_expect_str_eq(got ? got : "(none)", want, "url \"%s\": got %s", url, got);
	free(got);
}

static void expect_status(const char *url, enum url_status want)
{
	char *got = NULL;
	enum url_status st = url_normalize(url, &got);

	cr_expect_eq(st, want, "url \"%s\": %s, want %s", url,
		     url_strerror(st), url_strerror(want));
	cr_expect_null(got, "url \"%s\" set *out on error", url);
	free(got);
}

static void expect_host(const char *url, const char *want)
{
	size_t len = 0;
	const char *host = url_host(url, &len);

	cr_assert_not_null(host, "url \"%s\" has no host", url);
	cr_expect_eq(len, strlen(want), "url \"%s\": host length %zu", url,
		     len);
	cr_expect_eq(strncmp(host, want, len), 0, "url \"%s\": host %.*s",
		     url, (int)len, host);
}

/* A string of n copies of c, malloc'd. */
static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	cr_assert_not_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

Test(url, rfc3986_normal_examples)
{
	/* RFC 3986 section 5.4.1, verbatim but for "g:h" (tested below). */
	static const struct row rows[] = {
		{ "g", URL_OK, "http://a/b/c/g" },
		{ "./g", URL_OK, "http://a/b/c/g" },
		{ "g/", URL_OK, "http://a/b/c/g/" },
		{ "/g", URL_OK, "http://a/g" },
		{ "//g", URL_OK, "http://g/" }, /* RFC: "http://g" + "/" */
		{ "?y", URL_OK, "http://a/b/c/d;p?y" },
		{ "g?y", URL_OK, "http://a/b/c/g?y" },
		/* RFC: "http://a/b/c/d;p?q#s", fragment dropped */
		{ "#s", URL_OK, "http://a/b/c/d;p?q" },
		/* RFC: "http://a/b/c/g#s", fragment dropped */
		{ "g#s", URL_OK, "http://a/b/c/g" },
		/* RFC: "http://a/b/c/g?y#s", fragment dropped */
		{ "g?y#s", URL_OK, "http://a/b/c/g?y" },
		{ ";x", URL_OK, "http://a/b/c/;x" },
		{ "g;x", URL_OK, "http://a/b/c/g;x" },
		/* RFC: "http://a/b/c/g;x?y#s", fragment dropped */
		{ "g;x?y#s", URL_OK, "http://a/b/c/g;x?y" },
		{ "", URL_OK, "http://a/b/c/d;p?q" },
		{ ".", URL_OK, "http://a/b/c/" },
		{ "./", URL_OK, "http://a/b/c/" },
		{ "..", URL_OK, "http://a/b/" },
		{ "../", URL_OK, "http://a/b/" },
		{ "../g", URL_OK, "http://a/b/g" },
		{ "../..", URL_OK, "http://a/" },
		{ "../../", URL_OK, "http://a/" },
		{ "../../g", URL_OK, "http://a/g" },
	};

	CHECK_ROWS(RFC_BASE, rows);
}

Test(url, rfc3986_abnormal_examples)
{
	/* RFC 3986 section 5.4.2, verbatim but for "http:g" (tested below). */
	static const struct row rows[] = {
		{ "../../../g", URL_OK, "http://a/g" },
		{ "../../../../g", URL_OK, "http://a/g" },
		{ "/./g", URL_OK, "http://a/g" },
		{ "/../g", URL_OK, "http://a/g" },
		{ "g.", URL_OK, "http://a/b/c/g." },
		{ ".g", URL_OK, "http://a/b/c/.g" },
		{ "g..", URL_OK, "http://a/b/c/g.." },
		{ "..g", URL_OK, "http://a/b/c/..g" },
		{ "./../g", URL_OK, "http://a/b/g" },
		{ "./g/.", URL_OK, "http://a/b/c/g/" },
		{ "g/./h", URL_OK, "http://a/b/c/g/h" },
		{ "g/../h", URL_OK, "http://a/b/c/h" },
		{ "g;x=1/./y", URL_OK, "http://a/b/c/g;x=1/y" },
		{ "g;x=1/../y", URL_OK, "http://a/b/c/y" },
		{ "g?y/./x", URL_OK, "http://a/b/c/g?y/./x" },
		{ "g?y/../x", URL_OK, "http://a/b/c/g?y/../x" },
		/* RFC: "http://a/b/c/g#s/./x", fragment dropped */
		{ "g#s/./x", URL_OK, "http://a/b/c/g" },
		/* RFC: "http://a/b/c/g#s/../x", fragment dropped */
		{ "g#s/../x", URL_OK, "http://a/b/c/g" },
	};

	CHECK_ROWS(RFC_BASE, rows);
}

Test(url, rfc3986_other_scheme_example_is_rejected)
{
	/* RFC 3986 section 5.4.1 gives "g:h" -> "g:h": absolute, but not
	 * http(s), so not a link to crawl. */
	static const struct row rows[] = {
		{ "g:h", URL_SCHEME, NULL },
	};

	CHECK_ROWS(RFC_BASE, rows);
}

Test(url, same_scheme_without_authority_resolves_non_strictly)
{
	/* RFC 3986 section 5.4.2: "http:g" is "http:g" to a strict parser
	 * (an http URL with no host, useless) and "http://a/b/c/g" to a
	 * backward-compatible one. Browsers take the latter; so do we, where
	 * curl 7.88 alone would reject it. */
	static const struct row rows[] = {
		{ "http:g", URL_OK, "http://a/b/c/g" },
		{ "HTTP:g", URL_OK, "http://a/b/c/g" },
		{ "http:/g", URL_OK, "http://a/g" },
		{ "http:", URL_OK, "http://a/b/c/d;p?q" },
		{ "http:?y", URL_OK, "http://a/b/c/d;p?y" },
		{ "http:a:b", URL_OK, "http://a/b/c/a:b" },
	};

	CHECK_ROWS(RFC_BASE, rows);
}

Test(url, other_http_scheme_without_slashes_starts_an_authority)
{
	/* Non-strict resolution only applies to the base's own scheme. For
	 * any other special scheme the WHATWG parser reads the authority
	 * with or without slashes (RFC 3986: "https:g" has no host). */
	static const struct row rows[] = {
		{ "https:g", URL_OK, "https://g/" },
		{ "https:example.com/", URL_OK, "https://example.com/" },
		{ "https:/x/y", URL_OK, "https://x/y" },
	};

	CHECK_ROWS(RFC_BASE, rows);
}

Test(url, fragment_only_reference_is_the_page_itself)
{
	/* curl 7.88 alone gives the base's directory, "http://a/b/c/". */
	expect_resolve(RFC_BASE, "#top", RFC_BASE);
	expect_resolve(RFC_BASE, "#", RFC_BASE);
	expect_resolve("http://a/b/c/d;p?q#old", "#new", RFC_BASE);
}

Test(url, empty_reference_is_the_page_itself)
{
	expect_resolve(RFC_BASE, "", RFC_BASE);
	expect_resolve("HTTP://A:80/b/./c", "", "http://a/b/c");
}

Test(url, blank_reference_is_the_page_itself)
{
	expect_resolve(RFC_BASE, " \t\r\n ", RFC_BASE);
}

Test(url, query_only_reference_replaces_the_query)
{
	expect_resolve(RFC_BASE, "?x", "http://a/b/c/d;p?x");
	expect_resolve("http://a/b", "?x=1&y=2", "http://a/b?x=1&y=2");
}

Test(url, protocol_relative_reference_takes_the_base_scheme)
{
	expect_resolve("https://a/b", "//other.org/p", "https://other.org/p");
	expect_resolve("http://a/b", "//other.org/p?q", "http://other.org/p?q");
}

Test(url, protocol_relative_reference_drops_only_its_scheme_default_port)
{
	expect_resolve("http://a/b", "//h:80/p", "http://h/p");
	expect_resolve("https://a/b", "//h:80/p", "https://h:80/p");
}

Test(url, relative_reference_keeps_base_userinfo_and_port)
{
	expect_resolve("http://u:p@a:8080/b/c", "/x", "http://u:p@a:8080/x");
}

Test(url, relative_reference_ignores_slashes_in_base_query)
{
	expect_resolve("http://a/b?x/y", "g", "http://a/g");
	expect_resolve("http://a?x/y", "g", "http://a/g");
}

Test(url, dot_segment_before_a_query_keeps_its_slash)
{
	/* RFC 3986 5.2.4: "/b/c/./" is "/b/c/"; curl 7.88 merging the
	 * reference itself gives "http://a/b/c?y". */
	expect_resolve(RFC_BASE, "./?y", "http://a/b/c/?y");
	expect_resolve(RFC_BASE, "../?y", "http://a/b/?y");
}

Test(url, dot_segments_pop_empty_segments_one_at_a_time)
{
	/* "//a/b/c" less three segments is "/" then "/e": "//e". */
	expect_resolve("http://h//a/b/c/d", "../../../e", "http://h//e");
}

/* A page's base is its canonical URL split without parsing
 * (url_base_canonical); it must resolve as the fully parsed base does
 * (the url fuzz target compares them on millions more). */
Test(url, split_base_agrees_with_a_parsed_one)
{
	static const char *const refs[] = {
		"g", "./g", "../g", "/g", "?y", "g?y", "g/../h?y", "../../../g",
		"/./g/.", "a%2e%2E/b", "/%7Ex%41?%e2%82%AC", "sp ace", "\xc3\xa9",
		"HTTP://A:8080/x/../y", "http://a:8080?q", "http://a:8080",
		"http://a:8080#f", " /pad ", "?", "g?", "./", "..", "x?a/../b",
		"\\\\h\\x", "http:g", "https:g", "//u@h:81", "",
	};
	enum url_status st;
	struct url_base *b = url_base_new("http://u:p@a:8080/b/c/d;p?q", &st);
	struct url_base *c;

	cr_assert_not_null(b);
	c = url_base_canonical(url_base_str(b), &st);
	cr_assert_not_null(c);
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		char *parsed = NULL, *split = NULL;

		cr_expect_eq(url_base_resolve(b, refs[i], &parsed),
			     url_base_resolve(c, refs[i], &split),
			     "ref \"%s\"", refs[i]);
		cr_expect(parsed && split && !strcmp(parsed, split),
			  "ref \"%s\": %s, split %s", refs[i], parsed, split);
		free(parsed);
		free(split);
	}
	url_base_free(c);
	url_base_free(b);
}

Test(url, canonical_base_resolves_like_a_parsed_one)
{
	enum url_status st;
	struct url_base *b = url_base_canonical(RFC_BASE, &st);
	char *got = NULL;

	cr_assert_not_null(b, "%s", url_strerror(st));
	cr_expect_str_eq(url_base_str(b), RFC_BASE);
	cr_expect_eq(url_base_resolve(b, "../g?x", &got), URL_OK);
	cr_expect_str_eq(got, "http://a/b/g?x");
	free(got);
	url_base_free(b);
	cr_expect_null(url_base_canonical("ftp://a/b", &st));
	cr_expect_eq(st, URL_MALFORMED);
	cr_expect_null(url_base_canonical("http:///b", &st));
	cr_expect_eq(st, URL_MALFORMED);
}

Test(url, colon_in_first_segment_is_a_path_not_a_scheme)
{
	/* Not a scheme by RFC 3986 section 3.1 (starts with a digit); curl
	 * 7.88 alone says "unsupported scheme". */
	expect_resolve(RFC_BASE, "1a:b", "http://a/b/c/1a:b");
	expect_resolve(RFC_BASE, "./x:y", "http://a/b/c/x:y");
}

Test(url, scheme_and_host_are_lowercased)
{
	expect_normal("HTTP://EXAMPLE.COM/Path?Q=V",
		      "http://example.com/Path?Q=V");
	expect_normal("HtTpS://ExAmple.Com", "https://example.com/");
}

Test(url, escaped_host_letters_are_decoded_and_lowercased)
{
	expect_normal("http://a%41.com/", "http://aa.com/");
}

Test(url, http_default_port_is_dropped)
{
	expect_normal("http://a.com:80/x", "http://a.com/x");
	expect_normal("http://a.com:080/x", "http://a.com/x");
}

Test(url, https_default_port_is_dropped)
{
	expect_normal("https://a.com:443/x", "https://a.com/x");
	expect_normal("https://a.com:443", "https://a.com/");
}

Test(url, other_ports_are_kept)
{
	expect_normal("http://a.com:8080/", "http://a.com:8080/");
	expect_normal("http://a.com:443/", "http://a.com:443/");
	expect_normal("https://a.com:80/", "https://a.com:80/");
}

Test(url, empty_port_is_dropped)
{
	expect_normal("http://a.com:/", "http://a.com/");
}

/* The canonical form used to decode "%7E" and uppercase "%2f" (RFC 3986
 * section 6.2.2); browsers send escapes as written, and so does the
 * crawler now (url.h says why). */
Test(url, escapes_are_kept_as_written)
{
	expect_normal("http://a/%7euser", "http://a/%7euser");
	expect_normal("http://a/%7Euser", "http://a/%7Euser");
	expect_normal("http://a/%41%62%2D%2e%5F%30", "http://a/%41%62%2D%2e%5F%30");
	expect_normal("http://a/?q=%41%7e", "http://a/?q=%41%7e");
	expect_normal("http://a/x%2fy", "http://a/x%2fy");
	expect_normal("http://a/x%3a%3F?q=%2f%26%3d",
		      "http://a/x%3a%3F?q=%2f%26%3d");
	expect_normal("http://a/%c3%a9", "http://a/%c3%a9");
}

Test(url, escaped_and_plain_forms_are_different_urls)
{
	char *a = NULL, *b = NULL;

	cr_assert_eq(url_normalize("http://a/~user", &a), URL_OK);
	cr_assert_eq(url_normalize("http://a/%7Euser", &b), URL_OK);
	cr_expect_str_neq(a, b);
	free(a);
	free(b);
}

Test(url, stray_percent_sign_is_sent_as_is)
{
	/* It used to become "%25", a request for another URL than the page
	 * meant. Browsers leave it, and the form stays stable: nothing is
	 * decoded, so "%4%42" cannot turn into "%4B". */
	expect_normal("http://a/100%", "http://a/100%");
	expect_normal("http://a/%zz%4", "http://a/%zz%4");
	expect_normal("http://p/%4%42", "http://p/%4%42");
	expect_normal("http://a/?q=50%", "http://a/?q=50%");
	expect_resolve(RFC_BASE, "100%", "http://a/b/c/100%");
}

Test(url, escaped_host_is_judged_after_decoding)
{
	char *got = NULL;

	expect_normal("http://%342/", "http://0.0.0.42/");
	/* Fullwidth digits map to a number through IDNA too. */
	expect_normal("http://\xef\xbc\x91\xef\xbc\x92\xef\xbc\x8e\xef\xbc\x93/",
		      "http://12.0.0.3/");
	cr_expect_eq(url_normalize("http://a%7Fb.example/", &got), URL_MALFORMED);
	cr_expect_null(got);
}

Test(url, dot_segments_are_removed)
{
	expect_normal("http://a/a/./b/../c", "http://a/a/c");
	expect_normal("http://a/b/c/.", "http://a/b/c/");
	expect_normal("http://a/b/c/..", "http://a/b/");
}

Test(url, dot_segments_above_root_are_dropped)
{
	expect_normal("http://a/../../x", "http://a/x");
	expect_normal("http://a/b/../../..", "http://a/");
	expect_resolve("http://a/b", "../../../x", "http://a/x");
}

Test(url, escaped_dot_segments_are_removed)
{
	/* Decoded first (RFC 3986 section 6.2.2.2), then removed (6.2.2.3). */
	expect_normal("http://a/b/%2E%2E/c", "http://a/c");
	expect_normal("http://a/b/c/.%2e", "http://a/b/");
	expect_resolve("http://a/b/c", "%2e%2E/x", "http://a/x");
}

Test(url, dots_in_query_are_kept)
{
	expect_normal("http://a/b?x=/../y/./z", "http://a/b?x=/../y/./z");
}

Test(url, empty_path_becomes_slash)
{
	expect_normal("http://a.com", "http://a.com/");
	expect_normal("http://a.com?x", "http://a.com/?x");
}

Test(url, empty_query_is_kept)
{
	/* "b?" and "b" are different URLs (RFC 3986 and WHATWG agree); the
	 * canonical form dropped the '?' as curl 7.88 does, and requested
	 * another URL than the page meant. */
	expect_normal("http://a/b?", "http://a/b?");
	expect_normal("http://a/b?#f", "http://a/b?");
	expect_resolve(RFC_BASE, "?", "http://a/b/c/d;p?");
	expect_resolve(RFC_BASE, "g?", "http://a/b/c/g?");
}

Test(url, fragment_is_dropped)
{
	expect_normal("http://a/b#c", "http://a/b");
	expect_normal("http://a/b?q#c#d", "http://a/b?q");
	expect_normal("http://a#c", "http://a/");
}

Test(url, userinfo_is_kept)
{
	expect_normal("http://User:Pw@A.com/", "http://User:Pw@a.com/");
	expect_normal("http://u%40x@a.com/", "http://u%40x@a.com/");
}

Test(url, userinfo_is_percent_encoded_and_split_at_the_last_at_sign)
{
	/* curl 7.88 refused a second '@'; the WHATWG parser takes the last
	 * one as the end of the userinfo and encodes the others. */
	expect_normal("http://u@x@h/", "http://u%40x@h/");
	expect_normal("http://a:b:c@h/", "http://a:b%3Ac@h/");
	expect_normal("http://\xc3\xa9 {}:[x]@h/", "http://%C3%A9%20%7B%7D:%5Bx%5D@h/");
	expect_normal("http://:@h/", "http://h/");
	expect_normal("http://u:@h/", "http://u@h/");
	expect_normal("http://:p@h/", "http://:p@h/");
}

Test(url, ipv6_host_is_kept_with_brackets)
{
	expect_normal("http://[::1]:80/x", "http://[::1]/x");
	expect_normal("http://[::1]:8080/x", "http://[::1]:8080/x");
	expect_normal("http://[FE80::A]/", "http://[fe80::a]/");
}

Test(url, raw_space_is_percent_encoded)
{
	expect_resolve(RFC_BASE, "a b", "http://a/b/c/a%20b");
	/* Not "+", which is what curl's CURLU_URLENCODE puts in a query. */
	expect_resolve(RFC_BASE, "g?q=a b", "http://a/b/c/g?q=a%20b");
	/* curl 7.88 rejects raw spaces in an absolute URL. */
	expect_normal("http://a/b c?d e#f g", "http://a/b%20c?d%20e");
}

Test(url, utf8_bytes_are_percent_encoded)
{
	expect_resolve(RFC_BASE, "caf\xc3\xa9", "http://a/b/c/caf%C3%A9");
	expect_normal("http://a/caf\xc3\xa9?\xc3\xa9",
		      "http://a/caf%C3%A9?%C3%A9");
}

Test(url, invalid_utf8_bytes_are_percent_encoded)
{
	expect_resolve(RFC_BASE, "a\xff\xfe" "b", "http://a/b/c/a%FF%FEb");
	expect_resolve(RFC_BASE, "\xc3(", "http://a/b/c/%C3(");
}

Test(url, ipv6_host_is_written_in_its_one_form)
{
	/* WHATWG section 3.6: the first longest run of zeros compressed,
	 * no leading zeros, an embedded IPv4 part in hex. */
	expect_normal("http://[0:0:0:0:0:0:0:1]/", "http://[::1]/");
	expect_normal("http://[2001:0DB8:0000:0000:0000:0000:0000:0001]/",
		      "http://[2001:db8::1]/");
	expect_normal("http://[0:0:1:0:0:0:1:0]/", "http://[0:0:1::1:0]/");
	expect_normal("http://[1:0:1:0:1:0:1:0]/", "http://[1:0:1:0:1:0:1:0]/");
	expect_normal("http://[::127.0.0.1]/", "http://[::7f00:1]/");
	expect_normal("http://[::ffff:192.168.0.1]/", "http://[::ffff:c0a8:1]/");
	expect_normal("http://[1::]/", "http://[1::]/");
}

Test(url, malformed_ipv6_host_is_malformed)
{
	static const char *const urls[] = {
		"http://[1:2:3:4:5:6:7:8:9]/", "http://[::1::2]/", "http://[1:2:3]/",
		"http://[::1.2.3]/", "http://[::1.2.3.04]/", "http://[::256.0.0.1]/",
		"http://[1::2]:3:4/", "http://[::%31]/", "http://[]/", "http://[:]/",
		"http://[12345::]/", "http://[::1]x/",
	};

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		expect_status(urls[i], URL_MALFORMED);
}

Test(url, ipv4_host_in_the_forms_browsers_take_is_dotted_decimal)
{
	/* WHATWG section 3.5: hex and octal parts, fewer than four parts
	 * (the last fills the rest), one trailing dot. */
	expect_normal("http://0x7f.1/", "http://127.0.0.1/");
	expect_normal("http://192.168.257./", "http://192.168.1.1/");
	expect_normal("http://999999999./", "http://59.154.201.255/");
	expect_normal("http://0x7F000001/", "http://127.0.0.1/");
	expect_normal("http://017700000001/", "http://127.0.0.1/");
	expect_normal("http://1.2.3.4./x", "http://1.2.3.4/x");
	expect_normal("http://4294967295/", "http://255.255.255.255/");
	expect_normal("http://0x/", "http://0.0.0.0/");
}

Test(url, ipv4_host_browsers_refuse_is_malformed)
{
	/* A last label that is a number makes the host an IPv4 address, and
	 * then every label must be one, in range. */
	static const char *const urls[] = {
		"http://4294967296/", "http://256.256.256.256/", "http://1.2.3.4.5/",
		"http://1.2.3.08/", "http://foo.1/", "http://foo.0x4/",
		"http://0..0x300/", "http://1.2.3.256/", "http://0xffffffff1/",
		"http://0999999999999999999/",
	};

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		expect_status(urls[i], URL_MALFORMED);
}

Test(url, host_whose_last_label_is_no_number_is_a_domain)
{
	expect_normal("http://192.168.257.com/", "http://192.168.257.com/");
	expect_normal("http://999999999.com/", "http://999999999.com/");
	expect_normal("http://foo.09../", "http://foo.09../");
}

Test(url, forbidden_host_code_points_are_malformed)
{
	static const char *const urls[] = {
		"http://a<b/", "http://a>b/", "http://a^b/", "http://a|b/",
		"http://a%25b/", "http://a%20b/", "http://a%2Fb/", "http://a\177b/",
		"http://a%00b/", "http://a[b/",
	};

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		expect_status(urls[i], URL_MALFORMED);
	/* What is not forbidden stays, as browsers keep it. */
	expect_normal("http://a!$&'()*+,;=_`{}~b/", "http://a!$&'()*+,;=_`{}~b/");
}

Test(url, backslash_is_a_slash)
{
	/* RFC 3986 makes "\x" a relative path; browsers read '\' as '/' in
	 * http(s) URLs, and a page's links mean what browsers do. */
	expect_resolve("http://example.org/foo/bar", "\\x", "http://example.org/x");
	expect_resolve("http://example.org/foo/bar", "\\\\x\\hello", "http://x/hello");
	expect_resolve(RFC_BASE, "http:\\\\h\\p\\q", "http://h/p/q");
	expect_normal("http://a\\b\\c", "http://a/b/c");
	/* Not in the query, where it is data. */
	expect_normal("http://a/b?c\\d", "http://a/b?c\\d");
}

Test(url, each_part_is_percent_encoded_with_its_own_set)
{
	/* WHATWG section 1.3: the path set encodes '"' '<' '>' '`' '{' '}'
	 * '^' and '?' inside a segment never occurs; the special-query set
	 * '"' '<' '>' and '\''; neither touches '|' '[' ']'. */
	expect_normal("http://a/\"<>`{}^|[]", "http://a/%22%3C%3E%60%7B%7D%5E|[]");
	expect_normal("http://a/?\"<>'`{}^|[]", "http://a/?%22%3C%3E%27`{}^|[]");
}

Test(url, c0_controls_and_spaces_around_a_reference_are_stripped)
{
	expect_resolve(RFC_BASE, "\x01\x1f g \x02", "http://a/b/c/g");
	/* DEL is no C0 control: it stays, and starts no scheme. */
	expect_status("\x7f" "http://a/", URL_MALFORMED);
}

Test(url, a_link_of_ten_thousand_bytes_resolves)
{
	/* URL_MAX_LEN was 8192, and a longer link was dropped whatever
	 * --max-url-length said; the trap limit is the one to judge it. */
	char *path = repeat('x', 10000);
	char *got = NULL;

	path[0] = '/';
	cr_expect_eq(url_resolve("http://a/", path, &got), URL_OK);
	cr_expect_eq(got ? strlen(got) : 0, strlen("http://a") + 10000);
	free(got);
	free(path);
}

Test(url, control_characters_are_percent_encoded)
{
	expect_resolve(RFC_BASE, "a\x01" "b\x7f", "http://a/b/c/a%01b%7F");
}

Test(url, surrounding_whitespace_is_stripped)
{
	expect_resolve(RFC_BASE, "  \t\n g \r\n\f ", "http://a/b/c/g");
	expect_normal("\n http://a/b \t", "http://a/b");
}

Test(url, tabs_and_newlines_inside_are_removed)
{
	expect_resolve(RFC_BASE, "/a\nb\r\tc", "http://a/abc");
	expect_resolve(RFC_BASE, "ht\ntp://x/y", "http://x/y");
	expect_resolve(RFC_BASE, "#\nfrag", RFC_BASE);
}

Test(url, non_http_schemes_are_rejected)
{
	static const struct row rows[] = {
		{ "javascript:alert(1)", URL_SCHEME, NULL },
		{ "JavaScript:void(0)", URL_SCHEME, NULL },
		{ " javascript:x", URL_SCHEME, NULL },
		{ "java\nscript:x", URL_SCHEME, NULL },
		{ "mailto:someone@example.com", URL_SCHEME, NULL },
		{ "data:text/html,<p>hi</p>", URL_SCHEME, NULL },
		{ "ftp://a/b", URL_SCHEME, NULL },
		{ "file:///etc/passwd", URL_SCHEME, NULL },
		{ "tel:+1-555-0100", URL_SCHEME, NULL },
		{ "c:\\windows", URL_SCHEME, NULL },
		{ "web+app:x", URL_SCHEME, NULL },
		{ "httpx://a/", URL_SCHEME, NULL },
	};

	CHECK_ROWS(RFC_BASE, rows);
}

Test(url, long_scheme_is_rejected)
{
	/* curl 7.88 takes a scheme over 40 bytes for a relative path. */
	static const struct row rows[] = {
		{ "abcdefghijabcdefghijabcdefghijabcdefghijab:x", URL_SCHEME,
		  NULL },
	};

	CHECK_ROWS(RFC_BASE, rows);
}

Test(url, non_http_absolute_url_is_rejected)
{
	expect_status("ftp://a/", URL_SCHEME);
	expect_status("mailto:x@y", URL_SCHEME);
}

Test(url, missing_scheme_is_malformed)
{
	enum url_status st;

	expect_status("example.com/x", URL_MALFORMED);
	expect_status("/x", URL_MALFORMED);
	expect_status("", URL_MALFORMED);
	cr_expect_null(url_base_new("//a/b", &st));
	cr_expect_eq(st, URL_MALFORMED);
}

Test(url, missing_host_is_malformed)
{
	static const struct row rows[] = {
		{ "http:///", URL_MALFORMED, NULL },
		{ "http://", URL_MALFORMED, NULL },
		{ "//", URL_MALFORMED, NULL },
	};

	CHECK_ROWS(RFC_BASE, rows);
	expect_status("http:///", URL_MALFORMED);
	expect_status("http://:80/", URL_MALFORMED);
}

Test(url, bad_authority_is_malformed)
{
	expect_status("http://a:99999/", URL_MALFORMED);
	expect_status("http://a:b/", URL_MALFORMED);
	expect_status("http://a b/", URL_MALFORMED);
	expect_status("http://[::1/", URL_MALFORMED);
	expect_status("http://[zz]/", URL_MALFORMED);
	expect_status("http://u@/x", URL_MALFORMED);
}

Test(url, malformed_idn_host_is_malformed)
{
	/* Not UTF-8, or not a valid IDNA 2008 label. */
	static const char *const urls[] = {
		"http://\xff\xfe/", "http://\xc3(/",
	};

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		char *got = NULL;

		cr_expect_eq(url_normalize(urls[i], &got), URL_MALFORMED, "url %zu", i);
		cr_expect_null(got);
	}
}

Test(url, idn_host_becomes_punycode_in_lowercase)
{
	expect_normal("http://\303\211COLE.fr/", "http://xn--cole-9oa.fr/");
	expect_normal("http://b\xc3\xbc" "cher.example/p", "http://xn--bcher-kva.example/p");
	expect_normal("http://xn--bcher-kva.example/", "http://xn--bcher-kva.example/");
}

Test(url, idn_link_resolves_to_punycode)
{
	char *got = NULL;

	cr_assert_eq(url_resolve("http://a.test/", "//b\xc3\xbc" "cher.example/x", &got),
		     URL_OK);
	cr_expect_str_eq(got, "http://xn--bcher-kva.example/x");
	free(got);
}

Test(url, too_long_input_is_rejected)
{
	char *path = repeat('x', URL_MAX_LEN);
	char *url, *got = NULL;
	size_t n = URL_MAX_LEN + 16;
	enum url_status st;

	url = malloc(n);
	cr_assert_not_null(url);
	snprintf(url, n, "http://a/%s", path);
	expect_status(url, URL_TOO_LONG);
	cr_expect_null(url_base_new(url, &st));
	cr_expect_eq(st, URL_TOO_LONG);
	path[URL_MAX_LEN - 1] = 'y';
	cr_expect_eq(url_resolve("http://a/", path, &got), URL_TOO_LONG);
	cr_expect_null(got);
	free(path);
	free(url);
}

Test(url, too_long_result_is_rejected)
{
	/* Each input fits; the result does not. */
	size_t half = URL_MAX_LEN / 2;
	char *dir = repeat('d', half), *file = repeat('f', half);
	char base[URL_MAX_LEN];
	char *got = NULL;

	snprintf(base, sizeof(base), "http://a/%s/", dir);
	cr_expect_eq(url_resolve(base, file, &got), URL_TOO_LONG);
	cr_expect_null(got);
	free(dir);
	free(file);
}

Test(url, percent_encoding_can_make_a_result_too_long)
{
	char *ref = repeat(' ', URL_MAX_LEN / 2);
	char *got = NULL;

	/* Inner spaces, which are not stripped. */
	ref[0] = 'x';
	ref[URL_MAX_LEN / 2 - 1] = 'y';
	cr_expect_eq(url_resolve("http://a/", ref, &got), URL_TOO_LONG);
	cr_expect_null(got);
	free(ref);
}

Test(url, longest_url_is_accepted)
{
	const char *prefix = "http://a/";
	char *url = repeat('x', URL_MAX_LEN);
	char *got = NULL;

	memcpy(url, prefix, strlen(prefix));
	cr_expect_eq(url_normalize(url, &got), URL_OK);
	cr_expect_eq(got ? strlen(got) : 0, (size_t)URL_MAX_LEN);
	free(got);
	free(url);
}

Test(url, base_str_is_canonical)
{
	enum url_status st;
	struct url_base *b = url_base_new(" HTTP://A.COM:80/b/../c?x#f ", &st);

	cr_assert_not_null(b, "%s", url_strerror(st));
	cr_expect_eq(st, URL_OK);
	cr_expect_str_eq(url_base_str(b), "http://a.com/c?x");
	url_base_free(b);
}

Test(url, base_of_other_scheme_is_rejected)
{
	enum url_status st;
	char untouched;
	char *got = &untouched;

	cr_expect_null(url_base_new("mailto:x@y", &st));
	cr_expect_eq(st, URL_SCHEME);
	cr_expect_eq(url_resolve("ftp://a/", "g", &got), URL_SCHEME);
	cr_expect_null(got);
}

Test(url, resolving_leaves_the_base_unchanged)
{
	enum url_status st;
	struct url_base *b = url_base_new("http://a/b/c", &st);
	char *got = NULL;

	cr_assert_not_null(b);
	cr_expect_eq(url_base_resolve(b, "http://other/x", &got), URL_OK);
	free(got);
	cr_expect_eq(url_base_resolve(b, "g", &got), URL_OK);
	cr_expect_str_eq(got, "http://a/b/g");
	free(got);
	cr_expect_str_eq(url_base_str(b), "http://a/b/c");
	url_base_free(b);
}

Test(url, host_of_plain_url)
{
	expect_host("http://example.com/x", "example.com");
	expect_host("https://a.b", "a.b");
	expect_host("http://a.b?x", "a.b");
}

Test(url, host_skips_port)
{
	expect_host("http://example.com:8080/x", "example.com");
}

Test(url, host_skips_userinfo)
{
	expect_host("http://u:p@example.com:81/x", "example.com");
	expect_host("http://u@example.com/a@b", "example.com");
}

Test(url, host_keeps_ipv6_brackets)
{
	expect_host("http://[::1]/", "[::1]");
	expect_host("https://u@[2001:db8::1]:8443/x", "[2001:db8::1]");
}

Test(url, host_of_non_canonical_url_is_null)
{
	size_t len;

	cr_expect_null(url_host("ftp://a/", &len));
	cr_expect_null(url_host("HTTP://a/", &len));
	cr_expect_null(url_host("a/b", &len));
	cr_expect_null(url_host("http:///x", &len));
	cr_expect_null(url_host("http://u@/x", &len));
	cr_expect_null(url_host("http://[::1/", &len));
	cr_expect_null(url_host("", &len));
}

Test(url, every_status_has_its_own_text)
{
	static const enum url_status all[] = {
#define URL_LIST(name, text) URL_##name,
		URL_STATUS_MAP(URL_LIST)
#undef URL_LIST
	};
	size_t n = sizeof(all) / sizeof(all[0]);

	cr_expect_str_eq(url_strerror(URL_OK), "ok");
	cr_expect_str_eq(url_strerror(URL_TOO_LONG), "URL too long");
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			cr_expect_str_neq(url_strerror(all[i]),
					  url_strerror(all[j]));
	cr_expect_not_null(url_strerror((enum url_status)99));
}

struct worker {
	int id;
	int errors;
};

/* Every thread resolves against its own base, as the parser threads do. */
static void *resolve_many(void *arg)
{
	struct worker *w = arg;
	enum url_status st;
	char base[64], ref[64], want[128];
	struct url_base *b;

	snprintf(base, sizeof(base), "http://H%d.test/d/page", w->id);
	b = url_base_new(base, &st);

	if (!b) {
		w->errors++;
		return NULL;
	}
	for (int i = 0; i < 2000; i++) {
		char *got = NULL;

		snprintf(ref, sizeof(ref), " ../p%d/./q?i=%%7e%d#f", i, i);
		snprintf(want, sizeof(want), "http://h%d.test/p%d/q?i=%%7e%d",
			 w->id, i, i);
		if (url_base_resolve(b, ref, &got) != URL_OK ||
		    strcmp(got, want) != 0)
			w->errors++;
		free(got);
	}
	url_base_free(b);
	return NULL;
}

Test(url, concurrent_resolution_on_separate_bases)
{
	enum { NTHREADS = 8 };
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];

	for (int i = 0; i < NTHREADS; i++) {
		w[i].id = i;
		w[i].errors = 0;
		cr_assert_eq(pthread_create(&t[i], NULL, resolve_many, &w[i]),
			     0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(w[i].errors, 0, "thread %d", i);
	}
}
