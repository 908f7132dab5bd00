/* parse_test: what parse_html finds in a page (links, in order and
 * resolved, with their flags; the title; the robots <meta>), how it copes
 * with pages that are broken, hostile or in another charset, and which
 * bodies parse_looks_binary turns away. The HTML is inline in each test. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <pthread.h>
#include <stdint.h>
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

static void check_flags(const struct parse_result *r,
			const unsigned char *want, size_t n)
{
	cr_assert_eq(r->nlinks, n, "got %zu links, want %zu", r->nlinks, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(r->flags[i], want[i], "link %zu (%s): flags %d, want %d",
			     i, r->links[i], r->flags[i], want[i]);
}

/* The flags of every link, in order. */
#define assert_flags(r, ...)                                              \
	check_flags((r), (const unsigned char[]){ __VA_ARGS__ },          \
		    sizeof((const unsigned char[]){ __VA_ARGS__ }))

#define NOFOLLOW PARSE_LINK_NOFOLLOW
#define RESOURCE PARSE_LINK_RESOURCE

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
		 "<img href=i.png><link href=s.css><script href=j.js></script>"
		 "<a src=s.html>x</a><iframe href=h.html></iframe>"
		 "<video href=v.mp4></video><div src=d.html></div>",
		 NULL);
	assert_no_links(&r);
	parse_result_release(&r);
}

Test(parse, page_links_have_no_flags)
{
	struct parse_result r;

	parse_ok(&r,
		 "<a href=a>a</a><map><area href=b></map><iframe src=c></iframe>"
		 "<frameset><frame src=d></frameset>",
		 NULL);
	assert_flags(&r, 0, 0, 0, 0);
	parse_result_release(&r);
}

Test(parse, rel_nofollow_flags_the_link_in_any_case_among_other_tokens)
{
	struct parse_result r;

	parse_ok(&r,
		 "<a rel=\"external NoFollow\" href=a>a</a>"
		 "<a rel=\"noopener\tnoreferrer\" href=b>b</a>"
		 "<a rel=\"nofollowed nofollow-me\" href=c>c</a>"
		 "<area rel=NOFOLLOW href=d>",
		 NULL);
	assert_links(&r, "http://example.com/dir/a", "http://example.com/dir/b",
		     "http://example.com/dir/c", "http://example.com/dir/d");
	assert_flags(&r, NOFOLLOW, 0, 0, NOFOLLOW);
	parse_result_release(&r);
}

Test(parse, img_src_is_a_resource)
{
	struct parse_result r;

	parse_ok(&r, "<img src=\"/img/logo.png\" alt=logo>", NULL);
	assert_links(&r, "http://example.com/img/logo.png");
	assert_flags(&r, RESOURCE);
	parse_result_release(&r);
}

Test(parse, every_img_srcset_candidate_is_a_resource)
{
	struct parse_result r;

	parse_ok(&r, "<img srcset=\"a.png 1x, /b.png 2x\">", NULL);
	assert_links(&r, "http://example.com/dir/a.png",
		     "http://example.com/b.png");
	assert_flags(&r, RESOURCE, RESOURCE);
	parse_result_release(&r);
}

/* HTML's srcset parsing: a URL runs to white space, so an inner comma is
 * part of it; trailing commas end a candidate with no descriptor. */
Test(parse, srcset_candidates_without_descriptors_are_split_at_commas)
{
	struct parse_result r;

	parse_ok(&r,
		 "<img srcset=\" a.png,b.png, c.png?w=1,2 100w,"
		 "d.png (x, y) 2x ,e.png,,\">",
		 NULL);
	assert_links(&r, "http://example.com/dir/a.png,b.png",
		     "http://example.com/dir/c.png?w=1,2",
		     "http://example.com/dir/d.png",
		     "http://example.com/dir/e.png");
	assert_flags(&r, RESOURCE, RESOURCE, RESOURCE, RESOURCE);
	parse_result_release(&r);
}

Test(parse, img_src_comes_before_its_srcset)
{
	struct parse_result r;

	parse_ok(&r, "<img srcset=\"big.png 2x\" src=small.png>", NULL);
	assert_links(&r, "http://example.com/dir/small.png",
		     "http://example.com/dir/big.png");
	parse_result_release(&r);
}

Test(parse, source_srcset_is_a_resource)
{
	struct parse_result r;

	parse_ok(&r,
		 "<picture><source srcset=\"w.webp 1x, w2.webp 2x\" "
		 "type=image/webp><img src=f.jpg></picture>",
		 NULL);
	assert_links(&r, "http://example.com/dir/w.webp",
		     "http://example.com/dir/w2.webp",
		     "http://example.com/dir/f.jpg");
	assert_flags(&r, RESOURCE, RESOURCE, RESOURCE);
	parse_result_release(&r);
}

