/* request_test: what users of curl and wget2 expect of requests, through
 * the crawl API against testsrv: --resolve, credentials only for the
 * seeds' origins, cookie files, --limit-rate, --accept-type and
 * --reject-type, and seeds without a scheme.
 *
 * Each test checks the exact set of records and, from the server's own
 * log, what reached the server (which headers, on which origin). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crawl.h"
#include "crawlrun.h"
#include "testsrv.h"

TestSuite(request, .init = run_setup, .timeout = 60);

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define HTML(body) "<!doctype html><html><head><title>t</title></head><body>" body "</body></html>"

/* "alice:secret" and "alice:" in base64 (RFC 7617). */
#define BASIC_ALICE "Authorization: Basic YWxpY2U6c2VjcmV0\n"
#define BASIC_ALICE_EMPTY "Authorization: Basic YWxpY2U6\n"

static const struct testsrv_reply unauthorized = {
	.status = 401, .content_type = "text/plain", .body = "who are you?\n",
	.headers = "WWW-Authenticate: Basic realm=\"test\"\n",
};

static const struct testsrv_reply forbidden = {
	.status = 403, .content_type = "text/plain", .body = "no cookie\n",
};


static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	cr_assert_geq(n, 0);
	return s;
}

/* The run has a record for each of the n URLs and no other. */
static void expect_urls(const struct run *run, const char *const *urls, size_t n)
{
	cr_expect_eq(run->n, n, "records: %zu, want %zu", run->n, n);
	for (size_t i = 0; i < n; i++)
		cr_expect_not_null(run_find(run, urls[i]), "no record for %s", urls[i]);
}

/* Requests in srv's log whose headers hold text. */
static size_t requests_with(struct testsrv *srv, const char *text)
{
	struct testsrv_request *log;
	size_t n = testsrv_log(srv, &log), hits = 0;

	for (size_t i = 0; i < n; i++)
		hits += strstr(log[i].headers, text) != NULL;
	testsrv_log_free(log, n);
	return hits;
}

/* ---- --resolve and seeds without a scheme ------------------------------ */

Test(request, resolve_takes_a_name_that_does_not_resolve_to_the_address)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/a.html'>a</a><a href='b.html'>b</a>"
				      "<a href='/secret.html'>s</a>") } },
		{ "/a.html", { .body = HTML("a") } },
		{ "/b.html", { .body = HTML("b") } },
		{ "/robots.txt", { .content_type = "text/plain",
				   .body = "User-agent: *\nDisallow: /secret\n" } },
	};
	struct testsrv *srv = testsrv_start("127.0.0.1", routes, N(routes), NULL, NULL);
	unsigned port = testsrv_port(srv);
	char *seed = xasprintf("http://site.test:%u/", port);
	char *map = xasprintf("site.test:%u:127.0.0.1", port);
	char *host = xasprintf("Host: site.test:%u\n", port);
	char *urls[] = { seed, xasprintf("http://site.test:%u/a.html", port),
			 xasprintf("http://site.test:%u/b.html", port),
			 xasprintf("http://site.test:%u/secret.html", port) };
	struct crawl_config cfg;
	struct run run;

	run_config(&cfg, &seed, 1);
	cfg.resolve = &map;
	cfg.nresolve = 1;
	run_crawl(&cfg, &run);
	expect_urls(&run, (const char *const *)urls, N(urls));
	for (size_t i = 0; i < 3; i++)
		expect_rec(run_must_find(&run, urls[i]), 200, NULL);
	/* robots.txt went through the mapping too: it was obeyed. */
	expect_rec(run_must_find(&run, urls[3]), 0, "robots");
	cr_expect_eq(testsrv_hits(srv, "/robots.txt"), 1);
	cr_expect_eq(testsrv_hits(srv, "/secret.html"), 0);
	cr_expect_eq(requests_with(srv, host), 4, "every request named site.test");
	run_free(&run);
	testsrv_stop(srv);
	for (size_t i = 0; i < N(urls); i++)
		free(urls[i]);
	free(map);
	free(host);
}

