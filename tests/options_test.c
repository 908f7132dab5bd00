/* options_test: the command line of include/options.h: every option, long
 * and short, sets its field; the documented defaults; the duration and
 * size syntaxes; usage errors that name the option and the value; --help
 * and --version; and the option table kept in step with man/crawler.1 and
 * the --help text (the test runs from the repository root). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "scope.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAN_PAGE "man/crawler.1"

static char err[512];

/* options_parse reads the CA variables curl's tool reads; a machine may
 * set them (this one's point at its bundle), and the tests must not
 * depend on that. Criterion runs each test in its own process. */
static void clear_ca_env(void)
{
	unsetenv("CURL_CA_BUNDLE");
	unsetenv("SSL_CERT_DIR");
	unsetenv("SSL_CERT_FILE");
}

TestSuite(options, .init = clear_ca_env);

/* options_parse on a NULL-terminated list of words (argv[0] added). The
 * words are copied into a writable argv, as getopt may permute it. */
static enum options_status parse_words(struct options *o, FILE *out,
				       const char *first, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	argv[argc++] = "crawler";
	va_start(ap, first);
	for (const char *w = first; w; w = va_arg(ap, const char *)) {
		cr_assert_lt(argc, 63);
		argv[argc++] = (char *)w;
	}
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return options_parse(o, argc, argv, out ? out : stdout, err, sizeof(err));
}

#define PARSE(o, ...) parse_words(o, NULL, __VA_ARGS__, (const char *)NULL)

/* Parse the words; it must succeed. */
#define PARSE_OK(o, ...)                                                  \
	do {                                                              \
		enum options_status st_ = PARSE(o, __VA_ARGS__);           \
		cr_assert_eq(st_, OPTIONS_OK, "status %d: %s", st_, err); \
	} while (0)

/* Parse the words; it must be a usage error whose message holds each of
 * the NULL-terminated strings that follow. */
static void expect_usage(const char *const *words, size_t n,
			 const char *const *needles)
{
	struct options o;
	char *argv[32];
	int argc = 0;

	argv[argc++] = "crawler";
	for (size_t i = 0; i < n; i++)
		argv[argc++] = (char *)words[i];
	argv[argc] = NULL;
	err[0] = '\0';
	cr_expect_eq(options_parse(&o, argc, argv, stdout, err, sizeof(err)),
		     OPTIONS_USAGE, "%s %s: not a usage error", words[0],
		     n > 1 ? words[1] : "");
	for (const char *const *p = needles; *p; p++)
		cr_expect(strstr(err, *p), "message \"%s\" does not name \"%s\"",
			  err, *p);
	options_release(&o);
}

#define EXPECT_USAGE(words, ...)                                             \
	do {                                                                 \
		const char *const w_[] = { words };                          \
		const char *const n_[] = { __VA_ARGS__, NULL };              \
		expect_usage(w_, N(w_), n_);                                 \
	} while (0)
#define W(...) __VA_ARGS__

/* A temporary file holding text; the caller unlinks and frees the path. */
static char *temp_file(const char *text)
{
	char *path = strdup("/tmp/crawler-options-test-XXXXXX");
	int fd;
	FILE *f;

	cr_assert_not_null(path);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	return path;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int c;

	cr_assert_not_null(f, "cannot open %s (tests run from the repo root)",
			   path);
	m = open_memstream(&buf, &len);
	cr_assert_not_null(m);
	while ((c = getc(f)) != EOF)
		putc(c, m);
	fclose(f);
	fclose(m);
	return buf;
}

/* --help text, as options_parse writes it. */
static char *help_text(void)
{
	struct options o;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	cr_assert_not_null(m);
	cr_assert_eq(parse_words(&o, m, "--help", (const char *)NULL),
		     OPTIONS_EXIT);
	fclose(m);
	options_release(&o);
	return buf;
}

Test(options, defaults_are_the_documented_ones)
{
	struct options o;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	PARSE_OK(&o, "http://a.test/");
	cr_expect_eq(o.crawl.concurrency, 32);
	cr_expect_eq(o.crawl.per_host, 8);
	cr_expect_eq(o.crawl.parsers, cpus > 0 ? (unsigned)cpus : 1);
	cr_expect_eq(o.crawl.timeout_ms, 30000);
	cr_expect_eq(o.crawl.connect_timeout_ms, 10000);
	cr_expect_eq(o.crawl.max_size, 10485760);
	cr_expect_eq(o.crawl.max_depth, -1);
	cr_expect_eq(o.crawl.max_pages, 0);
	cr_expect_eq(o.crawl.max_time_ms, 0);
	cr_expect_eq(o.crawl.scope.mode, SCOPE_HOST);
	cr_assert_not_null(o.crawl.user_agent);
	cr_expect_str_eq(o.crawl.user_agent, CRAWL_DEFAULT_USER_AGENT);
	cr_expect_eq(o.crawl.nheaders, 0);
	cr_expect(o.crawl.robots_sitemaps, "robots.txt's sitemaps are read");
	cr_expect_eq(o.crawl.nsitemaps, 0);
	cr_expect_not(o.crawl.links);
	cr_expect_not(o.crawl.verbose);
	cr_expect_not(o.quiet);
	cr_expect_null(o.output);
	cr_expect_null(o.stats_path);
	cr_expect_eq(o.progress, -1, "progress: when stderr is a terminal");
	options_release(&o);
}