Test(parse, script_src_is_a_resource)
{
	struct parse_result r;

	parse_ok(&r, "<head><script src=\"/js/app.js\" defer></script>", NULL);
	assert_links(&r, "http://example.com/js/app.js");
	assert_flags(&r, RESOURCE);
	parse_result_release(&r);
}

Test(parse, link_stylesheet_is_a_resource)
{
	struct parse_result r;

	parse_ok(&r,
		 "<link rel=stylesheet href=a.css>"
		 "<link rel=\"alternate StyleSheet\" href=b.css>",
		 NULL);
	assert_links(&r, "http://example.com/dir/a.css",
		     "http://example.com/dir/b.css");
	assert_flags(&r, RESOURCE, RESOURCE);
	parse_result_release(&r);
}

Test(parse, link_icon_is_a_resource)
{
	struct parse_result r;

	parse_ok(&r,
		 "<link rel=icon href=/favicon.png>"
		 "<link rel=\"shortcut icon\" href=/favicon.ico>",
		 NULL);
	assert_links(&r, "http://example.com/favicon.png",
		     "http://example.com/favicon.ico");
	assert_flags(&r, RESOURCE, RESOURCE);
	parse_result_release(&r);
}

Test(parse, link_rel_canonical_alternate_next_prev_search_are_pages)
{
	struct parse_result r;

	parse_ok(&r,
		 "<link rel=canonical href=/c><link rel=alternate hreflang=fr href=/fr/>"
		 "<link rel=next href=p3><link rel=PREV href=p1>"
		 "<link rel=search type=application/opensearchdescription+xml href=/os.xml>",
		 NULL);
	assert_links(&r, "http://example.com/c", "http://example.com/fr/",
		     "http://example.com/dir/p3", "http://example.com/dir/p1",
		     "http://example.com/os.xml");
	assert_flags(&r, 0, 0, 0, 0, 0);
	parse_result_release(&r);
}

Test(parse, link_rel_preload_and_touch_icons_are_resources)
{
	struct parse_result r;

	parse_ok(&r,
		 "<link rel=preload href=p.js as=script><link rel=modulepreload href=m.js>"
		 "<link rel=prefetch href=f.png><link rel=apple-touch-icon href=t.png>"
		 "<link rel=manifest href=/app.webmanifest>",
		 NULL);
	assert_links(&r, "http://example.com/dir/p.js", "http://example.com/dir/m.js",
		     "http://example.com/dir/f.png", "http://example.com/dir/t.png",
		     "http://example.com/app.webmanifest");
	assert_flags(&r, RESOURCE, RESOURCE, RESOURCE, RESOURCE, RESOURCE);
	parse_result_release(&r);
}

Test(parse, link_with_another_rel_or_none_is_not_extracted)
{
	struct parse_result r;

	parse_ok(&r,
		 "<link rel=dns-prefetch href=//cdn.example.com/>"
		 "<link rel=preconnect href=https://fonts.example.com>"
		 "<link rel=author href=/me><link href=none.css>",
		 NULL);
	assert_no_links(&r);
	parse_result_release(&r);
}

Test(parse, link_rel_nofollow_page_keeps_its_nofollow)
{
	struct parse_result r;

	parse_ok(&r, "<link rel=\"next nofollow\" href=p2>", NULL);
	assert_links(&r, "http://example.com/dir/p2");
	assert_flags(&r, NOFOLLOW);
	parse_result_release(&r);
}

Test(parse, track_embed_and_object_are_resources)
{
	struct parse_result r;

	parse_ok(&r,
		 "<video src=v.mp4><track kind=subtitles src=v.vtt></video>"
		 "<embed src=/e.swf type=application/x-shockwave-flash>"
		 "<object data=o.svg type=image/svg+xml></object>",
		 NULL);
	assert_links(&r, "http://example.com/dir/v.mp4", "http://example.com/dir/v.vtt",
		     "http://example.com/e.swf", "http://example.com/dir/o.svg");
	assert_flags(&r, RESOURCE, RESOURCE, RESOURCE, RESOURCE);
	parse_result_release(&r);
}

