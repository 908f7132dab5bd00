/* scope_test: which URLs include/scope.h lets a crawl follow: host mode
 * keys on the seed's host name (any scheme or port), domain mode on its
 * registrable domain from the public suffix list (an IP address or a bare
 * name being its own domain), subdomains mode on the seed's host and the
 * names below it, any mode on nothing; the include and exclude regexes and
 * no_parent on top of the mode; and the mode names. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <string.h>

#include "scope.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct verdict {
	const char *url;
	bool allowed;
};

static void check_cfg(const struct scope_config *cfg, char *const *seeds,
		      size_t nseeds, const struct verdict *v, size_t n)
{
	char err[256] = "";
	struct scope *s = scope_new(cfg, seeds, nseeds, err, sizeof(err));

	cr_assert_not_null(s, "%s", err);
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(scope_allows(s, v[i].url), v[i].allowed,
			     "%s mode, %s: want %s", scope_mode_name(cfg->mode),
			     v[i].url, v[i].allowed ? "allowed" : "refused");
	scope_free(s);
}

static void check(enum scope_mode mode, char *const *seeds, size_t nseeds,
		  const struct verdict *v, size_t n)
{
	const struct scope_config cfg = { .mode = mode };

	check_cfg(&cfg, seeds, nseeds, v, n);
}

#define CHECK(mode, seeds, verdicts) \
	check(mode, seeds, N(seeds), verdicts, N(verdicts))
#define CHECK_CFG(cfg, seeds, verdicts) \
	check_cfg(cfg, seeds, N(seeds), verdicts, N(verdicts))

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
	check(SCOPE_SUBDOMAINS, NULL, 0, none, 1);
	check(SCOPE_ANY, NULL, 0, all, 1);
}

Test(scope, subdomains_mode_accepts_the_seed_host_and_names_below_it)
{
	char *seeds[] = { "http://example.com/" };
	const struct verdict v[] = {
		{ "http://example.com/x", true },
		{ "https://www.example.com/", true },
		{ "http://a.b.example.com:8080/y", true },
	};

	CHECK(SCOPE_SUBDOMAINS, seeds, v);
}

Test(scope, subdomains_mode_rejects_look_alike_suffixes)
{
	char *seeds[] = { "http://example.com/" };
	const struct verdict v[] = {
		{ "http://badexample.com/", false },
		{ "http://www.badexample.com/", false },
		{ "http://example.com.evil.test/", false },
		{ "http://example.org/", false },
		{ "http://com/", false },
	};

	CHECK(SCOPE_SUBDOMAINS, seeds, v);
}

Test(scope, subdomains_mode_rejects_the_parent_domain_and_siblings)
{
	char *seeds[] = { "http://www.example.com/" };
	const struct verdict v[] = {
		{ "http://example.com/", false },
		{ "http://shop.example.com/", false },
		{ "http://xwww.example.com/", false },
		{ "http://a.www.example.com/", true },
	};

	CHECK(SCOPE_SUBDOMAINS, seeds, v);
}

Test(scope, subdomains_mode_with_several_seeds_accepts_below_each)
{
	char *seeds[] = { "http://b.test/", "http://a.test/" };
	const struct verdict v[] = {
		{ "http://x.a.test/", true },
		{ "http://y.b.test/", true },
		{ "http://c.test/", false },
	};

	CHECK(SCOPE_SUBDOMAINS, seeds, v);
}

Test(scope, subdomains_mode_ip_seed_matches_only_itself)
{
	char *seeds[] = { "http://10.1.2.3/", "http://[::1]/" };
	const struct verdict v[] = {
		{ "http://10.1.2.3:8080/x", true },
		{ "http://[::1]:8080/x", true },
		{ "http://5.10.1.2.3/", false },
		{ "http://x.10.1.2.3/", false },
		{ "http://1.2.3/", false },
	};

	CHECK(SCOPE_SUBDOMAINS, seeds, v);
}

Test(scope, include_admits_only_urls_matching_one_of_them)
{
	char *include[] = { "/docs/", "\\.pdf$" };
	const struct scope_config cfg = { .mode = SCOPE_HOST, .include = include,
					  .ninclude = N(include) };
	char *seeds[] = { "http://a.test/" };
	const struct verdict v[] = {
		{ "http://a.test/docs/intro", true },
		{ "http://a.test/files/paper.pdf", true },
		{ "http://a.test/blog/", false },
		{ "http://a.test/paper.pdf?x=1", false },
		{ "http://b.test/docs/", false },
	};

	CHECK_CFG(&cfg, seeds, v);
}

Test(scope, exclude_refuses_urls_matching_any_of_them)
{
	char *exclude[] = { "[?&]sort=", "/private(/|$)" };
	const struct scope_config cfg = { .mode = SCOPE_HOST, .exclude = exclude,
					  .nexclude = N(exclude) };
	char *seeds[] = { "http://a.test/" };
	const struct verdict v[] = {
		{ "http://a.test/list?page=2", true },
		{ "http://a.test/list?page=2&sort=asc", false },
		{ "http://a.test/list?sort=desc", false },
		{ "http://a.test/private", false },
		{ "http://a.test/private/x", false },
		{ "http://a.test/privateer", true },
	};

	CHECK_CFG(&cfg, seeds, v);
}

Test(scope, exclude_wins_over_include)
{
	char *include[] = { "/docs/" };
	char *exclude[] = { "/docs/old/" };
	const struct scope_config cfg = { .mode = SCOPE_HOST,
					  .include = include, .ninclude = 1,
					  .exclude = exclude, .nexclude = 1 };
	char *seeds[] = { "http://a.test/" };
	const struct verdict v[] = {
		{ "http://a.test/docs/new/x", true },
		{ "http://a.test/docs/old/x", false },
		{ "http://a.test/blog/", false },
	};

	CHECK_CFG(&cfg, seeds, v);
}

Test(scope, regexes_see_the_whole_canonical_url_and_anchor_only_when_asked)
{
	char *include[] = { "^https://", "PAGE" };
	const struct scope_config cfg = { .mode = SCOPE_ANY, .include = include,
					  .ninclude = N(include) };
	char *seeds[] = { "http://a.test/" };
	const struct verdict v[] = {
		{ "https://b.test/x", true },
		{ "http://b.test/https://", false },
		{ "http://b.test/PAGE", true },
		{ "http://b.test/?q=PAGE", true },
		{ "http://b.test/page", false },
	};

	CHECK_CFG(&cfg, seeds, v);
}

static void expect_bad_regex(const struct scope_config *cfg, const char *want)
{
	char *seeds[] = { "http://a.test/" };
	char err[256] = "";
	struct scope *s = scope_new(cfg, seeds, 1, err, sizeof(err));

	cr_expect_null(s);
	cr_expect(strstr(err, want), "err \"%s\" should name %s", err, want);
	cr_expect_gt(strlen(err), strlen(want) + 2, "err \"%s\" has no reason", err);
	scope_free(s);
}

Test(scope, a_bad_include_regex_fails_naming_it)
{
	char *include[] = { "ok", "([" };
	const struct scope_config cfg = { .include = include, .ninclude = 2 };

	expect_bad_regex(&cfg, "--include '(['");
}

Test(scope, a_bad_exclude_regex_fails_naming_it)
{
	char *include[] = { "fine" };
	char *exclude[] = { "a{2,1}" };
	const struct scope_config cfg = { .include = include, .ninclude = 1,
					  .exclude = exclude, .nexclude = 1 };

	expect_bad_regex(&cfg, "--exclude 'a{2,1}'");
}

Test(scope, no_parent_stays_under_the_directory_of_a_seed_page)
{
	const struct scope_config cfg = { .mode = SCOPE_HOST, .no_parent = true };
	char *seeds[] = { "http://a.test/b/c.html" };
	const struct verdict v[] = {
		{ "http://a.test/b/c.html", true },
		{ "http://a.test/b/", true },
		{ "http://a.test/b/d/e.html?x=1", true },
		{ "http://a.test/", false },
		{ "http://a.test/b", false },
		{ "http://a.test/bc/", false },
		{ "http://a.test/x/b/", false },
	};

	CHECK_CFG(&cfg, seeds, v);
}

Test(scope, no_parent_with_a_directory_seed_keeps_that_directory)
{
	const struct scope_config cfg = { .mode = SCOPE_HOST, .no_parent = true };
	char *seeds[] = { "http://a.test/b/" };
	const struct verdict v[] = {
		{ "http://a.test/b/", true },
		{ "http://a.test/b/c", true },
		{ "http://a.test/c/", false },
		{ "http://a.test/index.html", false },
	};

	CHECK_CFG(&cfg, seeds, v);
}

Test(scope, no_parent_rejects_the_same_path_on_another_origin)
{
	const struct scope_config cfg = { .mode = SCOPE_ANY, .no_parent = true };
	char *seeds[] = { "http://a.test/b/" };
	const struct verdict v[] = {
		{ "http://a.test/b/x", true },
		{ "https://a.test/b/x", false },
		{ "http://a.test:8080/b/x", false },
		{ "http://c.test/b/x", false },
		{ "http://a.test.evil/b/x", false },
	};

	CHECK_CFG(&cfg, seeds, v);
}

Test(scope, no_parent_with_a_root_seed_allows_the_whole_origin)
{
	const struct scope_config cfg = { .mode = SCOPE_HOST, .no_parent = true };
	char *seeds[] = { "http://a.test:8000/" };
	const struct verdict v[] = {
		{ "http://a.test:8000/", true },
		{ "http://a.test:8000/x/y/z?q=1", true },
		{ "http://a.test/x", false },
	};

	CHECK_CFG(&cfg, seeds, v);
}

Test(scope, no_parent_takes_the_directory_from_the_path_not_the_query)
{
	const struct scope_config cfg = { .mode = SCOPE_HOST, .no_parent = true };
	char *seeds[] = { "http://a.test/b/c?next=/d/e/" };
	const struct verdict v[] = {
		{ "http://a.test/b/f", true },
		{ "http://a.test/d/e/f", false },
		{ "http://a.test/x?y=/b/", false },
	};

	CHECK_CFG(&cfg, seeds, v);
}

Test(scope, no_parent_with_several_seeds_allows_under_each)
{
	const struct scope_config cfg = { .mode = SCOPE_HOST, .no_parent = true };
	char *seeds[] = { "http://a.test/x/y/", "http://a.test/b/", "http://c.test/d/e" };
	const struct verdict v[] = {
		{ "http://a.test/b/1", true },
		{ "http://a.test/x/y/2", true },
		{ "http://c.test/d/3", true },
		{ "http://a.test/x/3", false },
		{ "http://a.test/d/3", false },
		{ "http://c.test/b/1", false },
	};

	CHECK_CFG(&cfg, seeds, v);
}

/* The mode scope_mode_parse makes of name; -1 when it refuses it. */
static int parsed_mode(const char *name)
{
	enum scope_mode mode;

	return scope_mode_parse(name, &mode) == SCOPE_OK ? (int)mode : -1;
}

