/* Tests for robots: RFC 9309 group selection, rule precedence, wildcards and
 * percent-encoding as one table of (robots.txt, agent, path, allowed), then
 * Crawl-delay, Sitemap, the product token and files that are too big, too
 * long or not text at all.
 */
#include "robots.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct row {
	const char *txt;
	const char *agent;
	const char *path;
	bool allowed;
};

#define OWN_AND_STAR \
	"User-agent: *\nDisallow: /\n\nUser-agent: crawler\nDisallow: /private\n"
#define MERGED \
	"User-agent: crawler\nDisallow: /one\n\n" \
	"User-agent: other\nDisallow: /two\n\n" \
	"User-agent: crawler\nDisallow: /three\n"

static const struct row rows[] = {
	/* Our group, else "*", else nothing (RFC 9309 section 2.2.1). */
	{ OWN_AND_STAR, "crawler", "/public", true },
	{ OWN_AND_STAR, "crawler", "/private", false },
	{ OWN_AND_STAR, "otherbot", "/public", false },
	{ "User-agent: *\nAllow: /\n\nUser-agent: crawler\nDisallow: /\n",
	  "crawler", "/x", false },
	{ "User-agent: *\nDisallow: /x\n", "crawler", "/x/y", false },
	{ "User-agent: otherbot\nDisallow: /\n", "crawler", "/", true },
	{ "User-agent: crawler\nAllow: /\nUser-agent: *\nDisallow: /\n",
	  "crawler", "/x", true },
	{ "User-agent: *\nDisallow: /\nUser-agent: crawler\nDisallow:\n",
	  "crawler", "/x", true },
	/* Agent names: case-insensitive product tokens. */
	{ "User-agent: CRAWLER\nDisallow: /a\n", "crawler", "/a", false },
	{ "User-agent: crawler\nDisallow: /a\n", "Crawler", "/a", false },
	{ "user-AGENT: crawler\ndisALLOW: /a\n", "crawler", "/a", false },
	{ "User-agent: crawler/2.0\nDisallow: /v\n", "crawler", "/v", false },
	{ "User-agent: crawlerbot\nDisallow: /\n", "crawler", "/", true },
	{ "User-agent: # crawler\nDisallow: /\n", "crawler", "/", true },
	/* Groups: several user-agent lines, merged duplicates. */
	{ "User-agent: a\nUser-agent: crawler\nUser-agent: b\nDisallow: /m\n",
	  "crawler", "/m", false },
	{ "User-agent: crawler\nUser-agent: *\nDisallow: /m\n", "other", "/m",
	  false },
	{ "User-agent: crawler\n\nUser-agent: *\nDisallow: /\n", "crawler", "/",
	  false },
	{ MERGED, "crawler", "/one", false },
	{ MERGED, "crawler", "/three", false },
	{ MERGED, "crawler", "/two", true },
	{ "User-agent: *\nDisallow: /s1\nUser-agent: *\nDisallow: /s2\n",
	  "crawler", "/s2", false },
	{ "User-agent: crawler\nDisallow: /a\nUser-agent: other\nDisallow: /b\n",
	  "crawler", "/b", true },
	{ "User-agent: crawler\nCrawl-delay: 1\nUser-agent: *\nDisallow: /\n",
	  "crawler", "/", true },
	{ "User-agent: other\nSitemap: https://a/s.xml\nUser-agent: crawler\n"
	  "Disallow: /z\n", "crawler", "/z", false },
	{ "Disallow: /early\nUser-agent: *\nDisallow: /late\n", "crawler",
	  "/early", true },
	{ "Disallow: /early\nUser-agent: *\nDisallow: /late\n", "crawler",
	  "/late", false },
	/* Comments, blanks, keys. */
	{ "# hello\nUser-agent: crawler # me\nDisallow: /c # secret\n",
	  "crawler", "/c", false },
	{ "# hello\nUser-agent: crawler # me\nDisallow: /c # secret\n",
	  "crawler", "/d", true },
	{ "User-agent: *\nDisallow: # nothing here\n", "crawler", "/x", true },
	{ "User-agent: *\nDisallow:\n", "crawler", "/anything", true },
	{ "  User-agent  :   crawler  \n\tDisallow\t:\t/ws\t\n", "crawler",
	  "/ws", false },
	{ "  User-agent  :   crawler  \n\tDisallow\t:\t/ws\t\n", "crawler",
	  "/w", true },
	{ "User-agent: *\nNoindex: /x\nFoo: bar\nDisallow: /y\n", "crawler",
	  "/x", true },
	{ "User-agent: *\nNoindex: /x\nFoo: bar\nDisallow: /y\n", "crawler",
	  "/y", false },
	{ "User-agent: *\nDisallow /nocolon\nDisallow: /yes\n", "crawler",
	  "/nocolon", true },
	{ "User-agent: *\nDisallow /nocolon\nDisallow: /yes\n", "crawler",
	  "/yes", false },
	{ "User-agent crawler\nDisallow: /\n", "crawler", "/", true },
	{ "", "crawler", "/", true },
	{ "# only\n# comments\n", "crawler", "/x", true },
	/* Line ends and the byte order mark. */
	{ "User-agent: *\r\nDisallow: /crlf\r\n", "crawler", "/crlf", false },
	{ "User-agent: *\rDisallow: /cr\r", "crawler", "/cr", false },
	{ "User-agent: *\rDisallow: /cr\r", "crawler", "/other", true },
	{ "\xEF\xBB\xBFUser-agent: *\nDisallow: /bom\n", "crawler", "/bom",
	  false },
	/* Precedence: longest pattern, Allow on a tie (section 2.2.2). */
	{ "User-agent: *\nDisallow: /\n", "crawler", "/", false },
	{ "User-agent: *\nDisallow: /\n", "crawler", "/index.html", false },
	{ "User-agent: *\nDisallow: /\n", "crawler", "/robots.txt", true },
	{ "User-agent: *\nDisallow: /\n", "crawler", "/robots.txtx", false },
	{ "User-agent: *\nDisallow: /a\nAllow: /a/b\n", "crawler", "/a/b/c",
	  true },
	{ "User-agent: *\nDisallow: /a\nAllow: /a/b\n", "crawler", "/a/c",
	  false },
	{ "User-agent: *\nAllow: /a\nDisallow: /a/b\n", "crawler", "/a/b",
	  false },
	{ "User-agent: *\nDisallow: /t\nAllow: /t\n", "crawler", "/t", true },
	{ "User-agent: *\nAllow: /t\nDisallow: /t\n", "crawler", "/t", true },
	{ "User-agent: *\nDisallow: /*/x\nAllow: /a/\n", "crawler", "/a/x",
	  false },
	{ "User-agent: *\nAllow: /$\nDisallow: /\n", "crawler", "/", true },
	{ "User-agent: *\nAllow: /$\nDisallow: /\n", "crawler", "/x", false },
	/* Wildcards and the end anchor (section 2.2.3). */
	{ "User-agent: *\nDisallow: /a*z\n", "crawler", "/abcz", false },
	{ "User-agent: *\nDisallow: /a*z\n", "crawler", "/az", false },
	{ "User-agent: *\nDisallow: /a*z\n", "crawler", "/abc", true },
	{ "User-agent: *\nDisallow: /a**b\n", "crawler", "/axxb", false },
	{ "User-agent: *\nDisallow: *.pdf\n", "crawler", "/doc/x.pdf", false },
	{ "User-agent: *\nDisallow: /*\n", "crawler", "/", false },
	{ "User-agent: *\nDisallow: /*.php$\n", "crawler", "/a.php", false },
	{ "User-agent: *\nDisallow: /*.php$\n", "crawler", "/dir/b.php", false },
	{ "User-agent: *\nDisallow: /*.php$\n", "crawler", "/a.php?x", true },
	{ "User-agent: *\nDisallow: /*.php$\n", "crawler", "/a.phpx", true },
	{ "User-agent: *\nDisallow: /exact$\n", "crawler", "/exact", false },
	{ "User-agent: *\nDisallow: /exact$\n", "crawler", "/exact/", true },
	{ "User-agent: *\nDisallow: /a$b\n", "crawler", "/a$bc", false },
	{ "User-agent: *\nDisallow: /a$b\n", "crawler", "/a", true },
	{ "User-agent: *\nDisallow: /fish*.php\n", "crawler",
	  "/fishheads/catfish.php?parameters", false },
	{ "User-agent: *\nDisallow: /fish*.php\n", "crawler", "/Fish.PHP",
	  true },
	/* Query strings are part of what is matched. */
	{ "User-agent: *\nDisallow: /*?\n", "crawler", "/page?x=1", false },
	{ "User-agent: *\nDisallow: /*?\n", "crawler", "/page", true },
	{ "User-agent: *\nDisallow: /search?q=\n", "crawler", "/search?q=cats",
	  false },
	{ "User-agent: *\nDisallow: /search?q=\n", "crawler", "/search", true },
	/* Percent-encoding: both sides compared in one normal form. */
	{ "User-agent: *\nDisallow: /%7Efoo\n", "crawler", "/~foo", false },
	{ "User-agent: *\nDisallow: /~bar\n", "crawler", "/%7ebar", false },
	{ "User-agent: *\nDisallow: /a%2Fb\n", "crawler", "/a/b", true },
	{ "User-agent: *\nDisallow: /a%2Fb\n", "crawler", "/a%2Fb", false },
	{ "User-agent: *\nDisallow: /a/b\n", "crawler", "/a%2Fb", true },
	{ "User-agent: *\nDisallow: /a%2fb\n", "crawler", "/a%2Fb", false },
	{ "User-agent: *\nDisallow: /caf\xC3\xA9\n", "crawler", "/caf%C3%A9",
	  false },
	{ "User-agent: *\nDisallow: /caf%c3%a9\n", "crawler", "/caf%C3%A9",
	  false },
	{ "User-agent: *\nDisallow: /a b\n", "crawler", "/a%20b", false },
	{ "User-agent: *\nDisallow: /100%\n", "crawler", "/100%", false },
	/* A '%' that starts no escape is "%25" in a canonical URL. */
	{ "User-agent: *\nDisallow: /a%zz\n", "crawler", "/a%25zz", false },
};