Test(parse, iframe_src_and_area_href_are_pages)
{
	struct parse_result r;

	parse_ok(&r,
		 "<iframe src=/frame.html></iframe>"
		 "<map name=m><area shape=rect coords=0,0,1,1 href=zone.html></map>",
		 NULL);
	assert_links(&r, "http://example.com/frame.html",
		     "http://example.com/dir/zone.html");
	assert_flags(&r, 0, 0);
	parse_result_release(&r);
}

Test(parse, svg_image_href_and_xlink_href_are_resources)
{
	struct parse_result r;

	parse_ok(&r,
		 "<svg><image href=a.png width=9 /><image xlink:href=\"/b.png\"/>"
		 "<image href=c.png xlink:href=no.png /></svg>",
		 NULL);
	assert_links(&r, "http://example.com/dir/a.png", "http://example.com/b.png",
		     "http://example.com/dir/c.png");
	assert_flags(&r, RESOURCE, RESOURCE, RESOURCE);
	parse_result_release(&r);
}

Test(parse, svg_use_of_another_file_is_a_resource_and_of_the_page_is_none)
{
	struct parse_result r;

	parse_ok(&r,
		 "<svg><use href=\"icons.svg#home\"/><use xlink:href=/s.svg#x />"
		 "<use href=\"#local\"/><use xlink:href=\" #also-local\"/></svg>",
		 NULL);
	assert_links(&r, "http://example.com/dir/icons.svg", "http://example.com/s.svg");
	assert_flags(&r, RESOURCE, RESOURCE);
	parse_result_release(&r);
}

Test(parse, svg_a_xlink_href_is_a_page_link)
{
	struct parse_result r;

	parse_ok(&r, "<svg><a xlink:href=p.html><text>p</text></a></svg>", NULL);
	assert_links(&r, "http://example.com/dir/p.html");
	assert_flags(&r, 0);
	parse_result_release(&r);
}

Test(parse, input_type_image_src_is_a_resource_and_other_inputs_give_none)
{
	struct parse_result r;

	parse_ok(&r,
		 "<form><input type=IMAGE src=go.png alt=go>"
		 "<input type=text src=no.png><input src=no2.png></form>",
		 NULL);
	assert_links(&r, "http://example.com/dir/go.png");
	assert_flags(&r, RESOURCE);
	parse_result_release(&r);
}

Test(parse, link_preload_imagesrcset_candidates_are_resources)
{
	struct parse_result r;

	parse_ok(&r,
		 "<link rel=preload as=image href=h.png "
		 "imagesrcset=\"s1.png 1x, /s2.png 2x\" imagesizes=50vw>"
		 "<link rel=preload as=font href=f.woff2 imagesrcset=no.png>"
		 "<link rel=icon href=i.png imagesrcset=no2.png>",
		 NULL);
	assert_links(&r, "http://example.com/dir/h.png", "http://example.com/dir/s1.png",
		     "http://example.com/s2.png", "http://example.com/dir/f.woff2",
		     "http://example.com/dir/i.png");
	assert_flags(&r, RESOURCE, RESOURCE, RESOURCE, RESOURCE, RESOURCE);
	parse_result_release(&r);
}

Test(parse, background_of_body_and_table_cells_is_a_resource)
{
	struct parse_result r;

	parse_ok(&r,
		 "<body background=bg.png><table background=t.png><tbody background=b.png>"
		 "<tr background=r.png><th background=h.png>h</th>"
		 "<td background=d.png style=\"background:url(s.png)\">d</td></tr>"
		 "</tbody></table><div background=no.png>x</div><p background=no2.png>",
		 NULL);
	assert_links(&r, "http://example.com/dir/bg.png", "http://example.com/dir/t.png",
		     "http://example.com/dir/b.png", "http://example.com/dir/r.png",
		     "http://example.com/dir/h.png", "http://example.com/dir/s.png",
		     "http://example.com/dir/d.png");
	assert_flags(&r, RESOURCE, RESOURCE, RESOURCE, RESOURCE, RESOURCE,
		     RESOURCE | PARSE_LINK_CSS, RESOURCE);
	parse_result_release(&r);
}

Test(parse, cite_form_action_and_formaction_are_not_followed)
{
	struct parse_result r;

	parse_ok(&r,
		 "<blockquote cite=/src1>q</blockquote><q cite=src2>q</q>"
		 "<ins cite=src3>i</ins><del cite=src4>d</del>"
		 "<form action=/search method=get><input name=q>"
		 "<button formaction=/other>go</button></form>",
		 NULL);
	assert_no_links(&r);
	parse_result_release(&r);
}

#define CSS_RESOURCE (PARSE_LINK_RESOURCE | PARSE_LINK_CSS)

