/* testsrv_test: the test support itself, which every integration test
 * trusts: testsrv answers routes as written and counts what it was asked,
 * and the generated site serves exactly the link graph site_links reports.
 * Fetches go through libcurl's easy interface, never through the crawler. */
#include "site.h"
#include "testsrv.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_LINKS 64

struct fetched {
	CURLcode rc;
	long status;
	char *body;
	size_t len;
	char *headers;
	size_t hlen;
};

static void curl_setup(void)
{
	/* Once, before any test starts threads that make easy handles. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void curl_teardown(void)
{
	curl_global_cleanup();
}

/* No .timeout: Criterion 2.4.1's runner then leaks under LeakSanitizer
 * when tests run in parallel. Every fetch has its own time limit instead. */
TestSuite(testsrv, .init = curl_setup, .fini = curl_teardown);
TestSuite(site, .init = curl_setup, .fini = curl_teardown);

static size_t append(char **buf, size_t *len, const char *data, size_t n)
{
	char *p = realloc(*buf, *len + n + 1);

	cr_assert_not_null(p);
	memcpy(p + *len, data, n);
	*len += n;
	p[*len] = '\0';
	*buf = p;
	return n;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct fetched *f = arg;

	return append(&f->body, &f->len, data, size * n);
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct fetched *f = arg;

	return append(&f->headers, &f->hlen, data, size * n);
}

/* An easy handle that cannot hang a test; tests may shorten the limit. */
static CURL *handle(void)
{
	CURL *h = curl_easy_init();

	cr_assert_not_null(h);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 20000L);
	return h;
}

static void fetch_with(CURL *h, const char *url, struct fetched *f)
{
	*f = (struct fetched){ 0 };
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, f);
	f->rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &f->status);
}

/* GET url on a connection of its own, without following redirects. */
static struct fetched fetch(const char *url)
{
	struct fetched f;
	CURL *h = handle();

	fetch_with(h, url, &f);
	curl_easy_cleanup(h);
	return f;
}

static struct fetched fetch_path(const struct testsrv *s, const char *path)
{
	char *url = testsrv_url(s, path);
	struct fetched f = fetch(url);

	free(url);
	return f;
}

static void fetched_free(struct fetched *f)
{
	free(f->body);
	free(f->headers);
}

/* The value of header name in f, or NULL; malloc'd. */
static char *header(const struct fetched *f, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = f->headers; p && *p; p = strchr(p, '\n') + 1) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1 + strspn(p + n + 1, " ");
			return strndup(p, strcspn(p, "\r\n"));
		}
		if (!strchr(p, '\n'))
			break;
	}
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(testsrv, answers_a_route_with_its_status_body_and_headers)
{
	static const struct testsrv_route routes[] = {
		{ "/a?x=1", { .status = 203, .content_type = "text/plain",
			      .body = "hello",
			      .headers = "X-One: 1\nX-Two:  two\n" } },
		{ "/moved", { .status = 301, .location = "/a?x=1" } },
	};
	struct testsrv *s = testsrv_start("127.0.0.1", routes, 2, NULL, NULL);
	struct fetched f = fetch_path(s, "/a?x=1");
	char *type = header(&f, "Content-Type");
	char *one = header(&f, "X-One"), *two = header(&f, "x-two");

	cr_assert_eq(f.rc, CURLE_OK);
	cr_assert_eq(f.status, 203);
	cr_assert_str_eq(f.body, "hello");
	cr_assert_str_eq(type, "text/plain");
	cr_assert_str_eq(one, "1");
	cr_assert_str_eq(two, "two");
	free(type);
	free(one);
	free(two);
	fetched_free(&f);

	f = fetch_path(s, "/moved");
	type = header(&f, "Content-Type");
	one = header(&f, "Location");
	cr_assert_eq(f.status, 301);
	cr_assert_str_eq(type, "text/html; charset=utf-8");
	cr_assert_str_eq(one, "/a?x=1");
	cr_assert_eq(f.len, 0);
	free(type);
	free(one);
	fetched_free(&f);
	testsrv_stop(s);
}

