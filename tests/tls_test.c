/* tls_test: crawls over real TLS. A CA made for the test (testca) signs
 * the server's certificate; testsrv serves a small site over HTTPS in the
 * test process, and nginx serves one over HTTP/2. Nothing is mocked: each
 * test shows what libcurl and the crawler make of a certificate they
 * trust, one they do not, and a server that wants a client certificate.
 *
 * The site: / links to /a.html, /b.html and /private/x.html, which
 * robots.txt disallows; /a.html links to /c.html. A crawl that trusts the
 * server records those five URLs and asks for exactly four pages and
 * robots.txt, once each. One that does not asks for nothing: the handshake
 * fails first, robots.txt's included, and the seeds are recorded as tls.
 *
 * The environment tests go through options_parse, where the CA variables
 * are read; Criterion runs each test in its own process, so setenv stays
 * in it. This machine's environment may set all three, so each test
 * clears them first. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crawl.h"
#include "crawlrun.h"
#include "nginxsrv.h"
#include "options.h"
#include "testca.h"
#include "testsrv.h"

TestSuite(tls, .init = run_setup, .timeout = 60);

#define IP "127.0.0.70"
#define NGINX_IP "127.0.0.79"
#define HOSTS IP " localhost"

static const char robots[] = "User-agent: *\nDisallow: /private/\n";

static const struct testsrv_route site[] = {
	{ "/robots.txt", { .content_type = "text/plain", .body = robots } },
	{ "/", { .body = "<a href=\"/a.html\">a</a> <a href=\"/b.html\">b</a> "
			 "<a href=\"/private/x.html\">x</a>" } },
	{ "/a.html", { .body = "<a href=\"c.html\">c</a>" } },
	{ "/b.html", { .body = "<title>b</title>" } },
	{ "/c.html", { .body = "<title>c</title>" } },
	{ "/private/x.html", { .body = "never asked for" } },
};

static const char *const fetched[] = { "/robots.txt", "/", "/a.html", "/b.html",
				       "/c.html" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A TLS server of the site, and what it was made with. */
struct tls_site {
	struct testca *ca;
	struct testca_cert *cert;  /* the server's */
	struct testca_cert *client; /* one for the crawler, or NULL */
	struct testsrv_tls tls;
	struct testsrv *srv;
	char *seed;
};

/* Serve the site with a certificate of a new CA for names; expired as
 * testca_issue. client_auth: the server requires a client certificate of
 * the same CA, and s->client is one. */
static void site_up(struct tls_site *s, const char *names, bool expired,
		    bool client_auth)
{
	s->ca = testca_new("crawler test CA");
	s->cert = testca_issue(s->ca, "server", names, TESTCA_SERVER, expired);
	s->client = client_auth ? testca_issue(s->ca, "client", "crawler.example",
					       TESTCA_CLIENT, false) : NULL;
	s->tls = (struct testsrv_tls){
		.cert_pem = s->cert->cert_pem,
		.key_pem = s->cert->key_pem,
		.client_ca_pem = client_auth ? s->ca->cert_pem : NULL,
	};
	s->srv = testsrv_start_tls(IP, &s->tls, site, N(site), NULL, NULL);
	s->seed = testsrv_url(s->srv, "/");
}

static void site_down(struct tls_site *s)
{
	testsrv_stop(s->srv);
	testca_cert_free(s->cert);
	testca_cert_free(s->client);
	testca_free(s->ca);
	free(s->seed);
}


/* The trusting crawl: the five records, and each page and robots.txt
 * asked for once, nothing else. */
static void expect_site_crawled(struct testsrv *srv, const struct run *run)
{
	cr_expect_eq(run->n, 5, "%zu records", run->n);
	expect_record(srv, run, "/", 200, NULL);
	expect_record(srv, run, "/a.html", 200, NULL);
	expect_record(srv, run, "/b.html", 200, NULL);
	expect_record(srv, run, "/c.html", 200, NULL);
	expect_record(srv, run, "/private/x.html", 0, "robots");
	for (size_t i = 0; i < N(fetched); i++)
		cr_expect_eq(testsrv_hits(srv, fetched[i]), 1, "%s asked for %zu times",
			     fetched[i], testsrv_hits(srv, fetched[i]));
	cr_expect_eq(testsrv_nrequests(srv), N(fetched), "%zu requests",
		     testsrv_nrequests(srv));
}