Test(parse, style_element_urls_and_imports_are_css_resources)
{
	struct parse_result r;

	parse_ok(&r,
		 "<head><style>@import \"base.css\";\n"
		 "@font-face { src: url(/f/a.woff2) format('woff2') }\n"
		 "body { background: url( 'bg.png' ) }</style></head>"
		 "<a href=x.html>x</a>",
		 NULL);
	assert_links(&r, "http://example.com/dir/base.css",
		     "http://example.com/f/a.woff2", "http://example.com/dir/bg.png",
		     "http://example.com/dir/x.html");
	assert_flags(&r, CSS_RESOURCE, CSS_RESOURCE, CSS_RESOURCE, 0);
	parse_result_release(&r);
}

Test(parse, style_attribute_urls_are_css_resources)
{
	struct parse_result r;

	parse_ok(&r,
		 "<div style=\"background-image: url(&quot;d.png&quot;)\">"
		 "<p style='mask: url(m.svg#x)'>t</p></div>",
		 NULL);
	assert_links(&r, "http://example.com/dir/d.png",
		     "http://example.com/dir/m.svg");
	assert_flags(&r, CSS_RESOURCE, CSS_RESOURCE);
	parse_result_release(&r);
}

Test(parse, style_urls_resolve_against_base_href)
{
	struct parse_result r;

	parse_ok(&r,
		 "<base href=http://cdn.example.net/s/>"
		 "<style>i { background: url(i.png) }</style>",
		 NULL);
	assert_links(&r, "http://cdn.example.net/s/i.png");
	parse_result_release(&r);
}

Test(parse, style_in_a_template_is_inert)
{
	struct parse_result r;

	parse_ok(&r,
		 "<template><style>b { background: url(t.png) }</style>"
		 "<b style=\"background: url(u.png)\"></b></template>",
		 NULL);
	assert_no_links(&r);
	parse_result_release(&r);
}

Test(parse, empty_style_element_and_attribute_give_nothing)
{
	struct parse_result r;

	parse_ok(&r, "<style></style><p style=\"\">x</p><style>", NULL);
	assert_no_links(&r);
	parse_result_release(&r);
}

Test(parse, page_cut_inside_a_style_keeps_its_complete_urls)
{
	struct parse_result r;

	parse_ok(&r, "<style>a { background: url(a.png) } b { background: url(b.p", NULL);
	assert_links(&r, "http://example.com/dir/a.png");
	parse_result_release(&r);
}

Test(parse, long_style_is_read_in_full_across_chunks)
{
	struct parse_result r;
	size_t pad = 100000;
	static const char head[] = "<style>", tail[] = "a{background:url(far.png)}</style>";
	char *html = malloc(sizeof(head) - 1 + pad + sizeof(tail));

	cr_assert_not_null(html);
	memcpy(html, head, sizeof(head) - 1);
	memset(html + sizeof(head) - 1, ' ', pad);
	memcpy(html + sizeof(head) - 1 + pad, tail, sizeof(tail));
	parse_ok(&r, html, NULL);
	assert_links(&r, "http://example.com/dir/far.png");
	parse_result_release(&r);
	free(html);
}

Test(parse, srcset_url_may_hold_commas_not_at_a_candidate_boundary)
{
	struct parse_result r;

	parse_ok(&r,
		 "<img srcset=\"/i/a,b.png 1x, /i/c.png 2x,/i/d.png 100w\">"
		 "<picture><source srcset=\"s1.webp,s2.webp 2x\"></picture>",
		 NULL);
	assert_links(&r, "http://example.com/i/a,b.png", "http://example.com/i/c.png",
		     "http://example.com/i/d.png", "http://example.com/dir/s1.webp,s2.webp");
	assert_flags(&r, RESOURCE, RESOURCE, RESOURCE, RESOURCE);
	parse_result_release(&r);
}

Test(parse, video_src_is_a_resource)
{
	struct parse_result r;

	parse_ok(&r, "<video src=\"/v/clip.mp4\" controls></video>", NULL);
	assert_links(&r, "http://example.com/v/clip.mp4");
	assert_flags(&r, RESOURCE);
	parse_result_release(&r);
}

Test(parse, video_poster_is_a_resource)
{
	struct parse_result r;

	parse_ok(&r, "<video poster=still.jpg src=clip.mp4></video>", NULL);
	assert_links(&r, "http://example.com/dir/clip.mp4",
		     "http://example.com/dir/still.jpg");
	assert_flags(&r, RESOURCE, RESOURCE);
	parse_result_release(&r);
}