Test(testsrv, answers_404_with_html_when_no_route_matches)
{
	static const struct testsrv_route routes[] = {
		{ "/a?x=1", { .body = "a" } },
	};
	struct testsrv *s = testsrv_start("127.0.0.2", routes, 1, NULL, NULL);
	struct fetched f = fetch_path(s, "/a");
	char *url = testsrv_url(s, "/a");

	cr_assert_eq(f.status, 404, "the query is part of the match");
	cr_assert_not_null(strstr(f.body, "<html>"));
	cr_assert_eq(strncmp(url, "http://127.0.0.2:", 17), 0);
	free(url);
	fetched_free(&f);
	testsrv_stop(s);
}

Test(testsrv, answers_head_without_a_body)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = "home page" } },
	};
	struct testsrv *s = testsrv_start("127.0.0.1", routes, 1, NULL, NULL);
	char *url = testsrv_url(s, "/");
	CURL *h = handle();
	struct fetched f;

	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	fetch_with(h, url, &f);
	cr_assert_eq(f.rc, CURLE_OK);
	cr_assert_eq(f.status, 200);
	cr_assert_eq(f.len, 0);
	cr_assert_eq(testsrv_hits(s, "/"), 1);
	fetched_free(&f);
	curl_easy_cleanup(h);
	free(url);
	testsrv_stop(s);
}

Test(testsrv, counts_every_request_to_a_path)
{
	static const struct testsrv_route routes[] = {
		{ "/a", { .body = "a" } },
		{ "/b?q=1&r=2", { .body = "b" } },
	};
	struct testsrv *s = testsrv_start("127.0.0.1", routes, 2, NULL, NULL);
	struct fetched f;

	for (int i = 0; i < 3; i++) {
		f = fetch_path(s, "/a");
		fetched_free(&f);
	}
	f = fetch_path(s, "/b?q=1&r=2");
	fetched_free(&f);
	f = fetch_path(s, "/nowhere");
	fetched_free(&f);

	cr_assert_eq(testsrv_hits(s, "/a"), 3);
	cr_assert_eq(testsrv_hits(s, "/b?q=1&r=2"), 1);
	cr_assert_eq(testsrv_hits(s, "/b"), 0, "hits match the query too");
	cr_assert_eq(testsrv_hits(s, "/nowhere"), 1, "404s are logged");
	cr_assert_eq(testsrv_nrequests(s), 5);
	testsrv_stop(s);
}

Test(testsrv, logs_path_agent_time_and_connection_in_order)
{
	static const struct testsrv_route routes[] = {
		{ "/x", { .body = "x" } },
	};
	struct testsrv *s = testsrv_start("127.0.0.1", routes, 1, NULL, NULL);
	char *url = testsrv_url(s, "/x");
	char *url2 = testsrv_url(s, "/y?k=v");
	CURL *h = handle();
	struct testsrv_request *log;
	struct fetched f;
	size_t n;

	curl_easy_setopt(h, CURLOPT_USERAGENT, "tester/1.0");
	fetch_with(h, url, &f);
	fetched_free(&f);
	fetch_with(h, url2, &f); /* same handle: the connection is reused */
	fetched_free(&f);
	curl_easy_cleanup(h);
	f = fetch(url); /* a new handle: a new connection, no agent */
	fetched_free(&f);

	n = testsrv_log(s, &log);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(log[0].path, "/x");
	cr_assert_str_eq(log[1].path, "/y?k=v");
	cr_assert_str_eq(log[2].path, "/x");
	cr_assert_str_eq(log[0].user_agent, "tester/1.0");
	cr_assert_null(log[2].user_agent);
	cr_assert_eq(log[0].conn, 1);
	cr_assert_eq(log[1].conn, 1, "keep-alive keeps the number");
	cr_assert_eq(log[2].conn, 2);
	cr_assert(log[0].at_ns <= log[1].at_ns && log[1].at_ns <= log[2].at_ns);
	testsrv_log_free(log, n);
	free(url);
	free(url2);
	testsrv_stop(s);
}