/* The distrusting crawl: the seed alone, as tls with libcurl's message
 * (which has want in it), and no request reached the server. */
static void expect_tls_error(struct testsrv *srv, const struct run *run,
			     const char *want)
{
	json_t *r;

	cr_assert_eq(run->n, 1, "%zu records", run->n);
	r = record_at(srv, run, "/");
	expect_rec(r, 0, "tls");
	cr_expect(rec_err_msg(r) && strstr(rec_err_msg(r), want),
		  "message \"%s\" lacks \"%s\"", rec_err_msg(r), want);
	cr_expect_eq(testsrv_nrequests(srv), 0);
}

static void crawl_with(struct tls_site *s, const char *ca_file, const char *ca_dir,
		       struct run *run)
{
	struct crawl_config cfg;

	run_config(&cfg, &s->seed, 1);
	cfg.ca_file = ca_file;
	cfg.ca_dir = ca_dir;
	run_crawl(&cfg, run);
}

/* ---- which CAs are trusted ------------------------------------------------ */

Test(tls, own_ca_unknown_to_the_system_is_a_tls_error_robots_txt_included)
{
	struct tls_site s;
	struct run run;

	site_up(&s, HOSTS, false, false);
	crawl_with(&s, NULL, NULL, &run);
	/* robots.txt failed the same way, so the seed is recorded with its
	 * error and not requested. */
	expect_tls_error(s.srv, &run, "unable to get local issuer certificate");
	cr_expect(strstr(rec_err_msg(record_at(s.srv, &run, "/")), "robots.txt"));
	run_free(&run);
	site_down(&s);
}

Test(tls, own_ca_unknown_without_robots_is_a_tls_error_not_retried)
{
	struct tls_site s;
	struct crawl_config cfg;
	struct run run;

	site_up(&s, HOSTS, false, false);
	run_config(&cfg, &s.seed, 1);
	cfg.robots = false;
	run_crawl(&cfg, &run);
	expect_tls_error(s.srv, &run, "unable to get local issuer certificate");
	cr_expect_eq(rec_int(record_at(s.srv, &run, "/"), "attempts"), 1,
		     "a certificate refused is no transient failure");
	run_free(&run);
	site_down(&s);
}

Test(tls, ca_certificate_fetches_exactly_the_site)
{
	struct tls_site s;
	struct run run;

	site_up(&s, HOSTS, false, false);
	crawl_with(&s, s.ca->cert, NULL, &run);
	expect_site_crawled(s.srv, &run);
	run_free(&run);
	site_down(&s);
}

Test(tls, ca_certificate_of_another_ca_is_a_tls_error)
{
	struct tls_site s;
	struct testca *other = testca_new("another CA");
	struct run run;

	site_up(&s, HOSTS, false, false);
	crawl_with(&s, other->cert, NULL, &run);
	expect_tls_error(s.srv, &run, "unable to get local issuer certificate");
	run_free(&run);
	site_down(&s);
	testca_free(other);
}

Test(tls, ca_directory_hashed_by_openssl_fetches_exactly_the_site)
{
	struct tls_site s;
	struct run run;
	char *dir;

	site_up(&s, HOSTS, false, false);
	dir = testca_hashed_dir(s.ca);
	crawl_with(&s, NULL, dir, &run);
	expect_site_crawled(s.srv, &run);
	run_free(&run);
	free(dir);
	site_down(&s);
}

Test(tls, ca_directory_without_hash_names_trusts_nothing)
{
	struct tls_site s;
	struct run run;

	/* The CA's own directory holds ca.pem, but no <hash>.0 link to it:
	 * OpenSSL looks certificates up by subject hash only. */
	site_up(&s, HOSTS, false, false);
	crawl_with(&s, NULL, s.ca->dir, &run);
	expect_tls_error(s.srv, &run, "unable to get local issuer certificate");
	run_free(&run);
	site_down(&s);
}

Test(tls, ca_directory_list_is_searched_in_every_directory)
{
	struct tls_site s;
	struct run run;
	char *hashed, *list;

	site_up(&s, HOSTS, false, false);
	hashed = testca_hashed_dir(s.ca);
	cr_assert_geq(asprintf(&list, "%s:%s", s.ca->dir, hashed), 0);
	crawl_with(&s, NULL, list, &run);
	expect_site_crawled(s.srv, &run);
	run_free(&run);
	free(list);
	free(hashed);
	site_down(&s);
}