Test(request, seed_without_a_scheme_is_an_http_url)
{
	static const struct {
		const char *seed, *url;
	} cases[] = {
		{ "example.com", "http://example.com/" },
		{ "Example.COM/a?b", "http://example.com/a?b" },
		{ "example.com:8080/path", "http://example.com:8080/path" },
		{ "example.com:80/", "http://example.com/" },
		{ "localhost/x", "http://localhost/x" },
		{ "localhost:8080", "http://localhost:8080/" },
		{ "127.0.0.1:9/", "http://127.0.0.1:9/" },
		{ "[::1]:8080/x", "http://[::1]:8080/x" },
		{ "ftp.example.com/", "http://ftp.example.com/" },
		{ "HTTPS://example.com/", "https://example.com/" },
	};

	for (size_t i = 0; i < N(cases); i++) {
		char *out = NULL;
		enum url_status st = crawl_seed_normalize(cases[i].seed, &out);

		cr_expect_eq(st, URL_OK, "%s: %s", cases[i].seed, url_strerror(st));
		if (out)
			cr_expect_str_eq(out, cases[i].url, "%s", cases[i].seed);
		free(out);
	}
}

Test(request, seed_of_another_scheme_or_without_a_host_is_refused)
{
	static const char *const refused[] = {
		"ftp://example.com/", "mailto:a@example.com", "file:///etc/passwd",
		"//example.com/", "/index.html", "", "javascript:alert(1)",
	};

	for (size_t i = 0; i < N(refused); i++) {
		char *out = NULL;

		cr_expect_neq(crawl_seed_normalize(refused[i], &out), URL_OK,
			      "'%s' taken as %s", refused[i], out);
		free(out);
	}
	{
		char *out = NULL;

		cr_expect_eq(crawl_seed_normalize("ftp://x/", &out), URL_SCHEME);
		free(out);
	}
}

Test(request, scheme_less_seed_is_crawled_as_http)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/a.html'>a</a>") } },
		{ "/a.html", { .body = HTML("a") } },
	};
	struct testsrv *srv = testsrv_start("127.0.0.1", routes, N(routes), NULL, NULL);
	char *seed = xasprintf("127.0.0.1:%u/", testsrv_port(srv));
	char *urls[] = { testsrv_url(srv, "/"), testsrv_url(srv, "/a.html") };
	struct crawl_config cfg;
	struct run run;

	run_config(&cfg, &seed, 1);
	run_crawl(&cfg, &run);
	expect_urls(&run, (const char *const *)urls, N(urls));
	expect_rec(run_must_find(&run, urls[0]), 200, NULL);
	expect_rec(run_must_find(&run, urls[1]), 200, NULL);
	cr_expect_eq(testsrv_nrequests(srv), 3, "robots.txt and the two pages");
	run_free(&run);
	testsrv_stop(srv);
	free(urls[0]);
	free(urls[1]);
	free(seed);
}

/* ---- --user and --password ---------------------------------------------- */

/* The seed's origin (127.0.0.80) needs Basic auth, and links to a page of
 * its own, to another host (127.0.0.81), to another port of its host, and
 * to a redirect to the other host. */
struct auth_site {
	struct testsrv *seed_srv, *other_host, *other_port;
	struct testsrv_route seed_routes[4], other_routes[2], port_routes[1];
	char *home, *redirect_to;
};

static void auth_site_up(struct auth_site *s, const char *need)
{
	struct testsrv_reply page = { .body = HTML("other") };

	s->other_routes[0] = (struct testsrv_route){ "/page.html", page };
	s->other_routes[1] = (struct testsrv_route){ "/landing.html", page };
	s->port_routes[0] = (struct testsrv_route){ "/port.html", page };
	s->other_host = testsrv_start("127.0.0.81", s->other_routes, 2, NULL, NULL);
	s->other_port = testsrv_start("127.0.0.80", s->port_routes, 1, NULL, NULL);
	s->home = xasprintf(HTML("<a href='/private.html'>p</a>"
				 "<a href='http://127.0.0.81:%u/page.html'>o</a>"
				 "<a href='http://127.0.0.80:%u/port.html'>o</a>"
				 "<a href='/go'>r</a>"),
			    testsrv_port(s->other_host), testsrv_port(s->other_port));
	s->redirect_to = xasprintf("http://127.0.0.81:%u/landing.html",
				   testsrv_port(s->other_host));
	s->seed_routes[0] = (struct testsrv_route){ "/", { .body = s->home },
						    need, unauthorized };
	s->seed_routes[1] = (struct testsrv_route){ "/private.html",
						    { .body = HTML("mine") },
						    need, unauthorized };
	s->seed_routes[2] = (struct testsrv_route){ "/go",
						    { .status = 302,
						      .location = s->redirect_to },
						    need, unauthorized };
	s->seed_routes[3] = (struct testsrv_route){ "/robots.txt",
						    { .status = 404 }, need,
						    unauthorized };
	s->seed_srv = testsrv_start("127.0.0.80", s->seed_routes, 4, NULL, NULL);
}

