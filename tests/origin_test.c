/* origin: how each kind of robots.txt answer decides an origin's URLs. */
#include <criterion/criterion.h>
#include <string.h>

#include "origin.h"

static enum record_err refuses(const struct origin *o, const char *url,
			       const char **why)
{
	return origin_refuses(o, url, why);
}

Test(origin, a_2xx_answer_is_the_rules_for_our_token)
{
	const char *body = "User-agent: crawler\nDisallow: /private\nCrawl-delay: 2\n"
			   "Sitemap: http://a.test/sitemap.xml\n";
	struct origin *o = origin_new(200, RECORD_ERR_NONE, NULL, body, strlen(body),
				      "crawler");
	const char *why;
	const char *const *urls;

	cr_assert_not_null(o);
	cr_expect_eq(refuses(o, "http://a.test/public", &why), RECORD_ERR_NONE);
	cr_expect_eq(refuses(o, "http://a.test/private/x", &why), RECORD_ERR_ROBOTS);
	cr_expect_null(why, "the default message: disallowed by robots.txt");
	cr_expect_eq(origin_crawl_delay_ms(o), 2000);
	cr_assert_eq(origin_sitemap_urls(o, &urls), 1);
	cr_expect_str_eq(urls[0], "http://a.test/sitemap.xml");
	origin_free(o);
}

Test(origin, a_4xx_answer_allows_everything)
{
	struct origin *o = origin_new(404, RECORD_ERR_NONE, NULL, "Disallow: /", 11,
				      "crawler");
	const char *why;

	cr_expect_eq(refuses(o, "http://a.test/anything", &why), RECORD_ERR_NONE);
	cr_expect_eq(origin_crawl_delay_ms(o), -1);
	origin_free(o);
}

Test(origin, too_many_redirects_count_as_unavailable_and_allow)
{
	struct origin *o = origin_new(301, RECORD_ERR_TOO_MANY_REDIRECTS, "Maximum (5)",
				      NULL, 0, "crawler");
	const char *why;

	cr_expect_eq(refuses(o, "http://a.test/x", &why), RECORD_ERR_NONE);
	origin_free(o);
}

Test(origin, a_5xx_answer_refuses_everything_as_robots_with_the_status)
{
	struct origin *o = origin_new(503, RECORD_ERR_NONE, NULL, NULL, 0, "crawler");
	const char *why;

	cr_expect_eq(refuses(o, "http://a.test/", &why), RECORD_ERR_ROBOTS);
	cr_assert_not_null(why);
	cr_expect(strstr(why, "503"), "%s", why);
	origin_free(o);
}

Test(origin, an_unreachable_origin_refuses_with_the_transport_error)
{
	struct origin *o = origin_new(0, RECORD_ERR_DNS, "Could not resolve host: x.invalid",
				      NULL, 0, "crawler");
	const char *why;

	cr_expect_eq(refuses(o, "http://x.invalid/", &why), RECORD_ERR_DNS);
	cr_assert_not_null(why);
	cr_expect(strstr(why, "Could not resolve host"), "%s", why);
	origin_free(o);
}