Test(options, sitemap_repeats_and_no_sitemaps_turns_robots_ones_off)
{
	struct options o;

	PARSE_OK(&o, "--sitemap", "http://a.test/s.xml", "--no-sitemaps",
		 "--sitemap=http://b.test/t.xml.gz", "http://a.test/");
	cr_assert_eq(o.crawl.nsitemaps, 2);
	cr_expect_str_eq(o.crawl.sitemaps[0], "http://a.test/s.xml");
	cr_expect_str_eq(o.crawl.sitemaps[1], "http://b.test/t.xml.gz");
	cr_expect_not(o.crawl.robots_sitemaps);
	cr_expect_eq(o.nseeds, 1, "a --sitemap is no seed");
	options_release(&o);
}

Test(options, url_arguments_become_seeds_in_order)
{
	struct options o;

	PARSE_OK(&o, "http://a.test/", "-c", "4", "https://b.test/x");
	cr_assert_eq(o.nseeds, 2);
	cr_expect_str_eq(o.seeds[0], "http://a.test/");
	cr_expect_str_eq(o.seeds[1], "https://b.test/x");
	cr_expect_eq(o.crawl.seeds, o.seeds);
	cr_expect_eq(o.crawl.nseeds, 2);
	cr_expect_eq(o.crawl.concurrency, 4, "options after a URL still count");
	options_release(&o);
}

Test(options, input_file_reads_seeds_skipping_comments_and_blank_lines)
{
	char *path = temp_file("# seeds\n"
			       "http://a.test/\n"
			       "\n"
			       "   \t\n"
			       "  http://b.test/x  \r\n"
			       "#http://commented.test/\n"
			       "http://c.test/");
	struct options o;

	PARSE_OK(&o, "-i", path);
	cr_assert_eq(o.nseeds, 3);
	cr_expect_str_eq(o.seeds[0], "http://a.test/");
	cr_expect_str_eq(o.seeds[1], "http://b.test/x");
	cr_expect_str_eq(o.seeds[2], "http://c.test/", "last line without \\n");
	options_release(&o);

	PARSE_OK(&o, "--input-file", path);
	cr_expect_eq(o.nseeds, 3);
	options_release(&o);
	unlink(path);
	free(path);
}

Test(options, input_file_seeds_combine_with_url_arguments)
{
	char *path = temp_file("http://file.test/\n");
	struct options o;

	PARSE_OK(&o, "-i", path, "http://arg.test/");
	cr_assert_eq(o.nseeds, 2);
	cr_expect_eq(o.crawl.nseeds, 2);
	options_release(&o);
	unlink(path);
	free(path);
}

/* include/options.h: "seeds: owned: argv URLs then -i lines". */
Test(options, input_file_seeds_come_before_url_arguments)
{
	char *path = temp_file("http://file.test/\n");
	struct options o;

	PARSE_OK(&o, "-i", path, "http://arg.test/");
	cr_assert_eq(o.nseeds, 2);
	cr_expect_str_eq(o.seeds[0], "http://file.test/");
	cr_expect_str_eq(o.seeds[1], "http://arg.test/");
	options_release(&o);
	unlink(path);
	free(path);
}

Test(options, input_file_alone_is_enough_seeds)
{
	char *path = temp_file("http://a.test/\n");
	struct options o;

	PARSE_OK(&o, "--input-file", path);
	cr_expect_eq(o.nseeds, 1);
	options_release(&o);
	unlink(path);
	free(path);
}

Test(options, empty_input_file_and_no_url_is_no_url_given)
{
	char *path = temp_file("# nothing here\n\n");
	const char *const words[] = { "-i", path };
	const char *const needles[] = { "no URL given", NULL };

	expect_usage(words, N(words), needles);
	unlink(path);
	free(path);
}

Test(options, unreadable_seed_file_is_a_usage_error_naming_it)
{
	EXPECT_USAGE(W("-i", "/nonexistent/crawler-seeds.txt", "http://a.test/"),
		     "/nonexistent/crawler-seeds.txt");
	/* A directory opens but cannot be read. */
	EXPECT_USAGE(W("--input-file", "/", "http://a.test/"), "'/'");
}

/* A directory for the TLS option tests; the caller removes it. */
static char *temp_dir(void)
{
	char *dir = strdup("/tmp/tls-options-XXXXXX");

	cr_assert(dir && mkdtemp(dir));
	return dir;
}

Test(options, tls_files_default_to_none)
{
	struct options o;

	PARSE_OK(&o, "https://a.test/");
	cr_expect_null(o.crawl.ca_file, "the system's CAs");
	cr_expect_null(o.crawl.ca_dir);
	cr_expect_null(o.crawl.client_cert);
	cr_expect_null(o.crawl.client_key);
	options_release(&o);
}

Test(options, tls_options_set_their_fields)
{
	char *file = temp_file("PEM\n"), *dir = temp_dir();
	struct options o;

	PARSE_OK(&o, "--ca-certificate", file, "--ca-directory", dir,
		 "--certificate", file, "--private-key", file, "https://a.test/");
	cr_expect_str_eq(o.crawl.ca_file, file);
	cr_expect_str_eq(o.crawl.ca_dir, dir);
	cr_expect_str_eq(o.crawl.client_cert, file);
	cr_expect_str_eq(o.crawl.client_key, file);
	options_release(&o);
	PARSE_OK(&o, "--certificate", file, "https://a.test/");
	cr_expect_null(o.crawl.client_key, "the key is in the certificate's file");
	options_release(&o);
	unlink(file);
	rmdir(dir);
	free(file);
	free(dir);
}