Test(tls, ca_certificate_and_directory_are_both_trusted)
{
	struct tls_site s;
	struct testca *other = testca_new("another CA");
	struct run run;
	char *dir;

	/* The directory has the server's CA; the file another one. */
	site_up(&s, HOSTS, false, false);
	dir = testca_hashed_dir(s.ca);
	crawl_with(&s, other->cert, dir, &run);
	expect_site_crawled(s.srv, &run);
	run_free(&run);
	free(dir);
	site_down(&s);
	testca_free(other);
}

/* ---- the server's certificate itself ---------------------------------------- */

Test(tls, expired_certificate_is_a_tls_error)
{
	struct tls_site s;
	struct run run;

	site_up(&s, HOSTS, true, false);
	crawl_with(&s, s.ca->cert, NULL, &run);
	expect_tls_error(s.srv, &run, "certificate has expired");
	run_free(&run);
	site_down(&s);
}

Test(tls, certificate_for_another_name_is_a_tls_error)
{
	struct tls_site s;
	struct run run;

	site_up(&s, "wrong.example", false, false);
	crawl_with(&s, s.ca->cert, NULL, &run);
	expect_tls_error(s.srv, &run, "no alternative certificate subject name");
	run_free(&run);
	site_down(&s);
}

Test(tls, insecure_fetches_a_site_whose_certificate_is_refused)
{
	struct tls_site s;
	struct crawl_config cfg;
	struct run run;

	site_up(&s, "wrong.example", true, false);
	run_config(&cfg, &s.seed, 1);
	cfg.insecure = true;
	run_crawl(&cfg, &run);
	expect_site_crawled(s.srv, &run);
	run_free(&run);
	site_down(&s);
}

/* ---- the environment (read by options_parse) -------------------------------- */

static void clear_ca_env(void)
{
	unsetenv("CURL_CA_BUNDLE");
	unsetenv("SSL_CERT_DIR");
	unsetenv("SSL_CERT_FILE");
}

/* options_parse on "crawler WORD... SEED" (the words NULL-terminated) in
 * the environment as it is, then the crawl. */
static void crawl_parsed(struct tls_site *s, struct run *run, ...)
{
	char *argv[16] = { "crawler" };
	int argc = 1;
	struct options o;
	char err[512];
	va_list ap;

	va_start(ap, run);
	for (char *w = va_arg(ap, char *); w; w = va_arg(ap, char *))
		argv[argc++] = w;
	va_end(ap);
	argv[argc++] = s->seed;
	cr_assert_eq(options_parse(&o, argc, argv, stdout, err, sizeof(err)),
		     OPTIONS_OK, "%s", err);
	o.crawl.timeout_ms = 10000;
	o.crawl.connect_timeout_ms = 5000;
	run_crawl(&o.crawl, run);
	options_release(&o);
}

Test(tls, env_curl_ca_bundle_is_trusted)
{
	struct tls_site s;
	struct run run;

	site_up(&s, HOSTS, false, false);
	clear_ca_env();
	setenv("CURL_CA_BUNDLE", s.ca->cert, 1);
	crawl_parsed(&s, &run, NULL);
	expect_site_crawled(s.srv, &run);
	run_free(&run);
	site_down(&s);
}

Test(tls, env_ssl_cert_file_is_trusted)
{
	struct tls_site s;
	struct run run;

	site_up(&s, HOSTS, false, false);
	clear_ca_env();
	setenv("SSL_CERT_FILE", s.ca->cert, 1);
	crawl_parsed(&s, &run, NULL);
	expect_site_crawled(s.srv, &run);
	run_free(&run);
	site_down(&s);
}

Test(tls, env_ssl_cert_dir_is_trusted)
{
	struct tls_site s;
	struct run run;
	char *dir;

	site_up(&s, HOSTS, false, false);
	dir = testca_hashed_dir(s.ca);
	clear_ca_env();
	setenv("SSL_CERT_DIR", dir, 1);
	crawl_parsed(&s, &run, NULL);
	expect_site_crawled(s.srv, &run);
	run_free(&run);
	free(dir);
	site_down(&s);
}