static void *fetch_thread(void *url)
{
	struct fetched f = fetch(url);
	long status = f.status;

	fetched_free(&f);
	return (void *)status;
}

Test(testsrv, delays_one_connection_without_stalling_the_others)
{
	static const struct testsrv_route routes[] = {
		{ "/slow", { .body = "slow", .delay_ms = 400 } },
	};
	struct testsrv *s = testsrv_start("127.0.0.1", routes, 1, NULL, NULL);
	char *url = testsrv_url(s, "/slow");
	pthread_t t[4];
	int64_t start = now_ms();

	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, fetch_thread, url), 0);
	for (int i = 0; i < 4; i++) {
		void *status;

		pthread_join(t[i], &status);
		cr_assert_eq((long)status, 200);
	}
	cr_assert_geq(now_ms() - start, 400);
	cr_assert_lt(now_ms() - start, 1400, "the delays overlapped");
	cr_assert_eq(testsrv_peak_connections(s), 4);
	cr_assert_eq(testsrv_hits(s, "/slow"), 4);
	free(url);
	testsrv_stop(s);
}

Test(testsrv, survives_a_client_that_gives_up_and_stops_promptly)
{
	static const struct testsrv_route routes[] = {
		{ "/never", { .body = "late", .delay_ms = 5000 } },
		{ "/now", { .body = "now" } },
	};
	struct testsrv *s = testsrv_start("127.0.0.1", routes, 2, NULL, NULL);
	char *url = testsrv_url(s, "/never");
	CURL *h = handle();
	struct fetched f;
	int64_t start;

	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 200L);
	fetch_with(h, url, &f);
	cr_assert_eq(f.rc, CURLE_OPERATION_TIMEDOUT);
	fetched_free(&f);
	curl_easy_cleanup(h);

	f = fetch_path(s, "/now");
	cr_assert_eq(f.status, 200);
	fetched_free(&f);

	start = now_ms();
	testsrv_stop(s);
	cr_assert_lt(now_ms() - start, 2000, "stop cut the delay short");
	free(url);
}

/* The hrefs of the <a> tags in html, in order; good enough for the
 * generated pages, which write every attribute in double quotes. */
static size_t scan_hrefs(const char *html, char (*out)[256], size_t max)
{
	size_t n = 0;

	for (const char *p = strstr(html, "<a "); p; p = strstr(p + 1, "<a ")) {
		const char *end = strchr(p, '>');
		const char *h = strstr(p, "href=\"");

		if (!h || !end || h > end)
			continue;
		h += 6;
		cr_assert_lt(n, max);
		snprintf(out[n++], 256, "%.*s", (int)strcspn(h, "\""), h);
	}
	return n;
}

/* Resolve href against base and give its path, as a crawler would. */
static void resolve(const char *base, const char *href, char *path, size_t size)
{
	CURLU *u = curl_url();
	char *p = NULL;

	cr_assert_not_null(u);
	cr_assert_eq(curl_url_set(u, CURLUPART_URL, base, 0), CURLUE_OK);
	/* RFC 3986 5.4: a fragment-only reference is the base itself. */
	if (href[0] != '#')
		cr_assert_eq(curl_url_set(u, CURLUPART_URL, href, 0), CURLUE_OK,
			     "href %s", href);
	cr_assert_eq(curl_url_get(u, CURLUPART_PATH, &p, 0), CURLUE_OK);
	snprintf(path, size, "%s", p);
	curl_free(p);
	curl_url_cleanup(u);
}

struct served_site {
	struct site site;
	struct testsrv *srv;
	char origin[64];
};