Test(options, missing_tls_file_is_a_usage_error_naming_option_and_file)
{
	char *file = temp_file("PEM\n");

	EXPECT_USAGE(W("--ca-certificate", "/nonexistent/ca.pem", "https://a.test/"),
		     "--ca-certificate", "/nonexistent/ca.pem", "No such file");
	EXPECT_USAGE(W("--ca-directory", "/nonexistent/certs", "https://a.test/"),
		     "--ca-directory", "/nonexistent/certs", "No such file");
	EXPECT_USAGE(W("--certificate", "/nonexistent/me.pem", "https://a.test/"),
		     "--certificate", "/nonexistent/me.pem", "No such file");
	EXPECT_USAGE(W("--certificate", file, "--private-key", "/nonexistent/me.key",
		       "https://a.test/"),
		     "--private-key", "/nonexistent/me.key", "No such file");
	unlink(file);
	free(file);
}

Test(options, tls_file_that_is_a_directory_or_the_reverse_is_a_usage_error)
{
	char *file = temp_file("PEM\n"), *dir = temp_dir();

	EXPECT_USAGE(W("--ca-certificate", dir, "https://a.test/"), "--ca-certificate",
		     dir, "directory");
	EXPECT_USAGE(W("--certificate", dir, "https://a.test/"), "--certificate", dir);
	EXPECT_USAGE(W("--ca-directory", file, "https://a.test/"), "--ca-directory",
		     file, "Not a directory");
	unlink(file);
	rmdir(dir);
	free(file);
	free(dir);
}

Test(options, ca_directory_list_names_the_missing_directory)
{
	char *dir = temp_dir(), list[256];
	struct options o;

	snprintf(list, sizeof(list), "%s:%s", dir, dir);
	PARSE_OK(&o, "--ca-directory", list, "https://a.test/");
	cr_expect_str_eq(o.crawl.ca_dir, list, "a ':' list, as OpenSSL reads it");
	options_release(&o);
	snprintf(list, sizeof(list), "%s:/nonexistent/certs", dir);
	EXPECT_USAGE(W("--ca-directory", list, "https://a.test/"), "--ca-directory",
		     "'/nonexistent/certs'");
	rmdir(dir);
	free(dir);
}

Test(options, private_key_without_certificate_is_a_usage_error)
{
	char *file = temp_file("PEM\n");

	EXPECT_USAGE(W("--private-key", file, "https://a.test/"), "--private-key",
		     "--certificate");
	unlink(file);
	free(file);
}

Test(options, ca_environment_first_set_variable_alone_in_curls_order)
{
	char *bundle = temp_file("PEM\n"), *file = temp_file("PEM\n");
	char *dir = temp_dir();
	struct options o;

	setenv("SSL_CERT_FILE", file, 1);
	PARSE_OK(&o, "https://a.test/");
	cr_expect_str_eq(o.crawl.ca_file, file);
	cr_expect_null(o.crawl.ca_dir);
	options_release(&o);
	setenv("SSL_CERT_DIR", dir, 1);
	PARSE_OK(&o, "https://a.test/");
	cr_expect_null(o.crawl.ca_file, "SSL_CERT_DIR comes before SSL_CERT_FILE");
	cr_expect_str_eq(o.crawl.ca_dir, dir);
	options_release(&o);
	setenv("CURL_CA_BUNDLE", bundle, 1);
	PARSE_OK(&o, "https://a.test/");
	cr_expect_str_eq(o.crawl.ca_file, bundle, "CURL_CA_BUNDLE comes first");
	cr_expect_null(o.crawl.ca_dir, "and alone");
	options_release(&o);
	setenv("CURL_CA_BUNDLE", "", 1);
	PARSE_OK(&o, "https://a.test/");
	cr_expect_str_eq(o.crawl.ca_dir, dir, "an empty variable is unset");
	options_release(&o);
	unlink(bundle);
	unlink(file);
	rmdir(dir);
	free(bundle);
	free(file);
	free(dir);
}

Test(options, ca_environment_is_not_read_with_a_ca_option_or_insecure)
{
	char *file = temp_file("PEM\n"), *dir = temp_dir();
	struct options o;

	setenv("CURL_CA_BUNDLE", "/nonexistent/bundle.pem", 1);
	PARSE_OK(&o, "--ca-directory", dir, "https://a.test/");
	cr_expect_null(o.crawl.ca_file);
	options_release(&o);
	PARSE_OK(&o, "--ca-certificate", file, "https://a.test/");
	cr_expect_str_eq(o.crawl.ca_file, file);
	options_release(&o);
	PARSE_OK(&o, "-k", "https://a.test/");
	cr_expect_null(o.crawl.ca_file);
	options_release(&o);
	unlink(file);
	rmdir(dir);
	free(file);
	free(dir);
}

Test(options, unreadable_ca_environment_variable_is_a_usage_error_naming_it)
{
	setenv("SSL_CERT_DIR", "/nonexistent/certs", 1);
	EXPECT_USAGE(W("https://a.test/"), "SSL_CERT_DIR", "/nonexistent/certs");
	unsetenv("SSL_CERT_DIR");
	setenv("SSL_CERT_FILE", "/nonexistent/ca.pem", 1);
	EXPECT_USAGE(W("https://a.test/"), "SSL_CERT_FILE", "/nonexistent/ca.pem");
	setenv("CURL_CA_BUNDLE", "/nonexistent/bundle.pem", 1);
	EXPECT_USAGE(W("https://a.test/"), "CURL_CA_BUNDLE", "/nonexistent/bundle.pem");
}