Test(robots, table)
{
	size_t n = sizeof(rows) / sizeof(rows[0]);

	cr_assert_geq(n, 45);
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		struct robots *r = robots_parse(w->txt, strlen(w->txt), w->agent);

		cr_assert_not_null(r, "row %zu: out of memory", i);
		cr_expect_eq(robots_allowed(r, w->path), w->allowed,
			     "row %zu: agent %s, path %s: want %s; robots.txt:\n%s",
			     i, w->agent, w->path,
			     w->allowed ? "allowed" : "disallowed", w->txt);
		robots_free(r);
	}
}

static int64_t delay_of(const char *txt, const char *agent)
{
	struct robots *r = robots_parse(txt, strlen(txt), agent);
	int64_t ms;

	cr_assert_not_null(r);
	ms = robots_crawl_delay_ms(r);
	robots_free(r);
	return ms;
}

Test(robots, crawl_delay_in_seconds_with_fractions)
{
	cr_expect_eq(delay_of("User-agent: *\nCrawl-delay: 10\n", "crawler"),
		     10000);
	cr_expect_eq(delay_of("User-agent: *\nCrawl-delay: 0.5\n", "crawler"),
		     500);
	cr_expect_eq(delay_of("User-agent: *\nCrawl-delay: 0\n", "crawler"), 0);
	cr_expect_eq(delay_of("User-agent: *\ncrawl-DELAY:  2.25 \n", "c"),
		     2250);
}