static void auth_site_down(struct auth_site *s)
{
	testsrv_stop(s->seed_srv);
	testsrv_stop(s->other_host);
	testsrv_stop(s->other_port);
	free(s->home);
	free(s->redirect_to);
}

/* A file's whole text; the caller frees it. */
static char *slurp(FILE *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int c;

	cr_assert_not_null(m);
	rewind(f);
	while ((c = getc(f)) != EOF)
		putc(c, m);
	fclose(m);
	return buf;
}

Test(request, credentials_go_to_the_seeds_origin_and_nowhere_else)
{
	struct auth_site s;
	struct crawl_config cfg;
	struct run run;
	FILE *log = tmpfile();
	char *seed, *verbose, *urls[6];

	auth_site_up(&s, BASIC_ALICE);
	seed = testsrv_url(s.seed_srv, "/");
	run_config(&cfg, &seed, 1);
	cfg.scope.mode = SCOPE_ANY;
	cfg.user = "alice";
	cfg.password = "secret";
	cfg.verbose = true;
	cfg.log = log;
	run_crawl(&cfg, &run);

	urls[0] = seed;
	urls[1] = testsrv_url(s.seed_srv, "/private.html");
	urls[2] = testsrv_url(s.seed_srv, "/go");
	urls[3] = testsrv_url(s.other_host, "/page.html");
	urls[4] = testsrv_url(s.other_host, "/landing.html");
	urls[5] = testsrv_url(s.other_port, "/port.html");
	expect_urls(&run, (const char *const *)urls, N(urls));
	expect_rec(run_must_find(&run, urls[0]), 200, NULL);
	expect_rec(run_must_find(&run, urls[1]), 200, NULL);
	expect_rec(run_must_find(&run, urls[2]), 302, NULL);
	for (size_t i = 3; i < N(urls); i++)
		expect_rec(run_must_find(&run, urls[i]), 200, NULL);

	/* Every request to the seed's origin, robots.txt too, had them; none
	 * to another host (a link, a redirect's target) or another port. */
	cr_expect_eq(testsrv_nrequests(s.seed_srv), 4);
	cr_expect_eq(requests_with(s.seed_srv, BASIC_ALICE), 4);
	cr_expect_eq(testsrv_nrequests(s.other_host), 3, "robots.txt, two pages");
	cr_expect_eq(requests_with(s.other_host, "Authorization:"), 0);
	cr_expect_eq(testsrv_nrequests(s.other_port), 2, "robots.txt, one page");
	cr_expect_eq(requests_with(s.other_port, "Authorization:"), 0);

	/* Nor do they show in the records, the summary or the verbose lines. */
	for (size_t i = 0; i < run.n; i++) {
		char *line = json_dumps(run.recs[i], 0);

		cr_expect_null(strstr(line, "secret"), "%s", line);
		cr_expect_null(strstr(line, "YWxpY2U6"), "%s", line);
		free(line);
	}
	cr_expect_null(strstr(run.res.summary, "secret"));
	verbose = slurp(log);
	cr_expect_gt(strlen(verbose), 0, "verbose lines were written");
	cr_expect_null(strstr(verbose, "secret"), "%s", verbose);
	cr_expect_null(strstr(verbose, "YWxpY2U6"), "%s", verbose);
	free(verbose);
	fclose(log);
	for (size_t i = 0; i < N(urls); i++)
		free(urls[i]);
	run_free(&run);
	auth_site_down(&s);
}