Test(parse, audio_src_is_a_resource)
{
	struct parse_result r;

	parse_ok(&r, "<p><audio src=song.ogg></audio>", NULL);
	assert_links(&r, "http://example.com/dir/song.ogg");
	assert_flags(&r, RESOURCE);
	parse_result_release(&r);
}

Test(parse, source_src_in_video_or_audio_is_a_resource)
{
	struct parse_result r;

	parse_ok(&r,
		 "<video><source src=v.webm type=video/webm>"
		 "<source src=v.mp4></video>"
		 "<audio><source src=a.ogg></audio>",
		 NULL);
	assert_links(&r, "http://example.com/dir/v.webm",
		     "http://example.com/dir/v.mp4",
		     "http://example.com/dir/a.ogg");
	assert_flags(&r, RESOURCE, RESOURCE, RESOURCE);
	parse_result_release(&r);
}

Test(parse, source_src_outside_video_and_audio_is_not_a_link)
{
	struct parse_result r;

	parse_ok(&r,
		 "<video></video><source src=stray.mp4>"
		 "<picture><source src=p.png></picture>",
		 NULL);
	assert_no_links(&r);
	parse_result_release(&r);
}

Test(parse, resources_and_pages_keep_document_order_with_their_flags)
{
	struct parse_result r;

	parse_ok(&r,
		 "<head><link rel=stylesheet href=s.css>"
		 "<meta http-equiv=refresh content=\"30; url=next\">"
		 "<script src=j.js></script></head>"
		 "<body><a href=p1>1</a><img src=i.png srcset=\"i2.png 2x\">"
		 "<a rel=nofollow href=p2>2</a><iframe src=f></iframe>"
		 "<video poster=v.jpg></video><a href=p3>3</a>",
		 NULL);
	assert_links(&r, "http://example.com/dir/s.css",
		     "http://example.com/dir/next",
		     "http://example.com/dir/j.js",
		     "http://example.com/dir/p1",
		     "http://example.com/dir/i.png",
		     "http://example.com/dir/i2.png",
		     "http://example.com/dir/p2", "http://example.com/dir/f",
		     "http://example.com/dir/v.jpg",
		     "http://example.com/dir/p3");
	assert_flags(&r, RESOURCE, 0, RESOURCE, 0, RESOURCE, RESOURCE,
		     NOFOLLOW, 0, RESOURCE, 0);
	parse_result_release(&r);
}

Test(parse, page_without_robots_meta_may_be_indexed_and_followed)
{
	struct parse_result r;

	parse_ok(&r, "<meta name=description content=\"noindex, nofollow\">",
		 NULL);
	cr_assert_not(r.nofollow);
	cr_assert_not(r.noindex);
	parse_result_release(&r);
}

Test(parse, meta_robots_nofollow_sets_nofollow)
{
	struct parse_result r;

	parse_ok(&r, "<meta name=robots content=nofollow><a href=x>x</a>", NULL);
	cr_assert(r.nofollow);
	cr_assert_not(r.noindex);
	assert_flags(&r, 0);
	parse_result_release(&r);
}

Test(parse, meta_robots_noindex_sets_noindex)
{
	struct parse_result r;

	parse_ok(&r, "<meta name=robots content=\"noindex\">", NULL);
	cr_assert(r.noindex);
	cr_assert_not(r.nofollow);
	parse_result_release(&r);
}

Test(parse, meta_robots_none_sets_nofollow_and_noindex)
{
	struct parse_result r;

	parse_ok(&r, "<meta name=robots content=none>", NULL);
	cr_assert(r.nofollow);
	cr_assert(r.noindex);
	parse_result_release(&r);
}

Test(parse, meta_robots_tokens_are_trimmed_and_case_insensitive)
{
	struct parse_result r;

	parse_ok(&r, "<META NAME=Robots CONTENT=\" NOINDEX,\tNoFollow \">",
		 NULL);
	cr_assert(r.nofollow);
	cr_assert(r.noindex);
	parse_result_release(&r);
}

Test(parse, meta_robots_token_must_match_whole)
{
	struct parse_result r;

	parse_ok(&r, "<meta name=robots content=\"index follow, nofollowing\">",
		 NULL);
	cr_assert_not(r.nofollow);
	cr_assert_not(r.noindex);
	parse_result_release(&r);
}

Test(parse, meta_for_one_crawler_is_ignored)
{
	struct parse_result r;

	parse_ok(&r,
		 "<meta name=googlebot content=none>"
		 "<meta name=crawler content=\"noindex, nofollow\">",
		 NULL);
	cr_assert_not(r.nofollow);
	cr_assert_not(r.noindex);
	parse_result_release(&r);
}

