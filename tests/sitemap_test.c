/* Tests for sitemap: urlset and sitemapindex, gzip known by its bytes,
 * the protocol's limits (50,000 entries, 50 MB inflated), malformed XML,
 * namespaces, white space and entities in <loc>. */
#include "sitemap.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "testgz.h"

#define NS "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\""
#define BASE "http://a.test/sitemap.xml"

static void setup(void)
{
	parse_global_init();
}

TestSuite(sitemap, .init = setup);

static struct sitemap_result read_str(const char *xml)
{
	struct sitemap_result r = { 0 };

	cr_assert_eq(sitemap_read(xml, strlen(xml), BASE, &r), SITEMAP_OK);
	return r;
}

Test(sitemap, urlset_gives_its_pages_with_lastmod)
{
	struct sitemap_result r = read_str(
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset " NS ">"
		"<url><loc>http://a.test/one</loc><lastmod>2024-01-02</lastmod></url>"
		"<url><loc>http://a.test/two</loc></url></urlset>");

	cr_expect_eq(r.kind, SITEMAP_URLSET);
	cr_assert_eq(r.nurls, 2);
	cr_expect_str_eq(r.urls[0], "http://a.test/one");
	cr_expect_str_eq(r.lastmods[0], "2024-01-02");
	cr_expect_str_eq(r.urls[1], "http://a.test/two");
	cr_expect_null(r.lastmods[1]);
	cr_expect_eq(r.listed, 2);
	cr_expect(!r.too_many && !r.too_large && !r.malformed);
	sitemap_result_release(&r);
}

Test(sitemap, index_gives_its_sitemaps)
{
	struct sitemap_result r = read_str(
		"<sitemapindex " NS "><sitemap><loc>http://a.test/s1.xml.gz</loc>"
		"<lastmod>2024-05-06T07:08:09+00:00</lastmod></sitemap></sitemapindex>");

	cr_expect_eq(r.kind, SITEMAP_INDEX);
	cr_assert_eq(r.nurls, 1);
	cr_expect_str_eq(r.urls[0], "http://a.test/s1.xml.gz");
	cr_expect_str_eq(r.lastmods[0], "2024-05-06T07:08:09+00:00");
	sitemap_result_release(&r);
}

Test(sitemap, gzip_is_known_by_its_bytes)
{
	const char *xml = "<urlset " NS "><url><loc>http://a.test/z</loc></url></urlset>";
	size_t n;
	char *gz = testgz(xml, strlen(xml), &n);
	struct sitemap_result r = { 0 };

	cr_assert_eq(sitemap_read(gz, n, BASE, &r), SITEMAP_OK);
	cr_assert_eq(r.nurls, 1);
	cr_expect_str_eq(r.urls[0], "http://a.test/z");
	cr_expect(!r.malformed);
	sitemap_result_release(&r);
	free(gz);
}

Test(sitemap, gzip_bomb_stops_at_50_mb)
{
	/* 60 MB of white space inflate past the cap from a few KB. */
	const char *head = "<urlset " NS "><url><loc>http://a.test/b</loc></url>";
	size_t big = 60u * 1024 * 1024, n;
	char *xml = malloc(big);
	char *gz;
	struct sitemap_result r = { 0 };

	cr_assert(xml);
	memset(xml, ' ', big);
	memcpy(xml, head, strlen(head));
	gz = testgz(xml, big, &n);
	free(xml);
	cr_expect_lt(n, 1024 * 1024);
	cr_assert_eq(sitemap_read(gz, n, BASE, &r), SITEMAP_OK);
	cr_expect(r.too_large);
	cr_expect_eq(r.nurls, 1, "what came before the cap is kept");
	sitemap_result_release(&r);
	free(gz);
}

Test(sitemap, plain_body_past_50_mb_is_cut)
{
	size_t big = SITEMAP_MAX_BYTES + 10;
	char *xml = malloc(big);
	struct sitemap_result r = { 0 };
	const char *head = "<urlset " NS "><url><loc>http://a.test/c</loc></url>";

	cr_assert(xml);
	memset(xml, ' ', big);
	memcpy(xml, head, strlen(head));
	cr_assert_eq(sitemap_read(xml, big, BASE, &r), SITEMAP_OK);
	cr_expect(r.too_large);
	cr_expect_eq(r.nurls, 1);
	sitemap_result_release(&r);
	free(xml);
}

Test(sitemap, reading_stops_at_50000_entries)
{
	size_t cap = 64 + (SITEMAP_MAX_URLS + 5) * 48, n = 0;
	char *xml = malloc(cap);
	struct sitemap_result r = { 0 };

	cr_assert(xml);
	n += (size_t)snprintf(xml + n, cap - n, "<urlset " NS ">");
	for (int i = 0; i < SITEMAP_MAX_URLS + 5; i++)
		n += (size_t)snprintf(xml + n, cap - n,
				      "<url><loc>http://a.test/%d</loc></url>", i);
	n += (size_t)snprintf(xml + n, cap - n, "</urlset>");
	cr_assert_eq(sitemap_read(xml, n, BASE, &r), SITEMAP_OK);
	cr_expect(r.too_many);
	cr_expect_eq(r.nurls, SITEMAP_MAX_URLS);
	cr_expect_eq(r.listed, SITEMAP_MAX_URLS);
	sitemap_result_release(&r);
	free(xml);
}