Test(request, without_user_the_protected_seed_is_a_401_record)
{
	struct auth_site s;
	struct crawl_config cfg;
	struct run run;
	char *seed;

	auth_site_up(&s, BASIC_ALICE);
	seed = testsrv_url(s.seed_srv, "/");
	run_config(&cfg, &seed, 1);
	cfg.scope.mode = SCOPE_ANY;
	run_crawl(&cfg, &run);
	cr_expect_eq(run.n, 1);
	expect_rec(run_must_find(&run, seed), 401, NULL);
	cr_expect_eq(requests_with(s.seed_srv, "Authorization:"), 0);
	cr_expect_eq(testsrv_nrequests(s.other_host), 0);
	free(seed);
	run_free(&run);
	auth_site_down(&s);
}

Test(request, user_without_password_sends_an_empty_one)
{
	struct auth_site s;
	struct crawl_config cfg;
	struct run run;
	char *seed;

	auth_site_up(&s, BASIC_ALICE_EMPTY);
	seed = testsrv_url(s.seed_srv, "/");
	run_config(&cfg, &seed, 1);
	cfg.user = "alice";
	cfg.max_depth = 0;
	run_crawl(&cfg, &run);
	cr_expect_eq(run.n, 1);
	expect_rec(run_must_find(&run, seed), 200, NULL);
	cr_expect_eq(requests_with(s.seed_srv, BASIC_ALICE_EMPTY), 2,
		     "robots.txt and the seed");
	free(seed);
	run_free(&run);
	auth_site_down(&s);
}

/* ---- --load-cookies and --save-cookies ------------------------------------ */

/* A directory of the test's own under /tmp; the caller removes it. */
static char *temp_dir(void)
{
	char *dir = strdup("/tmp/reqopts-test-XXXXXX");

	cr_assert_not_null(dir);
	cr_assert_not_null(mkdtemp(dir));
	return dir;
}

static char *write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	return path;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;

	cr_assert_not_null(f, "cannot open %s", path);
	text = slurp(f);
	fclose(f);
	return text;
}

/* The jar line of cookie name=value for 127.0.0.1, as libcurl writes it:
 * domain, subdomains, path, secure, expiry, name, value. */
static bool has_cookie(const char *jar, const char *name, const char *value)
{
	char *tail = xasprintf("\t%s\t%s\n", name, value);
	bool found = false;

	for (const char *p = strstr(jar, tail); p && !found; p = strstr(p + 1, tail)) {
		const char *line = p;

		while (line > jar && line[-1] != '\n')
			line--;
		found = !strncmp(line, "127.0.0.1\tFALSE\t/\t", 18);
	}
	free(tail);
	return found;
}

Test(request, load_cookies_sends_the_files_cookies_and_save_cookies_writes_the_jar)
{
	const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/next.html'>n</a>"),
			 .headers = "Set-Cookie: fresh=made; Path=/; Max-Age=3600\n" },
		  "session=loaded", forbidden },
		{ "/next.html", { .body = HTML("n") }, "fresh=made", forbidden },
	};
	struct testsrv *srv = testsrv_start("127.0.0.1", routes, N(routes), NULL, NULL);
	char *dir = temp_dir();
	char *in = write_file(dir, "in.txt", "# Netscape HTTP Cookie File\n"
				  "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tloaded\n");
	char *out = xasprintf("%s/out.txt", dir), *jar;
	char *urls[] = { testsrv_url(srv, "/"), testsrv_url(srv, "/next.html") };
	struct crawl_config cfg;
	struct run run;
	struct stat st;

	run_config(&cfg, urls, 1);
	cfg.load_cookies = in;
	cfg.save_cookies = out;
	run_crawl(&cfg, &run);
	expect_urls(&run, (const char *const *)urls, N(urls));
	expect_rec(run_must_find(&run, urls[0]), 200, NULL);
	expect_rec(run_must_find(&run, urls[1]), 200, NULL);
	cr_expect_eq(run.res.cookies_errno, 0);
	cr_expect_eq(requests_with(srv, "session=loaded"), 3,
		     "robots.txt and both pages had the loaded cookie");

	jar = read_file(out);
	cr_expect_eq(strncmp(jar, "# Netscape HTTP Cookie File\n", 28), 0, "%s", jar);
	cr_expect(has_cookie(jar, "fresh", "made"), "the set cookie: %s", jar);
	cr_expect(has_cookie(jar, "session", "loaded"), "the loaded one: %s", jar);
	cr_assert_eq(stat(out, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);
	free(jar);

	/* The saved jar loads again: a second crawl gets past /next.html's
	 * check with no Set-Cookie of its own. */
	run_free(&run);
	run_config(&cfg, &urls[1], 1);
	cfg.load_cookies = out;
	run_crawl(&cfg, &run);
	expect_rec(run_must_find(&run, urls[1]), 200, NULL);
	run_free(&run);

	testsrv_stop(srv);
	unlink(in);
	unlink(out);
	rmdir(dir);
	free(urls[0]);
	free(urls[1]);
	free(in);
	free(out);
	free(dir);
}