Test(parse, meta_refresh_url_is_a_page_link)
{
	struct parse_result r;

	parse_ok(&r, "<meta http-equiv=refresh content=\"5; url=next.html\">",
		 NULL);
	assert_links(&r, "http://example.com/dir/next.html");
	assert_flags(&r, 0);
	parse_result_release(&r);
}

Test(parse, meta_refresh_quoted_url_ends_at_its_quote)
{
	struct parse_result r;

	parse_ok(&r,
		 "<meta http-equiv=refresh content=\"0;URL='/q1' junk\">"
		 "<meta http-equiv=refresh content='0; url=\"/q2\"'>",
		 NULL);
	assert_links(&r, "http://example.com/q1", "http://example.com/q2");
	parse_result_release(&r);
}

Test(parse, meta_refresh_keyword_and_label_ignore_case)
{
	struct parse_result r;

	parse_ok(&r,
		 "<META HTTP-EQUIV=\"Refresh\" CONTENT=\"1;Url=/u1\">"
		 "<meta http-equiv=REFRESH content=\"1;uRL=/u2\">",
		 NULL);
	assert_links(&r, "http://example.com/u1", "http://example.com/u2");
	parse_result_release(&r);
}

Test(parse, meta_refresh_allows_a_comma_and_spaces)
{
	struct parse_result r;

	parse_ok(&r,
		 "<meta http-equiv=refresh content=\"3, url=/c\">"
		 "<meta http-equiv=refresh content=\"  3 ;  URL =  /s  \">"
		 "<meta http-equiv=refresh content=\"2.5 url=/d\">",
		 NULL);
	assert_links(&r, "http://example.com/c", "http://example.com/s",
		     "http://example.com/d");
	parse_result_release(&r);
}

/* HTML's refresh steps take whatever follows the delay as the URL when
 * it does not start with "url=". */
Test(parse, meta_refresh_url_without_its_label_is_a_link)
{
	struct parse_result r;

	parse_ok(&r,
		 "<meta http-equiv=refresh content=\"0; /bare\">"
		 "<meta http-equiv=refresh content=\"0; urn.html\">"
		 "<meta http-equiv=refresh content=\"0; url.html\">",
		 NULL);
	assert_links(&r, "http://example.com/bare",
		     "http://example.com/dir/urn.html",
		     "http://example.com/dir/url.html");
	parse_result_release(&r);
}

Test(parse, meta_refresh_without_a_url_is_not_a_link)
{
	struct parse_result r;

	parse_ok(&r,
		 "<meta http-equiv=refresh content=30>"
		 "<meta http-equiv=refresh content=\"30; \">"
		 "<meta http-equiv=refresh content=\"5; url=\">"
		 "<meta http-equiv=refresh content=\"5; url=''\">"
		 "<meta http-equiv=refresh content=\"soon; url=/x\">"
		 "<meta http-equiv=refresh content=\"5x; url=/y\">"
		 "<meta http-equiv=refresh>"
		 "<meta name=refresh content=\"0; url=/z\">",
		 NULL);
	assert_no_links(&r);
	parse_result_release(&r);
}

/* HTML parses a template's contents into a document of their own. */
Test(parse, template_contents_are_ignored)
{
	struct parse_result r;

	parse_ok(&r,
		 "<head><template><title>Not this</title>"
		 "<base href=\"http://elsewhere.example/\">"
		 "<meta name=robots content=none></template>"
		 "<title>This</title></head>"
		 "<body><template><a href=t1>t</a><img src=t2>"
		 "<div><template><a href=t3>t</a></template>"
		 "<iframe src=t4></iframe></div>"
		 "<meta http-equiv=refresh content=\"0; url=t5\">"
		 "</template><a href=kept>k</a>",
		 NULL);
	assert_title(&r, "This");
	cr_assert_not(r.noindex);
	assert_links(&r, "http://example.com/dir/kept");
	parse_result_release(&r);
}