static void serve_site(struct served_site *ss, size_t pages, size_t links)
{
	char *url;

	ss->site = (struct site){ .seed = 42, .pages = pages, .links = links,
				  .page_bytes = 3000, .specials = true };
	ss->srv = testsrv_start("127.0.0.1", NULL, 0, site_handler, &ss->site);
	url = testsrv_url(ss->srv, "");
	snprintf(ss->origin, sizeof(ss->origin), "%s", url);
	ss->site.origin = ss->origin; /* before the first request */
	free(url);
}

static void check_page_links(struct served_site *ss, size_t i)
{
	char want[MAX_LINKS][64], got[MAX_LINKS][256], path[256];
	char page[64];
	size_t nwant, ngot;
	struct fetched f;

	snprintf(page, sizeof(page), "/p/%zu.html", i);
	f = fetch_path(ss->srv, page);
	cr_assert_eq(f.status, 200, "%s", page);
	cr_assert_not_null(strstr(f.body, "<img "), "images are there too");
	nwant = site_links(&ss->site, i, want, MAX_LINKS);
	ngot = scan_hrefs(f.body, got, MAX_LINKS);
	cr_assert_eq(nwant, ss->site.links);
	cr_assert_eq(ngot, nwant, "%s: %zu hrefs, %zu links", page, ngot,
		     nwant);
	for (size_t j = 0; j < ngot; j++) {
		char *base = testsrv_url(ss->srv, page);

		resolve(base, got[j], path, sizeof(path));
		cr_assert_str_eq(path, want[j], "%s link %zu: %s", page, j,
				 got[j]);
		free(base);
	}
	fetched_free(&f);
}

Test(site, links_agree_with_the_served_html)
{
	struct served_site ss;

	serve_site(&ss, 80, 13);
	for (size_t i = 0; i < 80; i++)
		check_page_links(&ss, i);
	testsrv_stop(ss.srv);
}

Test(site, root_serves_page_zero_whose_links_work_from_there)
{
	struct served_site ss;
	char want[MAX_LINKS][64], got[MAX_LINKS][256], path[256];
	struct fetched root, zero;
	size_t n;

	serve_site(&ss, 30, 8);
	root = fetch_path(ss.srv, "/");
	zero = fetch_path(ss.srv, "/p/0.html");
	cr_assert_eq(root.status, 200);
	cr_assert_str_eq(root.body, zero.body);
	n = site_links(&ss.site, 0, want, MAX_LINKS);
	cr_assert_eq(scan_hrefs(root.body, got, MAX_LINKS), n);
	for (size_t j = 0; j < n; j++) {
		resolve(ss.origin, got[j], path, sizeof(path));
		cr_assert_str_eq(path, want[j], "link %zu: %s", j, got[j]);
		cr_assert_str_neq(path, "/");
	}
	fetched_free(&root);
	fetched_free(&zero);
	testsrv_stop(ss.srv);
}

Test(site, status_matches_what_the_server_answers)
{
	static const char *const paths[] = {
		"/", "/p/0.html", "/p/29.html", "/p/30.html", "/p/01.html",
		"/p/3.htm", "/p/3.html?x=1", "/missing/3.html", "/r/5", "/r2/5",
		"/r/99", "/loop/a", "/loop/b", "/files/2.bin", "/files/99.bin",
		"/img/1.png", "/nothing",
	};
	struct served_site ss;

	serve_site(&ss, 30, 8);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char loc[64] = "";
		unsigned want = site_status(&ss.site, paths[i], loc);
		struct fetched f = fetch_path(ss.srv, paths[i]);
		char *got = header(&f, "Location");

		cr_assert_eq(f.status, want, "%s: %ld, want %u", paths[i],
			     f.status, want);
		if (want == 301 || want == 302)
			cr_assert_str_eq(got, loc, "%s", paths[i]);
		else
			cr_assert_null(got, "%s", paths[i]);
		free(got);
		fetched_free(&f);
	}
	testsrv_stop(ss.srv);
}