Test(request, save_cookies_is_written_when_max_time_stops_the_crawl)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/slow.html'>s</a>"),
			 .headers = "Set-Cookie: early=bird; Path=/\n" } },
		{ "/slow.html", { .body = HTML("late"), .delay_ms = 20000 } },
	};
	struct testsrv *srv = testsrv_start("127.0.0.1", routes, N(routes), NULL, NULL);
	char *dir = temp_dir();
	char *out = xasprintf("%s/jar.txt", dir), *jar;
	char *seed = testsrv_url(srv, "/");
	struct crawl_config cfg;
	struct run run;

	run_config(&cfg, &seed, 1);
	cfg.save_cookies = out;
	cfg.max_time_ms = 1000;
	run_crawl(&cfg, &run);
	cr_expect_eq(run.res.stop, CRAWL_MAX_TIME);
	expect_record(srv, &run, "/slow.html", 0, "canceled");
	jar = read_file(out);
	cr_expect(has_cookie(jar, "early", "bird"), "%s", jar);
	free(jar);
	run_free(&run);
	testsrv_stop(srv);
	unlink(out);
	rmdir(dir);
	free(out);
	free(dir);
	free(seed);
}

Test(request, unreadable_cookie_file_or_unwritable_directory_is_refused_up_front)
{
	char *seed = "http://127.0.0.1:9/";
	struct crawl_config cfg;
	char err[256];

	run_config(&cfg, &seed, 1);
	cfg.load_cookies = "/nonexistent/reqopts-in.txt";
	cr_expect_null(crawl_new(&cfg, err, sizeof(err)));
	cr_expect(strstr(err, "/nonexistent/reqopts-in.txt"), "%s", err);
	cr_expect(strstr(err, "cannot read cookie file"), "%s", err);

	run_config(&cfg, &seed, 1);
	cfg.save_cookies = "/nonexistent/reqopts-out.txt";
	cr_expect_null(crawl_new(&cfg, err, sizeof(err)));
	cr_expect(strstr(err, "/nonexistent/reqopts-out.txt"), "%s", err);
	cr_expect(strstr(err, "cannot write cookie file"), "%s", err);
}

/* ---- --limit-rate ---------------------------------------------------------- */

Test(request, limit_rate_holds_a_transfer_to_the_rate_and_fetches_the_same_set)
{
	enum { SIZE = 1024 * 1024, RATE = 256 * 1024 };
	char *big = malloc(SIZE);
	struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/big.bin'>b</a><a href='/a.html'>a</a>") } },
		{ "/a.html", { .body = HTML("a") } },
		{ "/big.bin", { .content_type = "application/octet-stream",
				.body = big, .body_len = SIZE } },
	};
	struct testsrv *srv;
	char *urls[3];
	struct crawl_config cfg;
	struct run run;
	json_t *r;

	cr_assert_not_null(big);
	memset(big, 'x', SIZE);
	srv = testsrv_start("127.0.0.1", routes, N(routes), NULL, NULL);
	urls[0] = testsrv_url(srv, "/");
	urls[1] = testsrv_url(srv, "/a.html");
	urls[2] = testsrv_url(srv, "/big.bin");
	run_config(&cfg, urls, 1);
	cfg.limit_rate = RATE;
	run_crawl(&cfg, &run);
	expect_urls(&run, (const char *const *)urls, N(urls));
	r = run_must_find(&run, urls[2]);
	expect_rec(r, 200, NULL);
	cr_expect_eq(rec_int(r, "bytes"), SIZE);
	/* 4 s at the rate; libcurl lets a burst through before it holds the
	 * transfer back, so only a lower bound with room to spare (a slow
	 * machine only makes it longer). */
	cr_expect_geq(rec_int(r, "elapsed_ms"), 1500, "1 MiB at 256 KiB/s in %lld ms",
		      rec_int(r, "elapsed_ms"));
	run_free(&run);
	testsrv_stop(srv);
	for (size_t i = 0; i < N(urls); i++)
		free(urls[i]);
	free(big);
}

