/* parse_test: what parse_html finds in a page (links, in order and
 * resolved; the title) and how it copes with pages that are broken, hostile
 * or in another charset. The HTML is inline in each test. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/globals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlstring.h>

#include "parse.h"
#include "url.h"

#define PAGE "http://example.com/dir/page.html"

static void setup(void)
{
	parse_global_init();
}

TestSuite(parse, .init = setup);

/* Parse html (a C string) fetched from PAGE; it must succeed. */
static void parse_ok(struct parse_result *r, const char *html,
		     const char *charset)
{
	cr_assert_eq(parse_html(html, strlen(html), PAGE, charset, r),
		     PARSE_OK);
}

static void check_links(const struct parse_result *r, const char **want,
			size_t n)
{
	cr_assert_eq(r->nlinks, n, "got %zu links, want %zu", r->nlinks, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(r->links[i], want[i], "link %zu", i);
}

#define assert_links(r, ...)                                      \
	check_links((r), (const char *[]){ __VA_ARGS__ },         \
		    sizeof((const char *[]){ __VA_ARGS__ }) /     \
			    sizeof(const char *))

static void assert_no_links(const struct parse_result *r)
{
	cr_assert_eq(r->nlinks, 0, "got %zu links, want none", r->nlinks);
}

static void assert_title(const struct parse_result *r, const char *want)
{
	cr_assert_not_null(r->title, "no title, want \"%s\"", want);
	cr_assert_str_eq(r->title, want);
}

Test(parse, a_href_is_a_link)
{
	struct parse_result r;

	parse_ok(&r, "<p><a href=\"http://other.org/x\">x</a></p>", NULL);
	assert_links(&r, "http://other.org/x");
	parse_result_release(&r);
}

Test(parse, area_href_is_a_link)
{
	struct parse_result r;

	parse_ok(&r, "<map name=m><area shape=rect href=\"/area\"></map>",
		 NULL);
	assert_links(&r, "http://example.com/area");
	parse_result_release(&r);
}

Test(parse, frame_src_is_a_link)
{
	struct parse_result r;

	parse_ok(&r, "<frameset><frame src=\"top.html\"></frameset>", NULL);
	assert_links(&r, "http://example.com/dir/top.html");
	parse_result_release(&r);
}

Test(parse, iframe_src_is_a_link)
{
	struct parse_result r;

	parse_ok(&r, "<body><iframe src=\"https://ads.example/f\"></iframe>",
		 NULL);
	assert_links(&r, "https://ads.example/f");
	parse_result_release(&r);
}

Test(parse, other_attributes_and_elements_are_not_links)
{
	struct parse_result r;

	parse_ok(&r,
		 "<a name=top>t</a><a>bare</a><a href>empty attr</a>"
		 "<img src=i.png><link href=s.css><script src=j.js></script>"
		 "<a src=s.html>x</a><iframe href=h.html></iframe>",
		 NULL);
	assert_no_links(&r);
	parse_result_release(&r);
}

Test(parse, relative_links_resolve_against_the_page)
{
	struct parse_result r;

	parse_ok(&r,
		 "<a href=a.html>1</a><a href=\"../up.html\">2</a>"
		 "<a href=\"/root\">3</a><a href=\"//cdn.example/c\">4</a>"
		 "<a href=\"?q=1\">5</a>",
		 NULL);
	assert_links(&r, "http://example.com/dir/a.html",
		     "http://example.com/up.html", "http://example.com/root",
		     "http://cdn.example/c",
		     "http://example.com/dir/page.html?q=1");
	parse_result_release(&r);
}

Test(parse, links_come_out_in_canonical_form)
{
	struct parse_result r;

	parse_ok(&r, "<a href=\" HTTP://Example.COM:80/a/./b/../c#frag \">x</a>",
		 NULL);
	assert_links(&r, "http://example.com/a/c");
	parse_result_release(&r);
}

Test(parse, links_keep_document_order_and_duplicates)
{
	struct parse_result r;

	parse_ok(&r,
		 "<a href=b>1</a><iframe src=a></iframe><a href=b>2</a>"
		 "<area href=a>",
		 NULL);
	assert_links(&r, "http://example.com/dir/b",
		     "http://example.com/dir/a", "http://example.com/dir/b",
		     "http://example.com/dir/a");
	parse_result_release(&r);
}

Test(parse, base_href_changes_what_links_resolve_against)
{
	struct parse_result r;

	parse_ok(&r,
		 "<head><base href=\"https://cdn.example/static/\"></head>"
		 "<body><a href=x.html>x</a><a href=\"/y\">y</a>",
		 NULL);
	assert_links(&r, "https://cdn.example/static/x.html",
		     "https://cdn.example/y");
	parse_result_release(&r);
}

Test(parse, relative_base_href_resolves_against_the_page)
{
	struct parse_result r;

	parse_ok(&r, "<base href=\"../other/\"><a href=x.html>x</a>", NULL);
	assert_links(&r, "http://example.com/other/x.html");
	parse_result_release(&r);
}

/* A streaming parse cannot go back: see parse.h. */
Test(parse, base_href_applies_only_to_links_after_it)
{
	struct parse_result r;

	parse_ok(&r,
		 "<a href=before.html>b</a><base href=\"http://b.example/\">"
		 "<a href=after.html>a</a>",
		 NULL);
	assert_links(&r, "http://example.com/dir/before.html",
		     "http://b.example/after.html");
	parse_result_release(&r);
}

Test(parse, only_the_first_base_href_counts)
{
	struct parse_result r;

	parse_ok(&r,
		 "<base target=_blank><base href=\"http://first.example/\">"
		 "<base href=\"http://second.example/\"><a href=x>x</a>",
		 NULL);
	assert_links(&r, "http://first.example/x");
	parse_result_release(&r);
}

Test(parse, unusable_base_href_leaves_the_page_as_base)
{
	struct parse_result r;

	parse_ok(&r,
		 "<base href=\"ftp://files.example/\">"
		 "<base href=\"http://second.example/\"><a href=x>x</a>",
		 NULL);
	assert_links(&r, "http://example.com/dir/x");
	parse_result_release(&r);
}

Test(parse, uppercase_tags_and_attributes_are_recognised)
{
	struct parse_result r;

	parse_ok(&r,
		 "<HTML><HEAD><TITLE>Up</TITLE><BASE HREF=\"/b/\"></HEAD>"
		 "<BODY><A HREF=a>a</A><Area Href=c><IFRAME SRC=i></IFRAME>"
		 "<FrAmE sRc=f></BODY></HTML>",
		 NULL);
	assert_title(&r, "Up");
	assert_links(&r, "http://example.com/b/a", "http://example.com/b/c",
		     "http://example.com/b/i", "http://example.com/b/f");
	parse_result_release(&r);
}

Test(parse, unclosed_tags_and_broken_html_still_yield_links)
{
	struct parse_result r;

	parse_ok(&r,
		 "<html><title>Broken<body><div><p><a href=one>1<a href=two>"
		 "<table><tr><td><a href='three'>3</div></span>"
		 "<<a href=four>4</a>"
		 /* An unclosed tag takes the next one in as attributes, and
		  * the first href wins; a tag cut off by the end still counts. */
		 "<a href=\"five\" <a href=six>"
		 "<a href=seven",
		 NULL);
	assert_links(&r, "http://example.com/dir/one",
		     "http://example.com/dir/two",
		     "http://example.com/dir/three",
		     "http://example.com/dir/four",
		     "http://example.com/dir/five",
		     "http://example.com/dir/seven");
	parse_result_release(&r);
}

Test(parse, entities_in_href_are_decoded)
{
	struct parse_result r;

	parse_ok(&r, "<a href=\"/s?a=1&amp;b=2&#38;c=3\">s</a>", NULL);
	assert_links(&r, "http://example.com/s?a=1&b=2&c=3");
	parse_result_release(&r);
}

Test(parse, entities_in_title_are_decoded)
{
	struct parse_result r;

	parse_ok(&r, "<title>Caf&eacute; &amp; Th&#xE9; &lt;3</title>", NULL);
	assert_title(&r, "Caf\xc3\xa9 & Th\xc3\xa9 <3");
	parse_result_release(&r);
}

Test(parse, title_white_space_is_collapsed_and_trimmed)
{
	struct parse_result r;

	parse_ok(&r, "<title>\n\t  A \r\n\f  title\t\twith   gaps  \n</title>",
		 NULL);
	assert_title(&r, "A title with gaps");
	parse_result_release(&r);
}

Test(parse, no_title_gives_null)
{
	struct parse_result r;

	parse_ok(&r, "<html><head></head><body><a href=x>x</a></body>", NULL);
	cr_assert_null(r.title);
	parse_result_release(&r);
}

Test(parse, blank_title_gives_null)
{
	struct parse_result r;

	parse_ok(&r, "<title> \n\t </title>", NULL);
	cr_assert_null(r.title);
	parse_result_release(&r);
}

Test(parse, second_title_is_ignored)
{
	struct parse_result r;

	parse_ok(&r, "<title>First</title><body><title>Second</title>", NULL);
	assert_title(&r, "First");
	parse_result_release(&r);
}

Test(parse, long_title_is_cut_at_4_kib_on_a_character_boundary)
{
	struct parse_result r;
	/* "é" is two bytes: 4096 / 2 of them fit, so put an odd ASCII byte
	 * first to make the cap fall inside one. */
	size_t n = 5000, len = 0;
	char *html = malloc(16 + 2 * n + 16);

	cr_assert_not_null(html);
	len += (size_t)snprintf(html, 16, "<title>x");
	for (size_t i = 0; i < n; i++) {
		memcpy(html + len, "\xc3\xa9", 2);
		len += 2;
	}
	memcpy(html + len, "</title>", 9);
	parse_ok(&r, html, NULL);
	cr_assert_not_null(r.title);
	cr_assert_eq(strlen(r.title), 4095);
	cr_assert_eq(xmlCheckUTF8((const unsigned char *)r.title), 1);
	cr_assert_eq(strncmp(r.title, "x\xc3\xa9\xc3\xa9", 5), 0);
	parse_result_release(&r);
	free(html);
}

Test(parse, non_http_links_are_dropped)
{
	struct parse_result r;

	parse_ok(&r,
		 "<a href=\"mailto:me@example.com\">m</a>"
		 "<a href=\"javascript:void(0)\">j</a>"
		 "<a href=\"ftp://files.example/f\">f</a>"
		 "<a href=\"data:text/html,hi\">d</a>"
		 "<a href=\"tel:+123\">t</a><a href=kept>k</a>",
		 NULL);
	assert_links(&r, "http://example.com/dir/kept");
	parse_result_release(&r);
}

Test(parse, fragment_only_link_resolves_to_the_page)
{
	struct parse_result r;

	parse_ok(&r, "<a href=\"#top\">top</a>", NULL);
	assert_links(&r, PAGE);
	parse_result_release(&r);
}

Test(parse, latin1_charset_gives_a_utf8_title)
{
	struct parse_result r;

	parse_ok(&r, "<title>caf\xe9</title><a href=\"\xe9t\xe9\">x</a>",
		 "ISO-8859-1");
	assert_title(&r, "caf\xc3\xa9");
	assert_links(&r, "http://example.com/dir/%C3%A9t%C3%A9");
	parse_result_release(&r);
}

Test(parse, meta_charset_is_used_when_no_charset_is_given)
{
	struct parse_result r;

	parse_ok(&r, "<meta charset=\"ISO-8859-7\"><title>\xe1\xe2</title>",
		 NULL);
	assert_title(&r, "\xce\xb1\xce\xb2"); /* Greek alpha, beta */
	parse_result_release(&r);
}

Test(parse, given_charset_beats_meta_charset)
{
	struct parse_result r;

	parse_ok(&r, "<meta charset=\"ISO-8859-7\"><title>caf\xe9</title>",
		 "ISO-8859-1");
	assert_title(&r, "caf\xc3\xa9");
	parse_result_release(&r);
}

Test(parse, unknown_charset_is_ignored)
{
	struct parse_result r;

	parse_ok(&r, "<title>plain</title><a href=x>x</a>", "no-such-charset");
	assert_title(&r, "plain");
	assert_links(&r, "http://example.com/dir/x");
	parse_result_release(&r);
}

Test(parse, invalid_utf8_title_without_charset_is_still_utf8)
{
	struct parse_result r;

	parse_ok(&r, "<title>a\xff\xfe" "b\xc3</title><a href=x>x</a>", NULL);
	if (r.title)
		cr_assert_eq(xmlCheckUTF8((const unsigned char *)r.title), 1,
			     "title is not UTF-8");
	assert_links(&r, "http://example.com/dir/x");
	parse_result_release(&r);
}

/* A server that says UTF-8 and lies: each malformed byte (the maximal bad
 * subparts, as in the WHATWG decoder) becomes U+FFFD. */
Test(parse, invalid_utf8_title_under_utf8_charset_gets_replacements)
{
	struct parse_result r;

	parse_ok(&r, "<title>a\xff" "b\xc0\xaf" "c\xe2\x82" "d\xf0\x9f"
		     "</title>",
		 "UTF-8");
	assert_title(&r, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd"
			 "c\xef\xbf\xbd" "d\xef\xbf\xbd");
	parse_result_release(&r);
}

Test(parse, nul_bytes_do_not_hide_the_links_after_them)
{
	static const char html[] = "<title>a\0b</title><a href=one>1</a>\0"
				   "<a href=two>2</a>\0\0<a href=three>";
	struct parse_result r;

	cr_assert_eq(parse_html(html, sizeof(html) - 1, PAGE, NULL, &r),
		     PARSE_OK);
	cr_assert_not_null(r.title);
	cr_assert_eq(r.title[0], 'a');
	assert_links(&r, "http://example.com/dir/one",
		     "http://example.com/dir/two",
		     "http://example.com/dir/three");
	parse_result_release(&r);
}

Test(parse, only_len_bytes_of_the_body_are_read)
{
	static const char html[] = "<a href=one>1</a><a href=two>2</a>";
	struct parse_result r;

	cr_assert_eq(parse_html(html, strlen("<a href=one>1</a>"), PAGE, NULL,
				&r),
		     PARSE_OK);
	assert_links(&r, "http://example.com/dir/one");
	parse_result_release(&r);
}

Test(parse, very_long_href_is_skipped)
{
	static const char head[] = "<a href=\"http://example.com/";
	static const char tail[] = "\">x</a><a href=short>s</a>";
	size_t pad = 1 << 20, len = 0;
	char *html = malloc(sizeof(head) + pad + sizeof(tail));
	struct parse_result r;

	cr_assert_not_null(html);
	memcpy(html, head, sizeof(head) - 1);
	len += sizeof(head) - 1;
	memset(html + len, 'a', pad);
	len += pad;
	memcpy(html + len, tail, sizeof(tail));
	parse_ok(&r, html, NULL);
	assert_links(&r, "http://example.com/dir/short");
	parse_result_release(&r);
	free(html);
}

Test(parse, empty_body_gives_nothing)
{
	struct parse_result r;

	cr_assert_eq(parse_html("", 0, PAGE, NULL, &r), PARSE_OK);
	cr_assert_null(r.title);
	assert_no_links(&r);
	parse_result_release(&r);
}

Test(parse, ten_thousand_links_come_back_in_order)
{
	enum { N = 10000 };
	size_t size = N * 32, len = 0;
	char *html = malloc(size);
	char want[64];
	struct parse_result r;

	cr_assert_not_null(html);
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(html + len, size - len,
					"<a href=\"/p/%d\">%d</a>\n", i, i);
	parse_ok(&r, html, NULL);
	cr_assert_eq(r.nlinks, N);
	cr_assert_geq(r.cap, r.nlinks);
	for (int i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "http://example.com/p/%d", i);
		cr_assert_str_eq(r.links[i], want);
	}
	parse_result_release(&r);
	free(html);
}

