/* css: the URLs of stylesheets, <style> and style="" (css_scan, as written)
 * and of a fetched stylesheet (css_parse, resolved). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "css.h"
#include "parse.h"

#define SHEET "http://example.com/css/site.css"
#define MAX_FOUND 16

struct found {
	char *urls[MAX_FOUND];
	size_t n;
	size_t stop_after; /* 0: never */
};

static enum css_status collect(void *arg, const char *url, size_t len)
{
	struct found *f = arg;

	cr_assert_eq(strlen(url), len, "a URL holds no NUL and len counts it");
	cr_assert_lt(f->n, MAX_FOUND);
	f->urls[f->n++] = strdup(url);
	return f->stop_after && f->n == f->stop_after ? CSS_NOMEM : CSS_OK;
}

static void scan(struct found *f, const char *css, size_t len)
{
	memset(f, 0, sizeof(*f));
	cr_assert_eq(css_scan(css, len, collect, f), CSS_OK);
}

static void check_urls(struct found *f, const char **want, size_t n)
{
	cr_expect_eq(f->n, n, "got %zu URLs, want %zu", f->n, n);
	for (size_t i = 0; i < n && i < f->n; i++)
		cr_expect_str_eq(f->urls[i], want[i], "URL %zu", i);
	for (size_t i = 0; i < f->n; i++)
		free(f->urls[i]);
}

/* The URLs of css (a C string), as written, in order. */
#define expect_urls(css, ...)                                             \
	do {                                                              \
		struct found f_;                                          \
		const char *want_[] = { __VA_ARGS__ };                    \
		scan(&f_, (css), strlen(css));                            \
		check_urls(&f_, want_ + 1, sizeof(want_) / sizeof(*want_) - 1); \
	} while (0)

/* expect_urls(css, NONE): no URL at all. */
#define NONE ""

Test(css, unquoted_url_is_found)
{
	expect_urls("body { background: url(img/bg.png) }", NONE, "img/bg.png");
}

Test(css, quoted_urls_are_found)
{
	expect_urls("a{b:url(\"d q.png\")} c{d:url('s.png')}", NONE, "d q.png", "s.png");
}

Test(css, white_space_around_a_url_is_not_part_of_it)
{
	expect_urls("a{b:url(  x.png\n\t)} c{d:url( \"y.png\" )}", NONE, "x.png", "y.png");
}

Test(css, url_is_matched_in_any_case)
{
	expect_urls("a{b:URL(u.png)} c{d:Url('v.png')}", NONE, "u.png", "v.png");
}

Test(css, import_string_and_import_url_are_found)
{
	expect_urls("@import \"a.css\";\n@import 'b.css' screen;\n@import url(c.css);\n"
		    "@IMPORT url(\"d.css\") print;",
		    NONE, "a.css", "b.css", "c.css", "d.css");
}

Test(css, image_set_strings_are_urls)
{
	expect_urls("a{b:image-set(\"a.png\" 1x, 'b.png' 2x)}", NONE, "a.png", "b.png");
}

Test(css, webkit_image_set_strings_and_urls_are_found_in_any_case)
{
	expect_urls("a{b:-webkit-image-set(url(a.png) 1x, \"b.png\" 2x)} "
		    "c{d:Image-Set(url('c.avif') type(\"image/avif\"), 'd.jpg')}",
		    NONE, "a.png", "b.png", "c.avif", "d.jpg");
}

Test(css, strings_nested_in_an_image_set_function_are_no_urls)
{
	expect_urls("a{b:image-set('a.png' type('image/png') 1x, \"b.png\" type(\"x\"))}",
		    NONE, "a.png", "b.png");
}

Test(css, strings_after_an_image_set_are_no_urls_again)
{
	expect_urls("a{b:image-set('a.png' 1x); content:'no.png'} c{d:url(e.png)}",
		    NONE, "a.png", "e.png");
}

Test(css, strings_of_another_function_named_like_image_set_are_no_urls)
{
	expect_urls("a{b:my-image-set('no.png'); c:image-sets('no2.png')}", NONE);
}

Test(css, image_set_cut_by_the_end_keeps_its_complete_strings)
{
	expect_urls("a{b:image-set('a.png' 1x, 'b.p", NONE, "a.png");
}

Test(css, deeply_nested_image_sets_cost_no_stack, .timeout = 10)
{
	size_t reps = 200000, n = reps * 10;
	char *css = malloc(n + 16);
	struct found f;

	cr_assert_not_null(css);
	for (size_t i = 0; i < reps; i++)
		memcpy(css + i * 10, "image-set(", 10);
	memcpy(css + n, "'a.png'", 7);
	scan(&f, css, n + 7);
	check_urls(&f, NULL, 0);
	free(css);
}

Test(css, charset_rule_is_skipped_and_what_follows_is_read)
{
	expect_urls("@charset \"UTF-8\";\n@import \"a.css\";\nb{c:url(d.png)}",
		    NONE, "a.css", "d.png");
}