Test(options, output_sets_the_path)
{
	struct options o;

	PARSE_OK(&o, "-o", "out.jsonl", "http://a.test/");
	cr_expect_str_eq(o.output, "out.jsonl");
	options_release(&o);
	PARSE_OK(&o, "--output", "other.jsonl", "http://a.test/");
	cr_expect_str_eq(o.output, "other.jsonl");
	options_release(&o);
	PARSE_OK(&o, "--output=eq.jsonl", "http://a.test/");
	cr_expect_str_eq(o.output, "eq.jsonl");
	options_release(&o);
}

Test(options, concurrency_short_and_long)
{
	struct options o;

	PARSE_OK(&o, "-c", "4", "http://a.test/");
	cr_expect_eq(o.crawl.concurrency, 4);
	options_release(&o);
	PARSE_OK(&o, "--concurrency", "10000", "http://a.test/");
	cr_expect_eq(o.crawl.concurrency, 10000);
	options_release(&o);
	PARSE_OK(&o, "-c1", "http://a.test/");
	cr_expect_eq(o.crawl.concurrency, 1);
	options_release(&o);
}

Test(options, per_host_sets_its_field)
{
	struct options o;

	PARSE_OK(&o, "--per-host", "2", "http://a.test/");
	cr_expect_eq(o.crawl.per_host, 2);
	options_release(&o);
}

Test(options, parsers_short_and_long)
{
	struct options o;

	PARSE_OK(&o, "-p", "3", "http://a.test/");
	cr_expect_eq(o.crawl.parsers, 3);
	options_release(&o);
	PARSE_OK(&o, "--parsers", "1", "http://a.test/");
	cr_expect_eq(o.crawl.parsers, 1);
	options_release(&o);
}

Test(options, max_depth_short_and_long_zero_allowed)
{
	struct options o;

	PARSE_OK(&o, "-d", "0", "http://a.test/");
	cr_expect_eq(o.crawl.max_depth, 0);
	options_release(&o);
	PARSE_OK(&o, "--max-depth", "5", "http://a.test/");
	cr_expect_eq(o.crawl.max_depth, 5);
	options_release(&o);
}

Test(options, max_pages_short_and_long)
{
	struct options o;

	PARSE_OK(&o, "-n", "1000", "http://a.test/");
	cr_expect_eq(o.crawl.max_pages, 1000);
	options_release(&o);
	PARSE_OK(&o, "--max-pages", "1", "http://a.test/");
	cr_expect_eq(o.crawl.max_pages, 1);
	options_release(&o);
}

Test(options, max_time_short_and_long)
{
	struct options o;

	PARSE_OK(&o, "-T", "2m", "http://a.test/");
	cr_expect_eq(o.crawl.max_time_ms, 120000);
	options_release(&o);
	PARSE_OK(&o, "--max-time", "10", "http://a.test/");
	cr_expect_eq(o.crawl.max_time_ms, 10000);
	options_release(&o);
}

Test(options, timeout_short_and_long)
{
	struct options o;

	PARSE_OK(&o, "-t", "250ms", "http://a.test/");
	cr_expect_eq(o.crawl.timeout_ms, 250);
	options_release(&o);
	PARSE_OK(&o, "--timeout", "1.5s", "http://a.test/");
	cr_expect_eq(o.crawl.timeout_ms, 1500);
	options_release(&o);
}

Test(options, connect_timeout_sets_its_field)
{
	struct options o;

	PARSE_OK(&o, "--connect-timeout", "3s", "http://a.test/");
	cr_expect_eq(o.crawl.connect_timeout_ms, 3000);
	cr_expect_eq(o.crawl.timeout_ms, 30000, "timeout untouched");
	options_release(&o);
}

Test(options, max_size_sets_its_field)
{
	struct options o;

	PARSE_OK(&o, "--max-size", "64k", "http://a.test/");
	cr_expect_eq(o.crawl.max_size, 65536);
	options_release(&o);
	PARSE_OK(&o, "--max-size", "2G", "http://a.test/");
	cr_expect_eq(o.crawl.max_size, 2147483648ULL);
	options_release(&o);
}

Test(options, scope_sets_each_mode)
{
	struct options o;

	PARSE_OK(&o, "--scope", "domain", "http://a.test/");
	cr_expect_eq(o.crawl.scope.mode, SCOPE_DOMAIN);
	options_release(&o);
	PARSE_OK(&o, "--scope", "any", "http://a.test/");
	cr_expect_eq(o.crawl.scope.mode, SCOPE_ANY);
	options_release(&o);
	PARSE_OK(&o, "--scope", "host", "http://a.test/");
	cr_expect_eq(o.crawl.scope.mode, SCOPE_HOST);
	options_release(&o);
}

Test(options, user_agent_short_and_long)
{
	struct options o;

	PARSE_OK(&o, "-A", "examplebot/1.0 (+https://example.org/bot)",
		 "http://a.test/");
	cr_expect_str_eq(o.crawl.user_agent,
			 "examplebot/1.0 (+https://example.org/bot)");
	options_release(&o);
	PARSE_OK(&o, "--user-agent", "x/2", "http://a.test/");
	cr_expect_str_eq(o.crawl.user_agent, "x/2");
	options_release(&o);
}

Test(options, header_is_repeatable_and_kept_in_order)
{
	struct options o;

	PARSE_OK(&o, "-H", "Accept-Language: en", "--header", "X-Test:1",
		 "-H", "Cookie: a=b; c=d", "http://a.test/");
	cr_assert_eq(o.nheaders, 3);
	cr_expect_str_eq(o.headers[0], "Accept-Language: en");
	cr_expect_str_eq(o.headers[1], "X-Test:1");
	cr_expect_str_eq(o.headers[2], "Cookie: a=b; c=d");
	cr_expect_eq(o.crawl.headers, o.headers);
	cr_expect_eq(o.crawl.nheaders, 3);
	options_release(&o);
}