Test(parse, release_of_a_zeroed_result_is_safe)
{
	struct parse_result r = { 0 };

	parse_result_release(&r);
	parse_result_release(&r);
	cr_assert_null(r.links);
}

Test(parse, release_leaves_an_empty_result)
{
	struct parse_result r;

	parse_ok(&r, "<title>t</title><a href=x>x</a>", NULL);
	parse_result_release(&r);
	cr_assert_null(r.title);
	cr_assert_null(r.links);
	cr_assert_eq(r.nlinks, 0);
	cr_assert_eq(r.cap, 0);
	parse_result_release(&r);
}

Test(parse, non_http_page_url_fails)
{
	struct parse_result r;

	cr_assert_eq(parse_html("<a href=x>", 10, "ftp://x/", NULL, &r),
		     PARSE_FAILED);
	assert_no_links(&r);
	parse_result_release(&r);
}

static void setup_quiet(void)
{
	parse_global_init();
	cr_redirect_stderr();
}

/* Bad bytes in a declared charset make libxml2 report a conversion error
 * with no parser context, which by default it prints to stderr. */
Test(parse, broken_pages_print_nothing, .init = setup_quiet)
{
	struct parse_result r;

	parse_ok(&r, "<title>\x82\xa0\xff\xff\xff</title>", "Shift_JIS");
	parse_result_release(&r);
	parse_ok(&r, "<<a href=x </p></b><!-- <? &bogus; \x80", NULL);
	parse_result_release(&r);
	fflush(stderr);
	cr_assert_stderr_eq_str("");
}