Test(robots, crawl_delay_invalid_values_ignored)
{
	cr_expect_eq(delay_of("User-agent: *\nCrawl-delay: abc\n", "crawler"),
		     -1);
	cr_expect_eq(delay_of("User-agent: *\nCrawl-delay: -1\n", "crawler"),
		     -1);
	cr_expect_eq(delay_of("User-agent: *\nCrawl-delay: 1s\n", "crawler"),
		     -1);
	cr_expect_eq(delay_of("User-agent: *\nCrawl-delay:\n", "crawler"), -1);
	cr_expect_eq(delay_of("User-agent: *\nCrawl-delay: abc\n"
			      "Crawl-delay: 3\nCrawl-delay: 4\n", "crawler"),
		     3000);
	cr_expect_eq(delay_of("User-agent: *\nDisallow: /\n", "crawler"), -1);
	cr_expect_eq(delay_of("Crawl-delay: 7\nUser-agent: *\n", "crawler"), -1);
}

Test(robots, crawl_delay_from_our_group_not_stars)
{
	const char *txt = "User-agent: *\nCrawl-delay: 5\n\n"
			  "User-agent: crawler\nCrawl-delay: 2\n";

	cr_expect_eq(delay_of(txt, "crawler"), 2000);
	cr_expect_eq(delay_of(txt, "otherbot"), 5000);
	cr_expect_eq(delay_of("User-agent: *\nCrawl-delay: 5\n\n"
			      "User-agent: crawler\nDisallow: /x\n", "crawler"),
		     -1);
}