Test(css, font_face_sources_are_all_found)
{
	expect_urls("@font-face{font-family:F;src:url(f.eot?#iefix) format('eot'),"
		    "url(f.woff2) format('woff2'),url(\"f.woff\") format(\"woff\")}",
		    NONE, "f.eot?#iefix", "f.woff2", "f.woff");
}

Test(css, urls_in_comments_are_not_found)
{
	expect_urls("/* url(no.png) */ a{b:url(yes.png)} /* @import 'no.css'; */",
		    NONE, "yes.png");
}

Test(css, urls_in_strings_are_not_found)
{
	expect_urls("a{content:\"url(no.png)\"} b{content:'@import \"x\"'}", NONE);
}

Test(css, url_inside_another_function_name_is_not_url)
{
	expect_urls("a{b:myurl(no.png); c:x-url(no2.png); d:url(yes.png)}", NONE, "yes.png");
}

Test(css, empty_url_is_no_link)
{
	expect_urls("a{b:url()} c{d:url('')} e{f:url(   )}", NONE);
}

Test(css, hex_escapes_are_decoded)
{
	/* \41 is "A"; one white space after a hex escape is part of it;
	 * \e9 is U+00E9; \1F600 is an emoji, four bytes of UTF-8. */
	expect_urls("a{b:url(\\41 b.png)} c{d:url('\\e9t\\1F600.png')}",
		    NONE, "Ab.png", "\xc3\xa9t\xf0\x9f\x98\x80.png");
}

Test(css, escaped_characters_stand_for_themselves)
{
	expect_urls("a{b:url(a\\)b\\ c.png)} c{d:url(\"q\\\"r.png\")}",
		    NONE, "a)b c.png", "q\"r.png");
}

Test(css, zero_surrogate_and_huge_escapes_become_replacement_characters)
{
	expect_urls("a{b:url(x\\0 y\\D800z\\110000.png)}", NONE,
		    "x\xef\xbf\xbdy\xef\xbf\xbdz\xef\xbf\xbd.png");
}

Test(css, escaped_newline_continues_a_string)
{
	expect_urls("a{b:url('long\\\nname.png')}", NONE, "longname.png");
}

Test(css, newline_in_a_string_is_a_bad_string_and_no_url)
{
	/* As in a browser: what follows on the line is read on as CSS. */
	expect_urls("a{b:url('bro\nken.png)} c{d:url(ok.png)}", NONE, "ok.png");
}

Test(css, bad_unquoted_urls_are_skipped_to_their_close)
{
	expect_urls("a{b:url(a b.png)} c{d:url(q\"x.png)} e{f:url(p(x).png)} "
		    "g{h:url(esc\\) still bad.png)} i{j:url(ok.png)}",
		    NONE, "ok.png");
}

Test(css, unterminated_url_at_the_end_is_no_url)
{
	expect_urls("a{b:url(first.png)} c{d:url(cut.pn", NONE, "first.png");
	expect_urls("a{b:url('cut.pn", NONE);
	expect_urls("a{b:url(   ", NONE);
	expect_urls("a{b:url(x.png\\", NONE);
	expect_urls("@import \"cut", NONE);
	expect_urls("/* never closed url(x.png)", NONE);
}

Test(css, escaped_quote_outside_a_string_starts_no_string)
{
	expect_urls("a{b:\\\"} c{d:url(yes.png)}", NONE, "yes.png");
}

Test(css, nul_bytes_are_no_url_and_do_not_end_the_scan)
{
	static const char css[] = "a{b:url(x\0y.png)} c{d:url('p\0q')} e{f:url(z.png)}";
	struct found f;

	scan(&f, css, sizeof(css) - 1);
	check_urls(&f, (const char *[]){ "p\xef\xbf\xbdq", "z.png" }, 2);
}

Test(css, escaped_nul_bytes_become_replacement_characters)
{
	static const char css[] = "a{b:url(\"q\\\0r\")} c{d:url(s\\\0t)}";
	struct found f;

	scan(&f, css, sizeof(css) - 1);
	check_urls(&f, (const char *[]){ "q\xef\xbf\xbdr", "s\xef\xbf\xbdt" }, 2);
}

Test(css, input_need_not_be_nul_terminated)
{
	static const char css[] = "a{b:url(x.png)}url(y.png)";
	struct found f;

	scan(&f, css, strlen("a{b:url(x.png)}url(y.p"));
	check_urls(&f, (const char *[]){ "x.png" }, 1);
}

Test(css, empty_input_may_be_null)
{
	struct found f = { 0 };

	cr_assert_eq(css_scan(NULL, 0, collect, &f), CSS_OK);
	cr_expect_eq(f.n, 0);
}

Test(css, callback_status_stops_the_scan)
{
	struct found f = { .stop_after = 1 };

	cr_assert_eq(css_scan("url(a) url(b)", 13, collect, &f), CSS_NOMEM);
	check_urls(&f, (const char *[]){ "a" }, 1);
}