Test(sitemap, malformed_xml_keeps_what_came_before)
{
	struct sitemap_result r = read_str(
		"<urlset " NS "><url><loc>http://a.test/ok</loc></url>"
		"<url><loc>http://a.test/cut</loc></ur");

	cr_expect(r.malformed);
	cr_assert_eq(r.nurls, 1);
	cr_expect_str_eq(r.urls[0], "http://a.test/ok");
	sitemap_result_release(&r);
}

Test(sitemap, html_is_not_a_sitemap)
{
	struct sitemap_result r = read_str("<html><body><a href=\"/x\">x</a></body></html>");

	cr_expect_eq(r.kind, SITEMAP_NONE);
	cr_expect_eq(r.nurls, 0);
	sitemap_result_release(&r);
}

Test(sitemap, garbage_and_empty_bodies_are_no_sitemaps)
{
	struct sitemap_result r = { 0 };

	cr_expect_eq(sitemap_read("", 0, BASE, &r), SITEMAP_OK);
	cr_expect_eq(r.kind, SITEMAP_NONE);
	cr_expect_eq(sitemap_read("\x1f\x8b garbage", 10, BASE, &r), SITEMAP_OK);
	cr_expect_eq(r.kind, SITEMAP_NONE);
	cr_expect(r.malformed);
	sitemap_result_release(&r);
}

Test(sitemap, extension_namespaces_are_not_entries)
{
	struct sitemap_result r = read_str(
		"<urlset " NS " xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\""
		" xmlns:x=\"http://other.test/ns\">"
		"<url><loc>http://a.test/page</loc>"
		"<image:image><image:loc>http://a.test/pic.jpg</image:loc></image:image>"
		"<x:loc>http://a.test/not</x:loc></url></urlset>");

	cr_assert_eq(r.nurls, 1);
	cr_expect_str_eq(r.urls[0], "http://a.test/page");
	sitemap_result_release(&r);
}

Test(sitemap, no_namespace_and_prefixed_namespace_both_count)
{
	struct sitemap_result r = read_str(
		"<urlset><url><loc>http://a.test/bare</loc></url></urlset>");
	struct sitemap_result p = read_str(
		"<sm:urlset xmlns:sm=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
		"<sm:url><sm:loc>http://a.test/pre</sm:loc></sm:url></sm:urlset>");

	cr_assert_eq(r.nurls, 1);
	cr_expect_str_eq(r.urls[0], "http://a.test/bare");
	cr_assert_eq(p.nurls, 1);
	cr_expect_str_eq(p.urls[0], "http://a.test/pre");
	sitemap_result_release(&r);
	sitemap_result_release(&p);
}

Test(sitemap, other_namespace_root_is_not_a_sitemap)
{
	struct sitemap_result r = read_str(
		"<urlset xmlns=\"http://other.test/ns\"><url><loc>http://a.test/x</loc>"
		"</url></urlset>");

	cr_expect_eq(r.kind, SITEMAP_NONE);
	cr_expect_eq(r.nurls, 0);
	sitemap_result_release(&r);
}

Test(sitemap, white_space_around_loc_is_trimmed)
{
	struct sitemap_result r = read_str(
		"<urlset " NS "><url><loc>\n\t  http://a.test/ws  \r\n</loc>"
		"<lastmod> 2024-01-01 </lastmod></url></urlset>");

	cr_assert_eq(r.nurls, 1);
	cr_expect_str_eq(r.urls[0], "http://a.test/ws");
	cr_expect_str_eq(r.lastmods[0], "2024-01-01");
	sitemap_result_release(&r);
}

Test(sitemap, entity_escaped_urls_are_decoded)
{
	struct sitemap_result r = read_str(
		"<urlset " NS "><url><loc>http://a.test/q?a=1&amp;b=2&#38;c=&apos;3&apos;</loc>"
		"</url><url><loc><![CDATA[http://a.test/cd?x=1&y=2]]></loc></url></urlset>");

	cr_assert_eq(r.nurls, 2);
	/* The quote is then escaped by normalisation, as in a link. */
	cr_expect_str_eq(r.urls[0], "http://a.test/q?a=1&b=2&c=%273%27");
	cr_expect_str_eq(r.urls[1], "http://a.test/cd?x=1&y=2");
	sitemap_result_release(&r);
}

Test(sitemap, entries_without_http_loc_are_listed_not_kept)
{
	struct sitemap_result r = read_str(
		"<urlset " NS "><url><loc>ftp://a.test/f</loc></url><url></url>"
		"<url><loc>   </loc></url><url/><url><loc>/rel</loc></url></urlset>");

	cr_expect_eq(r.listed, 2, "ftp and /rel have a <loc>");
	cr_assert_eq(r.nurls, 1);
	cr_expect_str_eq(r.urls[0], "http://a.test/rel");
	sitemap_result_release(&r);
}

Test(sitemap, external_entities_are_not_loaded)
{
	struct sitemap_result r = read_str(
		"<?xml version=\"1.0\"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "
		"\"file:///etc/passwd\">]><urlset " NS "><url><loc>http://a.test/&x;</loc>"
		"</url></urlset>");

	for (size_t i = 0; i < r.nurls; i++)
		cr_expect_null(strstr(r.urls[i], "root"), "%s", r.urls[i]);
	sitemap_result_release(&r);
}

Test(sitemap, release_accepts_null_and_zeroes)
{
	struct sitemap_result r = read_str("<urlset><url><loc>http://a.test/</loc></url></urlset>");

	sitemap_result_release(NULL);
	sitemap_result_release(&r);
	cr_expect_null(r.urls);
	cr_expect_eq(r.nurls, 0);
}