Test(tls, env_curl_ca_bundle_comes_first_and_alone)
{
	struct tls_site s;
	struct testca *other = testca_new("another CA");
	struct run run;
	char *dir;

	/* The right CA in both later variables is not looked at. */
	site_up(&s, HOSTS, false, false);
	dir = testca_hashed_dir(s.ca);
	clear_ca_env();
	setenv("CURL_CA_BUNDLE", other->cert, 1);
	setenv("SSL_CERT_DIR", dir, 1);
	setenv("SSL_CERT_FILE", s.ca->cert, 1);
	crawl_parsed(&s, &run, NULL);
	expect_tls_error(s.srv, &run, "unable to get local issuer certificate");
	run_free(&run);
	free(dir);
	site_down(&s);
	testca_free(other);
}

Test(tls, env_ssl_cert_dir_comes_before_ssl_cert_file)
{
	struct tls_site s;
	struct testca *other = testca_new("another CA");
	struct run run;
	char *dir;

	site_up(&s, HOSTS, false, false);
	dir = testca_hashed_dir(other);
	clear_ca_env();
	setenv("SSL_CERT_DIR", dir, 1);
	setenv("SSL_CERT_FILE", s.ca->cert, 1);
	crawl_parsed(&s, &run, NULL);
	expect_tls_error(s.srv, &run, "unable to get local issuer certificate");
	run_free(&run);
	free(dir);
	site_down(&s);
	testca_free(other);
}

Test(tls, env_empty_variable_is_unset)
{
	struct tls_site s;
	struct run run;

	site_up(&s, HOSTS, false, false);
	clear_ca_env();
	setenv("CURL_CA_BUNDLE", "", 1);
	setenv("SSL_CERT_FILE", s.ca->cert, 1);
	crawl_parsed(&s, &run, NULL);
	expect_site_crawled(s.srv, &run);
	run_free(&run);
	site_down(&s);
}

Test(tls, ca_certificate_option_overrides_the_environment)
{
	struct tls_site s;
	struct testca *other = testca_new("another CA");
	struct run run;

	site_up(&s, HOSTS, false, false);
	clear_ca_env();
	setenv("CURL_CA_BUNDLE", other->cert, 1);
	crawl_parsed(&s, &run, "--ca-certificate", s.ca->cert, NULL);
	expect_site_crawled(s.srv, &run);
	run_free(&run);
	site_down(&s);
	testca_free(other);
}

/* ---- client certificates ----------------------------------------------------- */

static void crawl_client(struct tls_site *s, const char *cert, const char *key,
			 struct run *run)
{
	struct crawl_config cfg;

	run_config(&cfg, &s->seed, 1);
	cfg.ca_file = s->ca->cert;
	cfg.client_cert = cert;
	cfg.client_key = key;
	run_crawl(&cfg, run);
}

Test(tls, client_certificate_required_and_none_given_is_a_tls_error)
{
	struct tls_site s;
	struct run run;

	/* TLS 1.3: the server's alert comes after the handshake, on the
	 * first read, robots.txt's. */
	site_up(&s, HOSTS, false, true);
	crawl_client(&s, NULL, NULL, &run);
	expect_tls_error(s.srv, &run, "alert certificate required");
	run_free(&run);
	site_down(&s);
}

Test(tls, client_certificate_with_its_key_in_the_same_file_fetches_the_site)
{
	struct tls_site s;
	struct run run;

	site_up(&s, HOSTS, false, true);
	crawl_client(&s, s.client->both, NULL, &run);
	expect_site_crawled(s.srv, &run);
	run_free(&run);
	site_down(&s);
}

Test(tls, client_certificate_and_private_key_in_two_files_fetch_the_site)
{
	struct tls_site s;
	struct run run;

	site_up(&s, HOSTS, false, true);
	crawl_client(&s, s.client->cert, s.client->key, &run);
	expect_site_crawled(s.srv, &run);
	run_free(&run);
	site_down(&s);
}

Test(tls, client_certificate_without_its_key_is_a_tls_error_saying_so)
{
	struct tls_site s;
	struct run run;

	site_up(&s, HOSTS, false, true);
	crawl_client(&s, s.client->cert, NULL, &run);
	expect_tls_error(s.srv, &run, "private key");
	run_free(&run);
	site_down(&s);
}

Test(tls, client_certificate_of_another_ca_is_a_tls_error)
{
	struct tls_site s;
	struct testca *other = testca_new("another CA");
	struct testca_cert *stranger;
	struct run run;

	site_up(&s, HOSTS, false, true);
	stranger = testca_issue(other, "stranger", "crawler.example", TESTCA_CLIENT,
				false);
	crawl_client(&s, stranger->both, NULL, &run);
	expect_tls_error(s.srv, &run, "alert bad certificate");
	run_free(&run);
	testca_cert_free(stranger);
	site_down(&s);
	testca_free(other);
}