Test(options, malformed_header_is_rejected)
{
	EXPECT_USAGE(W("-H", "NoColon", "http://a.test/"), "--header", "NoColon");
	EXPECT_USAGE(W("-H", ": empty name", "http://a.test/"), "--header");
	EXPECT_USAGE(W("--header", "Bad Name: v", "http://a.test/"), "--header");
	EXPECT_USAGE(W("-H", "X-A: 1\r\nX-B: 2", "http://a.test/"), "--header");
}

Test(options, user_agent_with_a_line_break_is_rejected)
{
	EXPECT_USAGE(W("-A", "bot\r\nX-Evil: 1", "http://a.test/"), "--user-agent");
}

Test(options, flags_set_their_fields)
{
	struct options o;

	PARSE_OK(&o, "--links", "--stats", "s.json", "-q", "-v", "http://a.test/");
	cr_expect(o.crawl.links);
	cr_expect_str_eq(o.stats_path, "s.json");
	cr_expect(o.quiet);
	cr_expect(o.crawl.verbose);
	options_release(&o);
	PARSE_OK(&o, "--quiet", "--verbose", "http://a.test/");
	cr_expect(o.quiet);
	cr_expect(o.crawl.verbose);
	options_release(&o);
	PARSE_OK(&o, "-qv", "http://a.test/");
	cr_expect(o.quiet);
	cr_expect(o.crawl.verbose);
	options_release(&o);
}

Test(options, progress_and_no_progress_the_last_one_wins)
{
	struct options o;

	PARSE_OK(&o, "--progress", "http://a.test/");
	cr_expect_eq(o.progress, 1);
	options_release(&o);
	PARSE_OK(&o, "--no-progress", "http://a.test/");
	cr_expect_eq(o.progress, 0);
	options_release(&o);
	PARSE_OK(&o, "--no-progress", "--progress", "http://a.test/");
	cr_expect_eq(o.progress, 1);
	options_release(&o);
	PARSE_OK(&o, "--progress", "--no-progress", "http://a.test/");
	cr_expect_eq(o.progress, 0);
	options_release(&o);
}

Test(options, parse_again_starts_from_the_defaults)
{
	struct options o;

	PARSE_OK(&o, "-c", "3", "-H", "A: b", "--links", "http://a.test/");
	options_release(&o);
	PARSE_OK(&o, "http://b.test/");
	cr_expect_eq(o.crawl.concurrency, 32);
	cr_expect_eq(o.nheaders, 0);
	cr_expect_not(o.crawl.links);
	cr_assert_eq(o.nseeds, 1);
	cr_expect_str_eq(o.seeds[0], "http://b.test/");
	options_release(&o);
}

Test(options, durations_in_every_unit)
{
	static const struct {
		const char *text;
		int64_t ms;
	} rows[] = {
		{ "250ms", 250 },  { "1.5s", 1500 },      { "2m", 120000 },
		{ "1h", 3600000 }, { "30", 30000 },       { "1ms", 1 },
		{ "45", 45000 },   { "0.5", 500 },        { "1.5h", 5400000 },
		{ "2s", 2000 },    { "100ms", 100 },
	};

	for (size_t i = 0; i < N(rows); i++) {
		int64_t ms = -7;

		cr_expect_eq(options_parse_duration(rows[i].text, &ms), OPTIONS_OK,
			     "\"%s\"", rows[i].text);
		cr_expect_eq(ms, rows[i].ms, "\"%s\": got %lld", rows[i].text,
			     (long long)ms);
	}
}

Test(options, bad_durations_are_rejected)
{
	static const char *const bad[] = {
		"", "-1s", "abc", "5x", "0", "nan", "1e400", "0ms", "0.5ms",
		"s", "ms", " 5s", "5 s", "5s ", "inf", "-0", "+5", "1.5.2s", "5sm",
	};

	for (size_t i = 0; i < N(bad); i++) {
		int64_t ms = -7;

		cr_expect_eq(options_parse_duration(bad[i], &ms), OPTIONS_USAGE,
			     "\"%s\"", bad[i]);
		cr_expect_eq(ms, -7, "\"%s\" wrote the output", bad[i]);
	}
}

Test(options, sizes_in_every_unit)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} rows[] = {
		{ "512", 512 },           { "64k", 65536 },
		{ "512k", 524288 },       { "10M", 10485760 },
		{ "10m", 10485760 },      { "64K", 65536 },
		{ "1G", 1073741824ULL },  { "1.5k", 1536 },
		{ "1", 1 },
	};

	for (size_t i = 0; i < N(rows); i++) {
		uint64_t b = 7;

		cr_expect_eq(options_parse_size(rows[i].text, &b), OPTIONS_OK,
			     "\"%s\"", rows[i].text);
		cr_expect_eq(b, rows[i].bytes, "\"%s\": got %llu", rows[i].text,
			     (unsigned long long)b);
	}
}

Test(options, bad_sizes_are_rejected)
{
	static const char *const bad[] = {
		"", "-5", "10Q", "0", "0k", "k", "M", "1e400", "nan", " 5",
		"5 k", "5kb", "1T",
	};

	for (size_t i = 0; i < N(bad); i++) {
		uint64_t b = 7;

		cr_expect_eq(options_parse_size(bad[i], &b), OPTIONS_USAGE, "\"%s\"",
			     bad[i]);
		cr_expect_eq(b, 7, "\"%s\" wrote the output", bad[i]);
	}
}