Test(robots, sitemaps_collected_from_anywhere_in_order)
{
	const char *txt = "Sitemap: https://a.test/s1.xml\n"
			  "User-agent: *\nSitemap: https://a.test/s2.xml\n"
			  "Disallow: /\n"
			  "User-agent: other\nsitemap:https://a.test/s3.xml # c\n"
			  "Sitemap:\nSitemap: not a url\n";
	struct robots *r = robots_parse(txt, strlen(txt), "crawler");
	const char *const *urls = NULL;
	size_t n = robots_sitemaps(r, &urls);

	cr_assert_eq(n, 3);
	cr_expect_str_eq(urls[0], "https://a.test/s1.xml");
	cr_expect_str_eq(urls[1], "https://a.test/s2.xml");
	cr_expect_str_eq(urls[2], "https://a.test/s3.xml");
	cr_expect_not(robots_allowed(r, "/x"));
	robots_free(r);
}

static void expect_token(const char *ua, size_t cap, const char *want)
{
	char buf[64];

	robots_product_token(ua, buf, cap);
	cr_expect_str_eq(buf, want, "\"%s\" cap %zu: got \"%s\"", ua, cap, buf);
}

Test(robots, product_token_is_leading_name)
{
	expect_token("crawler/0.1.0 (+https://x)", 64, "crawler");
	expect_token("Googlebot-Image/1.0", 64, "Googlebot-Image");
	expect_token("my_bot", 64, "my_bot");
	expect_token("/1.0", 64, "");
	expect_token("", 64, "");
	expect_token("crawler/0.1", 4, "cra");
	expect_token("crawler/0.1", 1, "");
}

Test(robots, product_token_cap_zero_writes_nothing)
{
	char buf[4] = "xyz";

	robots_product_token("crawler", buf, 0);
	cr_expect_str_eq(buf, "xyz");
}

Test(robots, parse_takes_agent_as_full_user_agent_too)
{
	const char *txt = "User-agent: crawler\nDisallow: /\n";
	struct robots *r = robots_parse(txt, strlen(txt), "crawler/0.1.0");

	cr_expect_not(robots_allowed(r, "/x"));
	robots_free(r);
}

Test(robots, allow_all_and_disallow_all)
{
	struct robots *a = robots_allow_all();
	struct robots *d = robots_disallow_all();
	const char *const *urls;

	cr_assert(a && d);
	cr_expect(robots_allowed(a, "/"));
	cr_expect(robots_allowed(a, "/private?x=1"));
	cr_expect_eq(robots_crawl_delay_ms(a), -1);
	cr_expect_eq(robots_sitemaps(a, &urls), 0);
	cr_expect_not(robots_allowed(d, "/"));
	cr_expect_not(robots_allowed(d, "/x/y?z"));
	cr_expect(robots_allowed(d, "/robots.txt"));
	cr_expect_eq(robots_crawl_delay_ms(d), -1);
	cr_expect_eq(robots_sitemaps(d, &urls), 0);
	robots_free(a);
	robots_free(d);
	robots_free(NULL);
}

Test(robots, body_with_nuls_and_no_terminator)
{
	static const char txt[] = "User-agent: *\nDisallow: /a\0b\n"
				  "Disallow: /c\nDisallow: /dropped";
	/* Cut before "/dropped" ends: len, not a NUL, bounds the body. */
	struct robots *r = robots_parse(txt, sizeof(txt) - 3, "crawler");

	cr_expect(robots_allowed(r, "/a"));
	cr_expect_not(robots_allowed(r, "/a%00b"));
	cr_expect_not(robots_allowed(r, "/c"));
	cr_expect_not(robots_allowed(r, "/dropp"));
	robots_free(r);
}

Test(robots, null_body_allows_all)
{
	struct robots *r = robots_parse(NULL, 0, "crawler");

	cr_expect(robots_allowed(r, "/x"));
	robots_free(r);
}

/* A deterministic generator, so a failure repeats. */
static uint32_t next_random(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return *state >> 24;
}