static enum css_status count(void *arg, const char *url, size_t len)
{
	(void)url;
	(void)len;
	++*(size_t *)arg;
	return CSS_OK;
}

/* Many openings, each of which a naive scanner would read to the end of
 * the input again: quadratic, minutes for a few MiB. */
static void expect_linear(const char *unit, size_t times)
{
	size_t n = strlen(unit), len = n * times, urls = 0;
	char *css = malloc(len);

	cr_assert_not_null(css);
	for (size_t i = 0; i < times; i++)
		memcpy(css + i * n, unit, n);
	cr_assert_eq(css_scan(css, len, count, &urls), CSS_OK);
	free(css);
}

Test(css, hostile_repetitions_cost_linear_time, .timeout = 10)
{
	expect_linear("url(", 1 << 20);
	expect_linear("url('", 1 << 20);
	expect_linear("/*", 1 << 20);
	expect_linear("@import '", 1 << 18);
	expect_linear("\\", 1 << 22);
	expect_linear("url(\\", 1 << 20);
}

Test(css, url_longer_than_url_max_len_is_dropped, .timeout = 10)
{
	size_t len = 9 * 1000 * 1000;
	char *css = malloc(len + 32);
	struct found f;
	size_t n;

	cr_assert_not_null(css);
	memcpy(css, "a{b:url(", 8);
	memset(css + 8, 'x', len);
	n = 8 + len;
	memcpy(css + n, ")} c{d:url(ok.png)}", 19);
	scan(&f, css, n + 19);
	check_urls(&f, (const char *[]){ "ok.png" }, 1);
	free(css);
}

Test(css, parse_resolves_against_the_stylesheet_url)
{
	static const char css[] = "@import 'print.css';"
				  "@font-face{src:url(../fonts/f.woff2)}"
				  "a{b:url(/img/a.png)} c{d:url(//cdn.example.net/c.png)}"
				  "e{f:url(data:image/png;base64,AAAA)} g{h:url(#frag)}";
	struct parse_result r;

	cr_assert_eq(css_parse(css, sizeof(css) - 1, SHEET, &r), CSS_OK);
	cr_assert_eq(r.nlinks, 5, "got %zu links", r.nlinks);
	cr_expect_str_eq(r.links[0], "http://example.com/css/print.css");
	cr_expect_str_eq(r.links[1], "http://example.com/fonts/f.woff2");
	cr_expect_str_eq(r.links[2], "http://example.com/img/a.png");
	cr_expect_str_eq(r.links[3], "http://cdn.example.net/c.png");
	cr_expect_str_eq(r.links[4], "http://example.com/css/site.css");
	for (size_t i = 0; i < r.nlinks; i++)
		cr_expect_eq(r.flags[i], PARSE_LINK_RESOURCE | PARSE_LINK_CSS);
	parse_result_release(&r);
}

Test(css, parse_skips_a_utf8_byte_order_mark)
{
	static const char css[] = "\xEF\xBB\xBFurl(a.png) b{c:url(b.png)}";
	struct parse_result r;

	cr_assert_eq(css_parse(css, sizeof(css) - 1, SHEET, &r), CSS_OK);
	cr_assert_eq(r.nlinks, 2, "got %zu links", r.nlinks);
	cr_expect_str_eq(r.links[0], "http://example.com/css/a.png");
	cr_expect_str_eq(r.links[1], "http://example.com/css/b.png");
	parse_result_release(&r);
}

Test(css, parse_reads_a_sheet_opening_with_a_bom_and_charset)
{
	static const char css[] = "\xEF\xBB\xBF@charset \"utf-8\";@import 'a.css';"
				  "p{q:image-set('\xC3\xA9.png' 1x)}";
	struct parse_result r;

	cr_assert_eq(css_parse(css, sizeof(css) - 1, SHEET, &r), CSS_OK);
	cr_assert_eq(r.nlinks, 2, "got %zu links", r.nlinks);
	cr_expect_str_eq(r.links[0], "http://example.com/css/a.css");
	cr_expect_str_eq(r.links[1], "http://example.com/css/%C3%A9.png");
	parse_result_release(&r);
}

Test(css, parse_of_a_sheet_with_no_urls_gives_none)
{
	struct parse_result r;

	cr_assert_eq(css_parse("a{color:red}", 12, SHEET, &r), CSS_OK);
	cr_expect_eq(r.nlinks, 0);
	cr_expect_null(r.title);
	parse_result_release(&r);
	cr_assert_eq(css_parse("", 0, SHEET, &r), CSS_OK);
	parse_result_release(&r);
}

Test(css, parse_refuses_a_sheet_url_that_is_not_http)
{
	struct parse_result r;

	cr_expect_eq(css_parse("a{b:url(x)}", 11, "ftp://example.com/a.css", &r),
		     CSS_FAILED);
	cr_expect_eq(r.nlinks, 0);
	parse_result_release(&r);
}