static void mark_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void mark_structured(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

Test(parse, callers_libxml2_error_handlers_are_restored)
{
	int gctx, sctx;
	struct parse_result r;

	xmlSetGenericErrorFunc(&gctx, mark_generic);
	xmlSetStructuredErrorFunc(&sctx, mark_structured);
	parse_ok(&r, "<title>\x82\xff</title>", "Shift_JIS");
	parse_result_release(&r);
	cr_assert(xmlGenericError == mark_generic);
	cr_assert(xmlGenericErrorContext == &gctx);
	cr_assert(xmlStructuredError == mark_structured);
	cr_assert(xmlStructuredErrorContext == &sctx);
}

#define THREADS 8
#define ROUNDS 200

static const char threads_html[] =
	"<title>Th\xe9 &amp; caf\xe9</title><base href=\"/b/\">"
	"<a href=one>1</a><iframe src=\"#f\"></iframe><a href=\"../two\">";

static void *parse_repeatedly(void *arg)
{
	struct parse_result r;
	int *failures = arg;

	for (int i = 0; i < ROUNDS; i++) {
		enum parse_status s = parse_html(threads_html,
						 sizeof(threads_html) - 1,
						 PAGE, "ISO-8859-1", &r);

		if (s != PARSE_OK || !r.title || r.nlinks != 3 ||
		    strcmp(r.title, "Th\xc3\xa9 & caf\xc3\xa9") ||
		    strcmp(r.links[0], "http://example.com/b/one") ||
		    strcmp(r.links[1], "http://example.com/b/") ||
		    strcmp(r.links[2], "http://example.com/two"))
			(*failures)++;
		parse_result_release(&r);
	}
	return NULL;
}

Test(parse, concurrent_parses_agree)
{
	pthread_t t[THREADS];
	int failures[THREADS] = { 0 };

	for (int i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, parse_repeatedly,
					    &failures[i]),
			     0);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(failures[i], 0, "thread %d: %d bad parses", i,
			     failures[i]);
	}
}