Test(options, bad_numbers_name_the_option_and_the_value)
{
	EXPECT_USAGE(W("--concurrency", "0", "http://a.test/"), "--concurrency", "0");
	EXPECT_USAGE(W("-c", "10001", "http://a.test/"), "--concurrency", "10001");
	EXPECT_USAGE(W("-c", "abc", "http://a.test/"), "--concurrency", "abc");
	EXPECT_USAGE(W("-c", "8x", "http://a.test/"), "--concurrency", "8x");
	EXPECT_USAGE(W("-c", "-1", "http://a.test/"), "--concurrency", "-1");
	EXPECT_USAGE(W("-c", "", "http://a.test/"), "--concurrency");
	EXPECT_USAGE(W("-c", "99999999999999999999999", "http://a.test/"),
		     "--concurrency", "99999999999999999999999");
	EXPECT_USAGE(W("--per-host", "0", "http://a.test/"), "--per-host", "0");
	EXPECT_USAGE(W("-p", "0", "http://a.test/"), "--parsers", "0");
	EXPECT_USAGE(W("-d", "-1", "http://a.test/"), "--max-depth", "-1");
	EXPECT_USAGE(W("-n", "many", "http://a.test/"), "--max-pages", "many");
}

Test(options, bad_durations_and_sizes_name_the_option_and_the_value)
{
	EXPECT_USAGE(W("-t", "5x", "http://a.test/"), "--timeout", "5x");
	EXPECT_USAGE(W("--connect-timeout", "0", "http://a.test/"),
		     "--connect-timeout", "0");
	EXPECT_USAGE(W("-T", "-1s", "http://a.test/"), "--max-time", "-1s");
	EXPECT_USAGE(W("--max-size", "10Q", "http://a.test/"), "--max-size", "10Q");
	EXPECT_USAGE(W("--scope", "galaxy", "http://a.test/"), "--scope", "galaxy");
}

Test(options, unknown_option_is_a_usage_error_naming_it)
{
	EXPECT_USAGE(W("--bogus", "http://a.test/"), "--bogus");
	EXPECT_USAGE(W("-x", "http://a.test/"), "-x");
	EXPECT_USAGE(W("http://a.test/", "--no-such-thing=1"), "--no-such-thing");
}

Test(options, flag_given_a_value_is_a_usage_error_naming_it)
{
	EXPECT_USAGE(W("--links=yes", "http://a.test/"), "--links");
	EXPECT_USAGE(W("--quiet=yes", "http://a.test/"), "--quiet");
}

Test(options, missing_value_is_a_usage_error_naming_the_option)
{
	EXPECT_USAGE(W("http://a.test/", "-c"), "-c");
	EXPECT_USAGE(W("http://a.test/", "--concurrency"), "--concurrency");
	EXPECT_USAGE(W("http://a.test/", "--max-size"), "--max-size");
	EXPECT_USAGE(W("http://a.test/", "-i"), "-i");
}

Test(options, no_url_is_a_usage_error)
{
	EXPECT_USAGE(W("-c", "4"), "no URL given");
	EXPECT_USAGE(W("-q"), "no URL given");
}

Test(options, help_writes_usage_to_the_given_stream_and_exits)
{
	char *text = help_text();

	cr_assert_not_null(text);
	cr_expect(strstr(text, "Usage: crawler"), "%s", text);
	cr_expect(strstr(text, "--concurrency"));
	cr_expect(strstr(text, "default: 32"), "defaults are shown");
	free(text);
}

Test(options, help_fits_80_columns_in_the_man_pages_groups)
{
	char *text = help_text();
	static const char *const groups[] = {
		"\nInput and output:\n", "\nScope:\n", "\nCrawl limits:\n",
		"\nPoliteness:\n", "\nConcurrency:\n", "\nHTTP requests:\n",
		"\nReporting:\n", "\nMiscellaneous:\n",
	};
	const char *at = text;

	cr_assert_not_null(text);
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");

		cr_expect_leq(len, 80, "a line of %zu columns: %.*s", len, (int)len, line);
		line += len + (line[len] == '\n');
	}
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		const char *hit = strstr(at, groups[i]);

		cr_expect_not_null(hit, "group %s missing or out of order", groups[i] + 1);
		at = hit ? hit : at;
	}
	/* A default is never split from its "(default:". */
	cr_expect(strstr(text, "(default: standard output)"), "%s", text);
	free(text);
}

Test(options, help_short_form_exits_too_even_without_a_url)
{
	struct options o;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	cr_assert_not_null(m);
	cr_expect_eq(parse_words(&o, m, "-h", (const char *)NULL), OPTIONS_EXIT);
	fclose(m);
	cr_expect_gt(len, 0);
	cr_expect(strstr(buf, "Usage:"));
	options_release(&o);
	free(buf);
}

Test(options, version_writes_the_version_and_exits)
{
	static const char *const forms[] = { "--version", "-V" };

	for (size_t i = 0; i < N(forms); i++) {
		struct options o;
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

		cr_assert_not_null(m);
		cr_expect_eq(parse_words(&o, m, forms[i], "http://a.test/",
					 (const char *)NULL),
			     OPTIONS_EXIT);
		fclose(m);
		cr_expect_str_eq(buf, "crawler 0.1.0\n", "%s", forms[i]);
		options_release(&o);
		free(buf);
	}
}

/* Is c a character that can continue an option name? */
static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Does the man page mention "--name" as a whole option name? The page
 * writes "-" as "\-"; a name is cut short by anything but [a-z0-9] or a
 * "\-" followed by [a-z0-9]. */