/* ---- --accept-type and --reject-type -------------------------------------- */

struct typed_site {
	struct testsrv *srv;
	char *big;
	char *home, *png, *pdf;
};

enum { PNG_BYTES = 8 * 1024 * 1024 };

static const char pdf_body[] = "%PDF-1.4\n%%EOF\n";

static void typed_site_up(struct typed_site *s, struct testsrv_route *routes)
{
	s->big = malloc(PNG_BYTES);
	cr_assert_not_null(s->big);
	memset(s->big, 0x89, PNG_BYTES);
	routes[0] = (struct testsrv_route){ "/", { .body = HTML(
		"<img src='/logo.png'><a href='/doc.pdf'>d</a>") } };
	routes[1] = (struct testsrv_route){ "/logo.png", {
		.content_type = "image/png", .body = s->big, .body_len = PNG_BYTES } };
	routes[2] = (struct testsrv_route){ "/doc.pdf", {
		.content_type = "Application/PDF; qs=0.9", .body = pdf_body } };
	s->srv = testsrv_start("127.0.0.1", routes, 3, NULL, NULL);
	s->home = testsrv_url(s->srv, "/");
	s->png = testsrv_url(s->srv, "/logo.png");
	s->pdf = testsrv_url(s->srv, "/doc.pdf");
}

static void typed_site_down(struct typed_site *s)
{
	testsrv_stop(s->srv);
	free(s->big);
	free(s->home);
	free(s->png);
	free(s->pdf);
}

Test(request, reject_type_records_the_url_and_downloads_no_body)
{
	struct testsrv_route routes[3];
	struct typed_site s;
	char *reject[] = { "image/*" };
	struct crawl_config cfg;
	struct run run;
	json_t *png;

	typed_site_up(&s, routes);
	run_config(&cfg, &s.home, 1);
	cfg.resources = true;
	cfg.types = (struct mediatype_filter){ .reject = reject, .nreject = 1 };
	run_crawl(&cfg, &run);
	expect_urls(&run, (const char *const[]){ s.home, s.png, s.pdf }, 3);
	expect_rec(run_must_find(&run, s.home), 200, NULL);
	expect_rec(run_must_find(&run, s.pdf), 200, NULL);
	cr_expect_eq(rec_int(run_must_find(&run, s.pdf), "bytes"),
		     (long long)strlen(pdf_body));
	png = run_must_find(&run, s.png);
	expect_rec(png, 200, "type_rejected");
	cr_expect_str_eq(rec_str(png, "content_type"), "image/png");
	cr_expect_eq(rec_int(png, "bytes"), 0, "the 8 MiB body was not read");
	cr_assert_not_null(rec_err_msg(png));
	cr_expect(strstr(rec_err_msg(png), "--reject-type"), "%s", rec_err_msg(png));
	cr_expect_eq(rec_int(png, "attempts"), 1);
	cr_expect_eq(testsrv_hits(s.srv, "/logo.png"), 1, "requested once, no retry");
	cr_expect_eq(run.res.stats.by_err[RECORD_ERR_TYPE_REJECTED], 1);
	cr_expect_lt(run.res.stats.bytes, 65536, "the summary counted %llu bytes",
		     (unsigned long long)run.res.stats.bytes);
	run_free(&run);
	typed_site_down(&s);
}

