/* scope_test: which URLs include/scope.h lets a crawl follow: host mode
 * keys on the seed's host name (any scheme or port), domain mode on its
 * registrable domain from the public suffix list (an IP address or a bare
 * name being its own domain), any mode on nothing; and the mode names. */
#include <criterion/criterion.h>
#include <stddef.h>

#include "scope.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct verdict {
	const char *url;
	bool allowed;
};

static void check(enum scope_mode mode, char *const *seeds, size_t nseeds,
		  const struct verdict *v, size_t n)
{
	struct scope *s = scope_new(mode, seeds, nseeds);

	cr_assert_not_null(s);
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(scope_allows(s, v[i].url), v[i].allowed,
			     "%s mode, %s: want %s", scope_mode_name(mode),
			     v[i].url, v[i].allowed ? "allowed" : "refused");
	scope_free(s);
}

#define CHECK(mode, seeds, verdicts) \
	check(mode, seeds, N(seeds), verdicts, N(verdicts))

Test(scope, host_mode_accepts_the_seed_host_on_any_scheme_or_port)
{
	char *seeds[] = { "http://a.test/start" };
	const struct verdict v[] = {
		{ "http://a.test/", true },
		{ "http://a.test/deep/page?q=1", true },
		{ "https://a.test/", true },
		{ "http://a.test:8080/x", true },
		{ "https://a.test:8443/y", true },
	};

	CHECK(SCOPE_HOST, seeds, v);
}

Test(scope, host_mode_rejects_other_hosts_and_subdomains)
{
	char *seeds[] = { "http://www.a.test/" };
	const struct verdict v[] = {
		{ "http://b.test/", false },
		{ "http://a.test/", false },
		{ "http://shop.www.a.test/", false },
		{ "http://www.a.test.evil.test/", false },
		{ "http://xwww.a.test/", false },
	};

	CHECK(SCOPE_HOST, seeds, v);
}

Test(scope, host_mode_with_several_seeds_accepts_each_seed_host)
{
	char *seeds[] = { "http://c.test/", "https://a.test:444/", "http://b.test/x" };
	const struct verdict v[] = {
		{ "http://a.test/1", true },
		{ "http://b.test/2", true },
		{ "https://c.test/3", true },
		{ "http://d.test/", false },
	};

	CHECK(SCOPE_HOST, seeds, v);
}

Test(scope, host_mode_with_an_ip_seed_accepts_that_ip_only)
{
	char *seeds[] = { "http://127.0.0.1:8000/" };
	const struct verdict v[] = {
		{ "http://127.0.0.1:9000/a", true },
		{ "http://127.0.0.2/", false },
	};

	CHECK(SCOPE_HOST, seeds, v);
}

Test(scope, domain_mode_accepts_other_hosts_of_the_registrable_domain)
{
	char *seeds[] = { "http://www.example.co.uk/" };
	const struct verdict v[] = {
		{ "http://shop.example.co.uk/x", true },
		{ "http://example.co.uk/", true },
		{ "https://a.b.example.co.uk:8443/", true },
		{ "http://www.example.co.uk/y", true },
	};

	CHECK(SCOPE_DOMAIN, seeds, v);
}

Test(scope, domain_mode_rejects_other_domains_and_the_public_suffix)
{
	char *seeds[] = { "http://www.example.co.uk/" };
	const struct verdict v[] = {
		{ "http://example.com/", false },
		{ "http://other.co.uk/", false },
		{ "http://co.uk/", false },
		{ "http://example.co.uk.evil.test/", false },
		{ "http://www.example.org.uk/", false },
	};

	CHECK(SCOPE_DOMAIN, seeds, v);
}

Test(scope, domain_mode_with_a_registrable_seed_accepts_its_subdomains)
{
	char *seeds[] = { "https://example.com/" };
	const struct verdict v[] = {
		{ "http://www.example.com/", true },
		{ "http://a.b.c.example.com/", true },
		{ "http://example.net/", false },
	};

	CHECK(SCOPE_DOMAIN, seeds, v);
}

Test(scope, domain_mode_ipv4_seed_is_its_own_domain)
{
	/* libpsl's psl_registrable_domain("10.1.2.3") is "2.3". */
	char *seeds[] = { "http://10.1.2.3/" };
	const struct verdict v[] = {
		{ "http://10.1.2.3:8080/x", true },
		{ "https://10.1.2.3/", true },
		{ "http://10.9.2.3/", false },
		{ "http://11.1.2.3/", false },
		{ "http://2.3/", false },
	};

	CHECK(SCOPE_DOMAIN, seeds, v);
}

Test(scope, domain_mode_ipv6_seed_is_its_own_domain)
{
	char *seeds[] = { "http://[::1]:8080/" };
	const struct verdict v[] = {
		{ "http://[::1]/a", true },
		{ "http://[::2]/", false },
		{ "http://localhost/", false },
	};

	CHECK(SCOPE_DOMAIN, seeds, v);
}

Test(scope, domain_mode_bare_name_seed_is_its_own_domain)
{
	char *seeds[] = { "http://localhost:8000/" };
	const struct verdict v[] = {
		{ "http://localhost/x", true },
		{ "http://other/", false },
		{ "http://www.localhost.test/", false },
	};

	CHECK(SCOPE_DOMAIN, seeds, v);
}

Test(scope, any_mode_accepts_every_http_url)
{
	char *seeds[] = { "http://a.test/" };
	const struct verdict v[] = {
		{ "http://a.test/", true },
		{ "http://b.test/", true },
		{ "https://example.com:8443/x", true },
		{ "http://10.0.0.1/", true },
	};

	CHECK(SCOPE_ANY, seeds, v);
}

Test(scope, no_seeds_refuses_everything_but_in_any_mode)
{
	const struct verdict none[] = { { "http://a.test/", false } };
	const struct verdict all[] = { { "http://a.test/", true } };

	check(SCOPE_HOST, NULL, 0, none, 1);
	check(SCOPE_DOMAIN, NULL, 0, none, 1);
	check(SCOPE_ANY, NULL, 0, all, 1);
}

Test(scope, mode_parse_knows_the_three_names)
{
	cr_expect_eq(scope_mode_parse("host"), SCOPE_HOST);
	cr_expect_eq(scope_mode_parse("domain"), SCOPE_DOMAIN);
	cr_expect_eq(scope_mode_parse("any"), SCOPE_ANY);
}

Test(scope, mode_parse_rejects_anything_else)
{
	const char *bad[] = { "", "hosts", "ho", "domains", "all", "any ", " host",
			      "none" };

	for (size_t i = 0; i < N(bad); i++)
		cr_expect_eq(scope_mode_parse(bad[i]), -1, "\"%s\"", bad[i]);
}

Test(scope, mode_name_round_trips_through_parse)
{
	cr_expect_str_eq(scope_mode_name(SCOPE_HOST), "host");
	cr_expect_str_eq(scope_mode_name(SCOPE_DOMAIN), "domain");
	cr_expect_str_eq(scope_mode_name(SCOPE_ANY), "any");
	for (int m = SCOPE_HOST; m <= SCOPE_ANY; m++)
		cr_expect_eq(scope_mode_parse(scope_mode_name((enum scope_mode)m)), m);
}