static bool man_has_option(const char *man, const char *name)
{
	char pat[128];
	size_t n = 0;

	n += (size_t)snprintf(pat, sizeof(pat), "\\-\\-");
	for (const char *p = name; *p && n + 3 < sizeof(pat); p++) {
		if (*p == '-')
			pat[n++] = '\\';
		pat[n++] = *p;
	}
	pat[n] = '\0';
	for (const char *hit = strstr(man, pat); hit; hit = strstr(hit + 1, pat)) {
		const char *after = hit + n;

		if (name_char(after[0]))
			continue;
		if (after[0] == '\\' && after[1] == '-' && name_char(after[2]))
			continue;
		return true;
	}
	return false;
}

/* Does text mention "--name" as a whole option name? */
static bool text_has_option(const char *text, const char *name)
{
	char pat[128];
	size_t n = (size_t)snprintf(pat, sizeof(pat), "--%s", name);

	for (const char *hit = strstr(text, pat); hit; hit = strstr(hit + 1, pat)) {
		char after = hit[n];

		if (hit > text && hit[-1] == '-')
			continue;
		if (name_char(after) || (after == '-' && name_char(hit[n + 1])))
			continue;
		return true;
	}
	return false;
}

Test(options, whole_name_matching_tells_prefixes_apart)
{
	/* The helpers the next tests rely on must not be fooled. */
	cr_expect_not(man_has_option("\\-\\-no\\-progress", "progress"));
	cr_expect_not(man_has_option("\\-\\-max\\-depth", "max"));
	cr_expect_not(man_has_option("\\-\\-linksx", "links"));
	cr_expect(man_has_option(".BR \\%\\-\\-progress ,", "progress"));
	cr_expect(man_has_option("\\-\\-no\\-progress\n", "no-progress"));
	cr_expect_not(text_has_option("--no-progress", "progress"));
	cr_expect_not(text_has_option("--max-depth", "max"));
	cr_expect(text_has_option("  --progress  draw", "progress"));
}

Test(options, every_long_option_is_in_the_man_page)
{
	char *man = read_all(MAN_PAGE);
	const char *const *names = options_long_names();
	size_t count = 0;

	cr_assert_not_null(names);
	for (; *names; names++, count++)
		cr_expect(man_has_option(man, *names),
			  "--%s is not in " MAN_PAGE, *names);
	cr_expect_geq(count, 20, "the table lists every option");
	free(man);
}

Test(options, every_long_option_is_in_the_help_text)
{
	char *text = help_text();

	for (const char *const *names = options_long_names(); *names; names++)
		cr_expect(text_has_option(text, *names), "--%s is not in --help",
			  *names);
	free(text);
}

Test(options, every_option_in_the_man_page_is_a_known_option)
{
	char *man = read_all(MAN_PAGE);
	size_t found = 0;

	for (const char *p = strstr(man, "\\-\\-"); p; p = strstr(p, "\\-\\-")) {
		char name[64];
		size_t n = 0;
		bool known = false;

		p += 4;
		while (n + 1 < sizeof(name)) {
			if (name_char(*p) ||
			    (p[0] == '.' && p[1] >= '0' && p[1] <= '9')) {
				/* "http1.1": a dot between digits continues it. */
				name[n++] = *p++;
			} else if (p[0] == '\\' && p[1] == '-' && name_char(p[2])) {
				name[n++] = '-';
				p += 2;
			} else {
				break;
			}
		}
		name[n] = '\0';
		if (!n)
			continue;
		found++;
		for (const char *const *k = options_long_names(); *k; k++)
			known = known || !strcmp(*k, name);
		cr_expect(known, MAN_PAGE " documents --%s, which is not an option",
			  name);
	}
	cr_expect_geq(found, 20, "the man page has its options");
	free(man);
}

Test(options, malformed_or_runaway_regex_is_a_usage_error_naming_it)
{
	EXPECT_USAGE(W("--include", "(a", "http://a.test/"), "--include", "(a");
	/* glibc's regcomp would spend minutes on these (regex_check.h). */
	EXPECT_USAGE(W("--include", "^h**++++n", "http://a.test/"), "--include",
		     "^h**++++n", "right after another");
	EXPECT_USAGE(W("--exclude", "^((h*)+)+n", "http://a.test/"), "--exclude",
		     "can match nothing");
}

/* ---- HTTP request options of issue 9 ----------------------------------- */

Test(options, request_options_default_to_off)
{
	struct options o;

	PARSE_OK(&o, "http://a.test/");
	cr_expect_eq(o.crawl.nresolve, 0);
	cr_expect_null(o.crawl.user);
	cr_expect_null(o.crawl.password);
	cr_expect_null(o.crawl.load_cookies);
	cr_expect_null(o.crawl.save_cookies);
	cr_expect_eq(o.crawl.limit_rate, 0, "unlimited");
	cr_expect_eq(o.crawl.types.naccept, 0, "every type");
	cr_expect_eq(o.crawl.types.nreject, 0);
	options_release(&o);
}

Test(options, resolve_is_repeatable_and_kept_in_order)
{
	struct options o;

	PARSE_OK(&o, "--resolve", "a.test:80:127.0.0.1", "--resolve",
		 "b.test:443:[::1],127.0.0.2", "--resolve", "*:8080:::1",
		 "--resolve", "c.test:65535:[2001:db8::1],[::2]", "http://a.test/");
	cr_assert_eq(o.crawl.nresolve, 4);
	cr_expect_str_eq(o.crawl.resolve[0], "a.test:80:127.0.0.1");
	cr_expect_str_eq(o.crawl.resolve[1], "b.test:443:[::1],127.0.0.2");
	cr_expect_str_eq(o.crawl.resolve[2], "*:8080:::1");
	cr_expect_str_eq(o.crawl.resolve[3], "c.test:65535:[2001:db8::1],[::2]");
	options_release(&o);
}