Test(robots, binary_garbage_is_harmless)
{
	const char *tail = "\nUser-agent: *\nDisallow: /private\n";
	size_t garbage = 64 * 1024, len = garbage + strlen(tail);
	char *body = malloc(len);
	uint32_t state = 12345;
	struct robots *r;

	cr_assert_not_null(body);
	for (size_t i = 0; i < garbage; i++)
		body[i] = (char)next_random(&state);
	body[100] = '\0';
	memcpy(body + garbage, tail, strlen(tail));
	r = robots_parse(body, len, "crawler");
	cr_assert_not_null(r);
	cr_expect_not(robots_allowed(r, "/private/x"));
	cr_expect(robots_allowed(r, "/public"));
	robots_free(r);
	free(body);
}

/* Filler of # comment lines from `from` to `to`, each ending in '\n'. */
static void fill_comments(char *body, size_t from, size_t to)
{
	memset(body + from, 'x', to - from);
	for (size_t i = from; i < to; i += 100)
		body[i] = '#';
	for (size_t i = from + 99; i < to; i += 100)
		body[i] = '\n';
	body[to - 1] = '\n';
}

static size_t put(char *body, size_t at, const char *s)
{
	memcpy(body + at, s, strlen(s));
	return at + strlen(s);
}

Test(robots, huge_file_parsed_only_to_the_limit, .timeout = 10)
{
	size_t len = 10 * 1024 * 1024, late = 600 * 1024;
	char *body = malloc(len);
	size_t at;
	struct robots *r;

	cr_assert_not_null(body);
	at = put(body, 0, "User-agent: *\nDisallow: /early\n");
	fill_comments(body, at, late);
	at = put(body, late, "Disallow: /late\n");
	fill_comments(body, at, len);
	r = robots_parse(body, len, "crawler");
	cr_assert_not_null(r);
	cr_expect_not(robots_allowed(r, "/early"));
	cr_expect(robots_allowed(r, "/late"));
	robots_free(r);
	free(body);
}

Test(robots, line_cut_by_the_limit_is_dropped)
{
	size_t len = ROBOTS_MAX_BYTES + 100;
	char *body = malloc(len);
	size_t cut = ROBOTS_MAX_BYTES - strlen("Disallow: /s");
	size_t at;
	struct robots *r;

	cr_assert_not_null(body);
	at = put(body, 0, "User-agent: *\nDisallow: /first\n");
	fill_comments(body, at, cut);
	at = put(body, cut, "Disallow: /straddle\n");
	fill_comments(body, at, len);
	r = robots_parse(body, len, "crawler");
	cr_expect_not(robots_allowed(r, "/first"));
	cr_expect(robots_allowed(r, "/s"));
	cr_expect(robots_allowed(r, "/straddle"));
	robots_free(r);
	free(body);
}

Test(robots, overlong_line_skipped)
{
	size_t len = 4096;
	char *body = calloc(1, len + 64);
	size_t at;
	struct robots *r;

	cr_assert_not_null(body);
	at = put(body, 0, "User-agent: *\nDisallow: /");
	memset(body + at, 'a', 3000);
	at = put(body, at + 3000, "\nDisallow: /b\n");
	r = robots_parse(body, at, "crawler");
	cr_expect(robots_allowed(r, "/a"));
	cr_expect_not(robots_allowed(r, "/b"));
	robots_free(r);
	free(body);
}

Test(robots, long_path_matched_whole)
{
	const char *txt = "User-agent: *\nDisallow: /*%7Eend$\n";
	size_t len = 5000;
	char *path = malloc(len + 1);
	struct robots *r = robots_parse(txt, strlen(txt), "crawler");

	cr_assert_not_null(path);
	memset(path, 'p', len);
	path[0] = '/';
	memcpy(path + len - 4, "~end", 5);
	cr_expect_not(robots_allowed(r, path));
	path[len - 1] = 'x';
	cr_expect(robots_allowed(r, path));
	robots_free(r);
	free(path);
}

Test(robots, pathological_wildcards_finish_quickly, .timeout = 2)
{
	const char *txt = "User-agent: *\n"
			  "Disallow: /*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n"
			  "Disallow: /*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b$\n";
	size_t len = 8000;
	char *path = malloc(len + 1);
	struct robots *r = robots_parse(txt, strlen(txt), "crawler");

	cr_assert_not_null(path);
	memset(path, 'a', len);
	path[0] = '/';
	path[len] = '\0';
	for (int i = 0; i < 50; i++)
		cr_expect(robots_allowed(r, path));
	robots_free(r);
	free(path);
}