Test(scope, mode_parse_knows_the_four_names)
{
	cr_expect_eq(parsed_mode("host"), SCOPE_HOST);
	cr_expect_eq(parsed_mode("domain"), SCOPE_DOMAIN);
	cr_expect_eq(parsed_mode("subdomains"), SCOPE_SUBDOMAINS);
	cr_expect_eq(parsed_mode("any"), SCOPE_ANY);
}

Test(scope, mode_parse_rejects_anything_else)
{
	const char *bad[] = { "", "hosts", "ho", "domains", "all", "any ", " host",
			      "none", "subdomain", "sub" };

	enum scope_mode mode = SCOPE_ANY;

	for (size_t i = 0; i < N(bad); i++)
		cr_expect_eq(scope_mode_parse(bad[i], &mode), SCOPE_UNKNOWN_MODE,
			     "\"%s\"", bad[i]);
	cr_expect_eq(mode, SCOPE_ANY, "a refused name leaves the mode alone");
}

Test(scope, mode_name_round_trips_through_parse)
{
	cr_expect_str_eq(scope_mode_name(SCOPE_HOST), "host");
	cr_expect_str_eq(scope_mode_name(SCOPE_DOMAIN), "domain");
	cr_expect_str_eq(scope_mode_name(SCOPE_SUBDOMAINS), "subdomains");
	cr_expect_str_eq(scope_mode_name(SCOPE_ANY), "any");
	for (int m = SCOPE_HOST; m <= SCOPE_ANY; m++)
		cr_expect_eq(parsed_mode(scope_mode_name((enum scope_mode)m)), m);
}