Test(request, accept_type_downloads_only_its_types)
{
	struct testsrv_route routes[3];
	struct typed_site s;
	char *accept[] = { "text/html", "image/*" };
	struct crawl_config cfg;
	struct run run;
	json_t *pdf;

	typed_site_up(&s, routes);
	run_config(&cfg, &s.home, 1);
	cfg.resources = true;
	cfg.types = (struct mediatype_filter){ .accept = accept, .naccept = 2 };
	run_crawl(&cfg, &run);
	expect_urls(&run, (const char *const[]){ s.home, s.png, s.pdf }, 3);
	expect_rec(run_must_find(&run, s.home), 200, NULL);
	expect_rec(run_must_find(&run, s.png), 200, NULL);
	cr_expect_eq(rec_int(run_must_find(&run, s.png), "bytes"), PNG_BYTES);
	pdf = run_must_find(&run, s.pdf);
	expect_rec(pdf, 200, "type_rejected");
	cr_expect_eq(rec_int(pdf, "bytes"), 0);
	cr_assert_not_null(rec_err_msg(pdf));
	cr_expect(strstr(rec_err_msg(pdf), "not in --accept-type"), "%s",
		  rec_err_msg(pdf));
	run_free(&run);
	typed_site_down(&s);
}

Test(request, robots_txt_redirects_and_error_statuses_are_never_judged_by_type)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/moved'>m</a><a href='/gone'>g</a>"
				      "<a href='/private/x'>p</a><a href='/notes.txt'>n</a>") } },
		{ "/robots.txt", { .content_type = "text/plain",
				   .body = "User-agent: *\nDisallow: /private/\n" } },
		{ "/moved", { .status = 301, .location = "/target.html",
			      .content_type = "text/plain", .body = "moved\n" } },
		{ "/target.html", { .body = HTML("here") } },
		{ "/gone", { .status = 404, .content_type = "text/plain",
			     .body = "gone\n" } },
		{ "/notes.txt", { .content_type = "text/plain", .body = "notes\n" } },
	};
	struct testsrv *srv = testsrv_start("127.0.0.1", routes, N(routes), NULL, NULL);
	char *seed = testsrv_url(srv, "/");
	char *reject[] = { "text/plain" };
	struct crawl_config cfg;
	struct run run;

	run_config(&cfg, &seed, 1);
	cfg.types = (struct mediatype_filter){ .reject = reject, .nreject = 1 };
	run_crawl(&cfg, &run);
	cr_expect_eq(run.n, 6, "records: %zu", run.n);
	expect_record(srv, &run, "/", 200, NULL);
	expect_record(srv, &run, "/moved", 301, NULL);
	expect_record(srv, &run, "/target.html", 200, NULL);
	expect_record(srv, &run, "/gone", 404, NULL);
	/* robots.txt (text/plain) was read and obeyed. */
	expect_record(srv, &run, "/private/x", 0, "robots");
	expect_record(srv, &run, "/notes.txt", 200, "type_rejected");
	run_free(&run);
	testsrv_stop(srv);
	free(seed);
}

Test(request, a_jar_that_cannot_be_written_is_reported_and_leaves_no_temporary_file)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("x"), .headers = "Set-Cookie: a=b\n" } },
	};
	struct testsrv *srv = testsrv_start("127.0.0.1", routes, N(routes), NULL, NULL);
	char *dir = temp_dir();
	char *jar = xasprintf("%s/jar", dir); /* a directory: no file goes there */
	char *seed = testsrv_url(srv, "/");
	struct crawl_config cfg;
	struct run run;
	DIR *d;
	struct dirent *e;
	size_t entries = 0;

	cr_assert_eq(mkdir(jar, 0700), 0);
	run_config(&cfg, &seed, 1);
	cfg.save_cookies = jar;
	run_crawl(&cfg, &run);
	expect_record(srv, &run, "/", 200, NULL);
	cr_expect_neq(run.res.cookies_errno, 0, "renaming over a directory fails");
	d = opendir(dir);
	cr_assert_not_null(d);
	while ((e = readdir(d)))
		entries += e->d_name[0] != '.';
	closedir(d);
	cr_expect_eq(entries, 1, "only the directory itself: no temporary file");
	run_free(&run);
	testsrv_stop(srv);
	rmdir(jar);
	rmdir(dir);
	free(jar);
	free(dir);
	free(seed);
}