Test(options, malformed_resolve_is_a_usage_error_naming_it)
{
	static const char *const bad[] = {
		"a.test", "a.test:80", "a.test:80:", ":80:127.0.0.1",
		"a.test:0:127.0.0.1", "a.test:65536:127.0.0.1",
		"a.test:x:127.0.0.1", "a.test::127.0.0.1", "a.test:80:127.0.0",
		"a.test:80:127.0.0.1,", "a.test:80:,127.0.0.1",
		"a.test:80:[127.0.0.1]", "a.test:80:example.com", "a.test:80:[::1",
		"a b:80:127.0.0.1", "+a.test:80:127.0.0.1", "-a.test:80",
		"[::1]:80:127.0.0.1", "a.test:80:127.0.0.1 ",
	};

	for (size_t i = 0; i < N(bad); i++)
		EXPECT_USAGE(W("--resolve", bad[i], "http://a.test/"), "--resolve",
			     bad[i], "HOST:PORT:ADDR");
}

Test(options, user_and_password_set_their_fields)
{
	struct options o;

	PARSE_OK(&o, "--user", "alice", "--password", "s3cret:with colon",
		 "http://a.test/");
	cr_expect_str_eq(o.crawl.user, "alice");
	cr_expect_str_eq(o.crawl.password, "s3cret:with colon");
	options_release(&o);
	PARSE_OK(&o, "--user", "alice", "http://a.test/");
	cr_expect_str_eq(o.crawl.user, "alice");
	cr_expect_null(o.crawl.password, "an empty password; never a prompt");
	options_release(&o);
	PARSE_OK(&o, "--password", "", "--user", "bob", "http://a.test/");
	cr_expect_str_eq(o.crawl.password, "");
	options_release(&o);
}

Test(options, bad_user_or_password_alone_is_a_usage_error)
{
	EXPECT_USAGE(W("--user", "al:ice", "http://a.test/"), "--user", "al:ice",
		     "colon");
	EXPECT_USAGE(W("--user", "", "http://a.test/"), "--user", "empty");
	EXPECT_USAGE(W("--user", "a\tb", "http://a.test/"), "--user", "control");
	EXPECT_USAGE(W("--password", "hunter2", "http://a.test/"),
		     "--password needs --user");
	/* The password itself is never in a message. */
	EXPECT_USAGE(W("--password", "hunter2", "http://a.test/"), "");
	cr_expect_null(strstr(err, "hunter2"), "%s", err);
}

Test(options, cookie_files_set_their_fields)
{
	struct options o;

	PARSE_OK(&o, "--load-cookies", "in.txt", "--save-cookies", "out.txt",
		 "http://a.test/");
	cr_expect_str_eq(o.crawl.load_cookies, "in.txt");
	cr_expect_str_eq(o.crawl.save_cookies, "out.txt");
	cr_expect_not(o.crawl.cookies, "implied by the crawl, not set here");
	options_release(&o);
}

Test(options, limit_rate_takes_a_size_in_bytes_per_second)
{
	static const struct {
		const char *text;
		uint64_t rate;
	} rows[] = {
		{ "1", 1 }, { "512", 512 }, { "100k", 102400 }, { "2M", 2097152 },
		{ "1.5k", 1536 },
	};
	struct options o;

	for (size_t i = 0; i < N(rows); i++) {
		PARSE_OK(&o, "--limit-rate", rows[i].text, "http://a.test/");
		cr_expect_eq(o.crawl.limit_rate, rows[i].rate, "%s: %llu",
			     rows[i].text, (unsigned long long)o.crawl.limit_rate);
		options_release(&o);
	}
}

Test(options, bad_limit_rate_is_a_usage_error_naming_it)
{
	static const char *const bad[] = { "0", "fast", "-1", "1e3", "10Q", "" };

	for (size_t i = 0; i < N(bad); i++)
		EXPECT_USAGE(W("--limit-rate", bad[i], "http://a.test/"),
			     "--limit-rate", bad[i], "rate");
}

Test(options, accept_and_reject_types_are_repeatable_and_kept_in_order)
{
	struct options o;

	PARSE_OK(&o, "--accept-type", "text/html", "--reject-type", "image/*",
		 "--accept-type", "IMAGE/*", "--reject-type", "*/*",
		 "http://a.test/");
	cr_assert_eq(o.crawl.types.naccept, 2);
	cr_expect_str_eq(o.crawl.types.accept[0], "text/html");
	cr_expect_str_eq(o.crawl.types.accept[1], "IMAGE/*");
	cr_assert_eq(o.crawl.types.nreject, 2);
	cr_expect_str_eq(o.crawl.types.reject[0], "image/*");
	cr_expect_str_eq(o.crawl.types.reject[1], "*/*");
	options_release(&o);
}

Test(options, malformed_media_type_is_a_usage_error_naming_it)
{
	static const char *const bad[] = {
		"text", "*/html", "text/", "text/html; charset=utf-8", "",
		"image/*x",
	};

	for (size_t i = 0; i < N(bad); i++) {
		EXPECT_USAGE(W("--accept-type", bad[i], "http://a.test/"),
			     "--accept-type", bad[i], "media type");
		EXPECT_USAGE(W("--reject-type", bad[i], "http://a.test/"),
			     "--reject-type", bad[i], "media type");
	}
}