Test(tls, client_certificate_options_reach_the_crawl)
{
	struct tls_site s;
	struct run run;

	site_up(&s, HOSTS, false, true);
	clear_ca_env();
	crawl_parsed(&s, &run, "--ca-certificate", s.ca->cert, "--certificate",
		     s.client->cert, "--private-key", s.client->key, NULL);
	expect_site_crawled(s.srv, &run);
	run_free(&run);
	site_down(&s);
}

/* ---- HTTP/2 against nginx ------------------------------------------------------- */

static struct nginxsrv *nginx;
static struct testca *nginx_ca;
static struct testca_cert *nginx_cert;

/* Runs after the test, a failed one too: nginx never outlives it. */
static void nginx_down(void)
{
	nginxsrv_stop(nginx);
	testca_cert_free(nginx_cert);
	testca_free(nginx_ca);
}

static void write_page(const char *root, const char *path, const char *text)
{
	char *file;
	FILE *f;

	cr_assert_geq(asprintf(&file, "%s%s", root, path), 0);
	f = fopen(file, "w");
	cr_assert_not_null(f, "%s: %s", file, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	free(file);
}

/* The site of the testsrv tests, as files in root. */
static void write_site(const char *root)
{
	char *sub;

	cr_assert_geq(asprintf(&sub, "%s/private", root), 0);
	cr_assert_eq(mkdir(sub, 0755), 0, "%s: %s", sub, strerror(errno));
	free(sub);
	write_page(root, "/robots.txt", robots);
	for (size_t i = 0; i < N(site); i++)
		if (strcmp(site[i].path, "/robots.txt"))
			write_page(root, strcmp(site[i].path, "/") ? site[i].path :
				   "/index.html", site[i].reply.body);
}

/* Each line of nginx's log ("$server_protocol $status $request_uri"). */
static size_t log_lines(char *log, char **lines, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *l = strtok_r(log, "\n", &save); l && n < max;
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	return n;
}

Test(tls, http2_crawl_of_nginx_fetches_exactly_the_site_over_h2, .fini = nginx_down)
{
	struct crawl_config cfg;
	struct run run;
	char *root, *seed, *log, *lines[32];
	size_t n;
	pid_t pid;

	nginx_ca = testca_new("crawler test CA");
	nginx_cert = testca_issue(nginx_ca, "nginx", NGINX_IP, TESTCA_SERVER, false);
	cr_assert_geq(asprintf(&root, "%s/site", nginx_ca->dir), 0);
	cr_assert_eq(mkdir(root, 0755), 0);
	write_site(root);
	nginx = nginxsrv_start(NGINX_IP, root, nginx_cert->cert, nginx_cert->key);
	seed = nginxsrv_url(nginx, "/");
	run_config(&cfg, &seed, 1);
	cfg.ca_file = nginx_ca->cert;
	run_crawl(&cfg, &run);

	cr_expect_eq(run.n, 5, "%zu records", run.n);
	for (size_t i = 1; i < N(fetched); i++) {
		char *url = nginxsrv_url(nginx, fetched[i]);

		expect_rec(run_must_find(&run, url), 200, NULL);
		free(url);
	}
	{
		char *url = nginxsrv_url(nginx, "/private/x.html");

		expect_rec(run_must_find(&run, url), 0, "robots");
		free(url);
	}
	/* The record has no HTTP version: nginx's log says what was
	 * spoken, for robots.txt and every page. */
	log = nginxsrv_access_log(nginx);
	n = log_lines(log, lines, N(lines));
	cr_expect_eq(n, N(fetched), "%zu requests:\n%s", n, log);
	for (size_t i = 0; i < n; i++)
		cr_expect(!strncmp(lines[i], "HTTP/2.0 200 ", 13), "not HTTP/2: %s",
			  lines[i]);
	for (size_t i = 0; i < N(fetched); i++) {
		bool seen = false;

		for (size_t k = 0; k < n; k++)
			seen = seen || !strcmp(lines[k] + 13, fetched[i]);
		cr_expect(seen, "%s was not asked for", fetched[i]);
	}

	pid = nginx->pid;
	nginxsrv_stop(nginx);
	nginx = NULL;
	cr_expect(kill(pid, 0) == -1 && errno == ESRCH, "nginx %d still runs", (int)pid);
	free(log);
	free(seed);
	free(root);
	run_free(&run);
}