Test(site, specials_redirect_loop_and_serve_binary)
{
	struct site site = { .seed = 7, .pages = 10, .links = 6,
			     .specials = true };
	char loc[64];

	cr_assert_eq(site_status(&site, "/r/5", loc), 301);
	cr_assert_str_eq(loc, "/r2/5");
	cr_assert_eq(site_status(&site, "/r2/5", loc), 302);
	cr_assert_str_eq(loc, "/p/5.html");
	cr_assert_eq(site_status(&site, "/loop/a", loc), 301);
	cr_assert_str_eq(loc, "/loop/b");
	cr_assert_eq(site_status(&site, "/loop/b", loc), 301);
	cr_assert_str_eq(loc, "/loop/a");
	cr_assert_eq(site_status(&site, "/missing/1.html", loc), 404);
	site.specials = false;
	cr_assert_eq(site_status(&site, "/r/5", loc), 404);
	cr_assert_eq(site_status(&site, "/files/1.bin", loc), 404);
}

Test(site, files_are_binary_not_html)
{
	struct served_site ss;
	struct fetched f;
	char *type;

	serve_site(&ss, 30, 8);
	f = fetch_path(ss.srv, "/files/2.bin");
	type = header(&f, "Content-Type");
	cr_assert_eq(f.status, 200);
	cr_assert_str_eq(type, "application/octet-stream");
	cr_assert_geq(f.len, 200);
	cr_assert_lt(f.len, 1024);
	cr_assert_neq(memchr(f.body, '\0', f.len), NULL);
	cr_assert_null(strstr(f.body, "<html"));
	free(type);
	fetched_free(&f);
	testsrv_stop(ss.srv);
}

Test(site, every_page_is_reachable_and_every_special_is_linked)
{
	struct site site = { .seed = 3, .pages = 200, .links = 8,
			     .page_bytes = 100, .specials = true };
	char links[MAX_LINKS][64];
	bool seen[200] = { false };
	bool kinds[4] = { false };
	size_t queue[200], head = 0, tail = 0;

	seen[0] = true;
	queue[tail++] = 0;
	while (head < tail) {
		size_t i = queue[head++];
		size_t n = site_links(&site, i, links, MAX_LINKS);

		for (size_t j = 0; j < n; j++) {
			size_t to;

			kinds[0] |= strncmp(links[j], "/missing/", 9) == 0;
			kinds[1] |= strncmp(links[j], "/r/", 3) == 0;
			kinds[2] |= strcmp(links[j], "/loop/a") == 0;
			kinds[3] |= strncmp(links[j], "/files/", 7) == 0;
			if (sscanf(links[j], "/p/%zu.html", &to) != 1)
				continue;
			cr_assert_lt(to, 200);
			if (!seen[to]) {
				seen[to] = true;
				queue[tail++] = to;
			}
		}
	}
	cr_assert_eq(tail, 200);
	for (int k = 0; k < 4; k++)
		cr_assert(kinds[k], "special kind %d never linked", k);
}

Test(site, same_seed_same_site_other_seed_other_links)
{
	struct site a = { .seed = 1, .pages = 50, .links = 10 };
	struct site b = a;
	char la[MAX_LINKS][64], lb[MAX_LINKS][64];
	size_t differ = 0;

	for (size_t i = 0; i < 50; i++) {
		site_links(&a, i, la, MAX_LINKS);
		site_links(&b, i, lb, MAX_LINKS);
		cr_assert_eq(memcmp(la, lb, 10 * sizeof(la[0])), 0);
	}
	b.seed = 2;
	for (size_t i = 0; i < 50; i++) {
		site_links(&a, i, la, MAX_LINKS);
		site_links(&b, i, lb, MAX_LINKS);
		differ += memcmp(la, lb, 10 * sizeof(la[0])) != 0;
	}
	cr_assert_gt(differ, 40);
}