Test(parse, link_after_a_template_is_kept)
{
	struct parse_result r;

	parse_ok(&r,
		 "<ul><template><li><a href=row>r</a></li></template>"
		 "<li><a href=real>x</a></li></ul>"
		 "<video><template><source src=no.mp4></template></video>"
		 "<img src=after.png>",
		 NULL);
	assert_links(&r, "http://example.com/dir/real",
		     "http://example.com/dir/after.png");
	assert_flags(&r, 0, RESOURCE);
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
	cr_assert_not_null(r.title, "the title was dropped");
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

/* A page whose first link is an href of "http://example.com/" and pad
 * 'a's, then a link to "short"; malloc'd. */
static char *long_href_page(size_t pad)
{
	static const char head[] = "<a href=\"http://example.com/";
	static const char tail[] = "\">x</a><a href=short>s</a>";
	char *html = malloc(sizeof(head) + pad + sizeof(tail));

	cr_assert_not_null(html);
	memcpy(html, head, sizeof(head) - 1);
	memset(html + sizeof(head) - 1, 'a', pad);
	memcpy(html + sizeof(head) - 1 + pad, tail, sizeof(tail));
	return html;
}

/* A link was dropped past 8192 bytes, whatever --max-url-length said; the
 * trap limits are what judge a long one now. */
Test(parse, megabyte_href_is_a_link)
{
	size_t pad = 1 << 20;
	char *html = long_href_page(pad);
	struct parse_result r;

	parse_ok(&r, html, NULL);
	cr_assert_eq(r.nlinks, 2, "got %zu links", r.nlinks);
	cr_expect_eq(strlen(r.links[0]), strlen("http://example.com/") + pad);
	cr_expect_str_eq(r.links[1], "http://example.com/dir/short");
	parse_result_release(&r);
	free(html);
}

Test(parse, href_longer_than_url_max_len_is_skipped)
{
	char *html = long_href_page(URL_MAX_LEN);
	struct parse_result r;

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
		cr_assert_eq(r.flags[i], 0);
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
	cr_assert_null(r.flags);
	cr_assert_eq(r.nlinks, 0);
	cr_assert_eq(r.cap, 0);
	parse_result_release(&r);
}

/* What the crawl does with --links: it keeps links, release frees the rest. */
Test(parse, release_after_the_links_were_taken_frees_the_flags)
{
	struct parse_result r;
	char **links;
	size_t n;

	parse_ok(&r, "<title>t</title><a href=x>x</a><img src=y>", NULL);
	links = r.links;
	n = r.nlinks;
	r.links = NULL;
	r.nlinks = 0;
	cr_assert_not_null(r.flags);
	parse_result_release(&r);
	cr_assert_null(r.flags);
	for (size_t i = 0; i < n; i++)
		free(links[i]);
	free(links);
}

Test(parse, non_http_page_url_fails)
{
	struct parse_result r;

	cr_assert_eq(parse_html("<a href=x>", 10, "ftp://x/", NULL, &r),
		     PARSE_FAILED);
	assert_no_links(&r);
	parse_result_release(&r);
}

Test(parse, png_header_is_binary)
{
	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

	cr_assert(parse_looks_binary(png, sizeof(png) - 1));
}

Test(parse, known_file_signatures_are_binary)
{
	static const char *const sigs[] = {
		"GIF89a<html>", "\xff\xd8\xff\xe0<html>", "%PDF-1.7 <html>",
		"PK\x03\x04<html>", "\x1f\x8b\x08<html>",
	};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		cr_assert(parse_looks_binary(sigs[i], strlen(sigs[i])),
			  "signature %zu", i);
	cr_assert(parse_looks_binary("\0\0\1\0\1\0", 6), "ico");
}

Test(parse, text_with_two_nuls_in_5_kib_is_not_binary)
{
	size_t len = 5 * 1024;
	char *page = malloc(len);

	cr_assert_not_null(page);
	for (size_t i = 0; i < len; i++)
		page[i] = "<p>Some text, a <a href=x>link</a>.\n"[i % 37];
	page[10] = '\0';
	page[700] = '\0';
	cr_assert_not(parse_looks_binary(page, len));
	free(page);
}

Test(parse, random_bytes_are_binary)
{
	unsigned char bytes[4096];
	uint32_t x = 2463534242u; /* xorshift32: the same bytes every run */

	for (size_t i = 0; i < sizeof(bytes); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		bytes[i] = (unsigned char)(x >> 24);
	}
	cr_assert(parse_looks_binary((const char *)bytes, sizeof(bytes)));
}

Test(parse, empty_body_is_not_binary)
{
	cr_assert_not(parse_looks_binary("", 0));
}

Test(parse, plain_html_is_not_binary)
{
	static const char html[] =
		"<!DOCTYPE html>\n<html><head><title>T</title></head>\r\n"
		"<body>\f<p>caf\xc3\xa9\t<a href=x>x</a>\x1b$B\x1b(B</body>";

	cr_assert_not(parse_looks_binary(html, sizeof(html) - 1));
}

Test(parse, utf16_html_with_a_byte_order_mark_is_not_binary)
{
	static const char le[] = "\xff\xfe<\0h\0t\0m\0l\0>\0<\0a\0>\0";
	static const char be[] = "\xfe\xff\0<\0h\0t\0m\0l\0>\0<\0a\0>";

	cr_assert_not(parse_looks_binary(le, sizeof(le) - 1));
	cr_assert_not(parse_looks_binary(be, sizeof(be) - 1));
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

/* The head's metadata (issue 10): what a record shows of the page. */

Test(parse, head_gives_description_lang_canonical_and_hreflang)
{
	struct parse_result r;
	const char *p;

	parse_ok(&r, "<html lang=' fr-CA '><head>"
		 "<meta name=DESCRIPTION content=' Une page \n'>"
		 "<link rel='Canonical' href='../canon#x'>"
		 "<link rel='alternate' hreflang='en' href='/en/page.html'>"
		 "<link rel='alternate' href='/no-lang'>"
		 "<link rel='alternate' hreflang='' href='/empty-lang'>"
		 "</head></html>", NULL);
	cr_expect_str_eq(r.description, "Une page");
	cr_expect_str_eq(r.lang, "fr-CA");
	cr_expect_str_eq(r.canonical, "http://example.com/canon");
	cr_assert_not_null(r.hreflang);
	cr_expect_str_eq(r.hreflang, "en");
	p = r.hreflang + strlen(r.hreflang) + 1;
	cr_expect_str_eq(p, "http://example.com/en/page.html");
	cr_expect_eq(r.hreflang_len, (size_t)(p + strlen(p) + 1 - r.hreflang),
		     "one pair only");
	/* And each <link rel> canonical or alternate is a page to crawl too. */
	assert_links(&r, "http://example.com/canon", "http://example.com/en/page.html",
		     "http://example.com/no-lang", "http://example.com/empty-lang");
	parse_result_release(&r);
}

Test(parse, first_canonical_description_and_html_lang_count)
{
	struct parse_result r;

	parse_ok(&r, "<base href='http://b.test/x/'>"
		 "<meta name=description content=one>"
		 "<meta name=description content=two>"
		 "<link rel=canonical href=c1><link rel=canonical href=c2>", NULL);
	cr_expect_str_eq(r.description, "one");
	cr_expect_str_eq(r.canonical, "http://b.test/x/c1", "resolved against <base>");
	cr_expect_null(r.lang);
	parse_result_release(&r);
}

Test(parse, page_without_head_metadata_has_none)
{
	struct parse_result r;

	parse_ok(&r, "<html><meta name=description content='  '><a href=x>x</a>", NULL);
	cr_expect_null(r.description, "an empty description is none");
	cr_expect_null(r.canonical);
	cr_expect_null(r.lang);
	cr_expect_null(r.hreflang);
	cr_expect_null(r.robots);
	parse_result_release(&r);
}

Test(parse, robots_metas_are_kept_joined_for_the_record)
{
	struct parse_result r;

	parse_ok(&r, "<meta name=robots content='noindex'>"
		 "<meta name=googlebot content=nofollow>"
		 "<meta name=ROBOTS content='noarchive, max-snippet:5'>", NULL);
	cr_expect_str_eq(r.robots, "noindex,noarchive, max-snippet:5");
	parse_result_release(&r);
}

Test(parse, head_metadata_in_a_template_is_inert)
{
	struct parse_result r;

	parse_ok(&r, "<template><link rel=canonical href=/t>"
		 "<meta name=description content=t></template>", NULL);
	cr_expect_null(r.canonical);
	cr_expect_null(r.description);
	parse_result_release(&r);
}

Test(parse, hreflang_alternates_stop_at_the_cap)
{
	size_t n = PARSE_HREFLANG_MAX + 10, len = n * 64 + 1, pairs = 0;
	char *html = malloc(len), *at = html;
	struct parse_result r;

	cr_assert_not_null(html);
	for (size_t i = 0; i < n; i++)
		at += snprintf(at, (size_t)(html + len - at),
			       "<link rel=alternate hreflang=l%zu href=/%zu>", i, i);
	parse_ok(&r, html, NULL);
	for (size_t off = 0; off < r.hreflang_len; pairs++) {
		off += strlen(r.hreflang + off) + 1;
		off += strlen(r.hreflang + off) + 1;
	}
	cr_expect_eq(pairs, PARSE_HREFLANG_MAX);
	free(html);
	parse_result_release(&r);
}
