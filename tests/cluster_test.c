/* cluster_test: one crawl shared by worker processes through a real
 * redis-server and written by one collector (docs/DISTRIBUTED.md), against
 * the crawl of the same sites by one process.
 *
 * The sites are generated (tests/support/site.h), one per loopback host
 * (127.0.0.2, .3, .4), served in this process; their handler counts the
 * requests it is answering at once, per host, so the test sees what the
 * cluster did to each origin. The workers and the collector are the real
 * program (CRAWLER_BIN, build/crawler by default), started as processes,
 * so they can be killed, stopped and continued. Every test has a
 * redis-server and a directory of its own. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crawlrun.h"
#include "redissrv.h"
#include "site.h"
#include "testsrv.h"
#include "warc_read.h"

#define HOSTS 3
#define PROC_TIMEOUT_S 90

extern char **environ;

struct host {
	struct site site;
	struct testsrv *srv;
	char *origin;           /* "http://127.0.0.N:PORT" */
	char *seed;             /* origin + "/" */
	int delay_ms;           /* each answer waits this long */
	atomic_int busy, peak;  /* requests being answered; the most at once */
};

static struct host hosts[HOSTS];
static struct redissrv *rs;
static char dir[64];

static bool counting_site(void *arg, const char *path, struct testsrv_reply *reply,
			  void **free_body)
{
	struct host *h = arg;
	int now = atomic_fetch_add(&h->busy, 1) + 1, was = atomic_load(&h->peak);
	bool found;

	while (now > was && !atomic_compare_exchange_weak(&h->peak, &was, now))
		;
	if (h->delay_ms)
		usleep((useconds_t)h->delay_ms * 1000);
	found = site_handler(&h->site, path, reply, free_body);
	atomic_fetch_sub(&h->busy, 1);
	return found;
}

/* HOSTS sites of pages pages each, answering after delay_ms. */
static void hosts_start(size_t pages, int delay_ms)
{
	for (int i = 0; i < HOSTS; i++) {
		struct host *h = &hosts[i];
		char ip[16];

		snprintf(ip, sizeof(ip), "127.0.0.%d", i + 2);
		*h = (struct host){
			.site = { .seed = (uint64_t)i + 7, .pages = pages, .links = 4,
				  .page_bytes = 1500, .specials = true },
			.delay_ms = delay_ms,
		};
		h->srv = testsrv_start(ip, NULL, 0, counting_site, h);
		h->origin = testsrv_url(h->srv, "");
		h->seed = testsrv_url(h->srv, "/");
		h->site.origin = h->origin;
	}
}

static void setup(void)
{
	run_setup();
	rs = redissrv_start(false);
	snprintf(dir, sizeof(dir), "/tmp/cluster-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

/* A test's .init runs after the suite's: the suite's Redis is replaced
 * by one with its AOF on. */
static void setup_aof(void)
{
	redissrv_stop(rs);
	rs = redissrv_start(true);
}

static void teardown(void)
{
	char cmd[128];

	for (int i = 0; i < HOSTS; i++) {
		if (hosts[i].srv)
			testsrv_stop(hosts[i].srv);
		free(hosts[i].origin);
		free(hosts[i].seed);
		memset(&hosts[i], 0, sizeof(hosts[i]));
	}
	redissrv_stop(rs);
	/* CLUSTER_KEEP=1 keeps the logs, to read why a test failed. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (dir[0] && !getenv("CLUSTER_KEEP") && system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(cluster, .init = setup, .fini = teardown, .timeout = 240);

static const char *crawler_bin(void)
{
	const char *b = getenv("CRAWLER_BIN");

	return b && *b ? b : "build/crawler";
}

/* The program with args (NULL-terminated, after the program's name),
 * its standard error into dir/<log>. */
static pid_t spawn(const char *log, const char *const *args)
{
	const char *argv[64] = { crawler_bin() };
	posix_spawn_file_actions_t fa;
	char path[128];
	pid_t pid;
	size_t n = 1;

	while (*args && n < 63)
		argv[n++] = *args++;
	argv[n] = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, log);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, path,
					 O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ),
		     0, "cannot start %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/* Its exit status; a process still running after PROC_TIMEOUT_S is
 * killed and fails the test. */
static int wait_exit(pid_t pid, const char *what)
{
	int st;

	for (int i = 0; i < PROC_TIMEOUT_S * 20; i++) {
		pid_t got = waitpid(pid, &st, WNOHANG);

		if (got == pid) {
			cr_assert(WIFEXITED(st), "%s died of signal %d", what,
				  WIFSIGNALED(st) ? WTERMSIG(st) : 0);
			return WEXITSTATUS(st);
		}
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	cr_assert_fail("%s did not end in %d s (see %s)", what, PROC_TIMEOUT_S, dir);
	return -1;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Start a worker of crawl name; seeds when seeded; extra args (NULL
 * ended) after the crawl's. */
static pid_t worker(const char *name, const char *log, bool seeded,
		    const char *const *extra)
{
	const char *args[48] = { "--redis", rs->url, "--crawl", name, "-q",
				 "--per-host", "2", "-c", "6" };
	size_t n = 9;

	for (; extra && *extra; extra++)
		args[n++] = *extra;
	if (seeded)
		for (int i = 0; i < HOSTS; i++)
			args[n++] = hosts[i].seed;
	args[n] = NULL;
	return spawn(log, args);
}

/* A joining worker, given no crawl options: it takes the stored ones. */
static pid_t joiner(const char *name, const char *log, const char *ttl)
{
	const char *args[] = { "--redis", rs->url, "--crawl", name, "-q", "-c", "6",
			       "--lease-ttl", ttl, NULL };

	return spawn(log, args);
}

static pid_t collector(const char *name, const char *out, const char *log,
		       const char *extra)
{
	char path[128], stats[128];
	const char *args[] = { "--redis", rs->url, "--crawl", name, "--collect",
			       "-o", path, "--stats", stats, extra, NULL };

	snprintf(path, sizeof(path), "%s/%s", dir, out);
	snprintf(stats, sizeof(stats), "%s/%s.stats", dir, out);
	return spawn(log, args);
}

/* The URLs of the JSON Lines file dir/out, in order; every line whole. */
static size_t read_urls(const char *out, char ***urls)
{
	char path[128], *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, out);
	f = fopen(path, "r");
	cr_assert_not_null(f, "no output %s", path);
	*urls = NULL;
	while ((len = getline(&line, &cap, f)) > 0) {
		json_error_t jerr;
		json_t *j = json_loads(line, 0, &jerr);

		cr_assert(line[len - 1] == '\n' && j, "a broken line in %s: %s", path, line);
		*urls = realloc(*urls, (n + 1) * sizeof(**urls));
		(*urls)[n++] = strdup(json_string_value(json_object_get(j, "url")));
		json_decref(j);
	}
	free(line);
	fclose(f);
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The one-process crawl of the sites with the workers' options. */
static size_t expected_urls(char ***urls, void (*shape)(struct crawl_config *))
{
	char *seeds[HOSTS];
	struct crawl_config cfg;
	struct run run;

	for (int i = 0; i < HOSTS; i++)
		seeds[i] = hosts[i].seed;
	run_config(&cfg, seeds, HOSTS);
	cfg.per_host = 2;
	if (shape)
		shape(&cfg);
	run_crawl(&cfg, &run);
	*urls = calloc(run.n, sizeof(**urls));
	for (size_t i = 0; i < run.n; i++)
		(*urls)[i] = strdup(rec_str(run.recs[i], "url"));
	run_free(&run);
	return run.n;
}

static void free_urls(char **urls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
}

/* dir/out holds exactly the URLs of want, once each. */
static void expect_same_urls(const char *out, char **want, size_t nwant)
{
	char **got;
	size_t n = read_urls(out, &got);

	qsort(got, n, sizeof(*got), cmp_str);
	qsort(want, nwant, sizeof(*want), cmp_str);
	for (size_t i = 1; i < n; i++)
		cr_expect_str_neq(got[i - 1], got[i], "%s recorded twice", got[i]);
	for (size_t i = 0, j = 0; i < nwant || j < n;) {
		int d = i == nwant ? 1 : j == n ? -1 : strcmp(want[i], got[j]);

		cr_expect(d >= 0, "%s missing from the cluster's output", want[i]);
		cr_expect(d <= 0, "%s recorded, and not by one process", got[j]);
		i += d <= 0;
		j += d >= 0;
	}
	cr_expect_eq(n, nwant, "%zu records, one process made %zu", n, nwant);
	free_urls(got, n);
}

static size_t keys_left(const char *name)
{
	redisContext *c = redisConnect("127.0.0.1", rs->port);
	redisReply *r;
	size_t n;

	cr_assert(c && !c->err);
	r = redisCommand(c, "KEYS C:{%s}:*", name);
	cr_assert(r && r->type == REDIS_REPLY_ARRAY);
	n = r->elements;
	freeReplyObject(r);
	redisFree(c);
	return n;
}

/* The summary's "pages", from the collector's --stats. */
static long long stats_pages(const char *out)
{
	char path[160];
	json_error_t jerr;
	json_t *j;
	long long n;

	snprintf(path, sizeof(path), "%s/%s.stats", dir, out);
	j = json_load_file(path, 0, &jerr);
	cr_assert_not_null(j, "no summary in %s: %s", path, jerr.text);
	n = json_integer_value(json_object_get(j, "pages"));
	cr_expect_str_eq(json_string_value(json_object_get(j, "stop")), "done");
	json_decref(j);
	return n;
}

Test(cluster, three_workers_and_a_collector_write_what_one_process_does)
{
	char **want;
	size_t nwant, robots[HOSTS];
	pid_t c, w[3];

	hosts_start(80, 4);
	nwant = expected_urls(&want, NULL);
	/* From here on, what the cluster asks of each host. */
	for (int i = 0; i < HOSTS; i++) {
		atomic_store(&hosts[i].peak, 0);
		robots[i] = testsrv_hits(hosts[i].srv, "/robots.txt");
	}
	c = collector("c1", "out.jsonl", "collector.log", NULL);
	w[0] = worker("c1", "w0.log", true, NULL);
	sleep_ms(100);
	w[1] = joiner("c1", "w1.log", "5s");
	w[2] = joiner("c1", "w2.log", "5s");
	for (int i = 0; i < 3; i++)
		cr_expect_eq(wait_exit(w[i], "a worker"), 0, "worker %d (see %s)", i, dir);
	cr_assert_eq(wait_exit(c, "the collector"), 0, "see %s/collector.log", dir);
	expect_same_urls("out.jsonl", want, nwant);
	cr_expect_eq(stats_pages("out.jsonl"), (long long)nwant);
	for (int i = 0; i < HOSTS; i++) {
		cr_expect_leq(atomic_load(&hosts[i].peak), 2,
			      "%d requests at once to %s across the cluster (--per-host 2)",
			      atomic_load(&hosts[i].peak), hosts[i].origin);
		size_t asked = testsrv_hits(hosts[i].srv, "/robots.txt") - robots[i];

		cr_expect_eq(asked, 1, "robots.txt of %s fetched %zu times by the cluster",
			     hosts[i].origin, asked);
	}
	cr_expect_eq(keys_left("c1"), 0, "the collector leaves no key of the crawl");
	free_urls(want, nwant);
}

/* Run r of the kill test: kill -9 a worker, SIGSTOP another past its
 * lease and continue it, kill -9 the collector and start it again, kill
 * -9 a third worker and start a fourth; the kill points move with r. */
static void killed_run(int r, char **want, size_t nwant)
{
	char name[16], out[32];
	const char *ttl[] = { "--lease-ttl", "1s", NULL };
	pid_t c, w0, w1, w2, w3;
	int step = 120 + 90 * r;

	snprintf(name, sizeof(name), "k%d", r);
	snprintf(out, sizeof(out), "k%d.jsonl", r);
	c = collector(name, out, "collector.log", NULL);
	w0 = worker(name, "w0.log", true, ttl);
	sleep_ms(60);
	w1 = joiner(name, "w1.log", "1s");
	w2 = joiner(name, "w2.log", "1s");
	sleep_ms(step);
	kill(w0, SIGKILL);
	waitpid(w0, NULL, 0);
	sleep_ms(step / 2);
	kill(w1, SIGSTOP);
	sleep_ms(700);
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	c = collector(name, out, "collector.log", NULL);
	sleep_ms(900);  /* w1's leases lapse (1s) and go to the others */
	kill(w1, SIGCONT);
	w3 = joiner(name, "w3.log", "1s");
	sleep_ms(step / 3);
	kill(w2, SIGKILL);
	waitpid(w2, NULL, 0);
	cr_expect_eq(wait_exit(w1, "the stopped worker"), 0, "see %s/w1.log", dir);
	cr_expect_eq(wait_exit(w3, "the last worker"), 0, "see %s/w3.log", dir);
	cr_assert_eq(wait_exit(c, "the collector"), 0, "see %s/collector.log", dir);
	expect_same_urls(out, want, nwant);
	cr_expect_eq(keys_left(name), 0);
}

Test(cluster, kills_and_stops_lose_nothing_and_repeat_nothing)
{
	char **want;
	size_t nwant;

	/* Slow enough answers that every kill lands mid-crawl (about 3 s at
	 * --per-host 2 without them). */
	hosts_start(200, 30);
	nwant = expected_urls(&want, NULL);
	for (int r = 0; r < 5; r++)
		killed_run(r, want, nwant);
	free_urls(want, nwant);
}

Test(cluster, redis_restarted_with_its_aof_the_crawl_goes_on, .init = setup_aof)
{
	char **want;
	size_t nwant;
	pid_t c, w[3];

	hosts_start(120, 8);
	nwant = expected_urls(&want, NULL);
	c = collector("a1", "out.jsonl", "collector.log", NULL);
	w[0] = worker("a1", "w0.log", true, NULL);
	sleep_ms(100);
	w[1] = joiner("a1", "w1.log", "5s");
	w[2] = joiner("a1", "w2.log", "5s");
	sleep_ms(500);
	redissrv_restart(rs);
	for (int i = 0; i < 3; i++)
		cr_expect_eq(wait_exit(w[i], "a worker"), 0, "worker %d (see %s)", i, dir);
	cr_assert_eq(wait_exit(c, "the collector"), 0, "see %s/collector.log", dir);
	expect_same_urls("out.jsonl", want, nwant);
	free_urls(want, nwant);
}

Test(cluster, max_pages_is_the_crawls)
{
	const char *limit[] = { "-n", "40", NULL };
	char **got;
	size_t n;
	pid_t c, w[3];

	hosts_start(80, 4);
	c = collector("m1", "out.jsonl", "collector.log", NULL);
	w[0] = worker("m1", "w0.log", true, limit);
	sleep_ms(100);
	w[1] = joiner("m1", "w1.log", "5s");
	w[2] = joiner("m1", "w2.log", "5s");
	for (int i = 0; i < 3; i++)
		cr_expect_eq(wait_exit(w[i], "a worker"), 0);
	cr_assert_eq(wait_exit(c, "the collector"), 0, "see %s/collector.log", dir);
	n = read_urls("out.jsonl", &got);
	cr_expect_eq(n, 40, "%zu records for -n 40 across three workers", n);
	free_urls(got, n);
}

/* Runs the program to its end with args; its exit status. */
static int run_program(const char *log, const char *const *args)
{
	return wait_exit(spawn(log, args), "crawler");
}

Test(cluster, joining_is_checked)
{
	const char *no_seeds[] = { "--redis", rs->url, "--crawl", "nope", "-q", NULL };
	const char *bad_url[] = { "--redis", "redis://", "--crawl", "x", "-q", NULL };
	const char *bad_name[] = { "--redis", rs->url, "--crawl", "a b", "-q", NULL };
	const char *other[] = { "-d", "1", NULL };
	const char *collect_keep = "--keep";

	hosts_start(20, 0);
	cr_expect_eq(run_program("a.log", no_seeds), 2, "no such crawl, no seeds");
	cr_expect_eq(run_program("b.log", bad_url), 2, "a Redis URL without a host");
	cr_expect_eq(run_program("c.log", bad_name), 2, "a crawl name with a space");
	cr_expect_eq(wait_exit(worker("j1", "w0.log", true, NULL), "a worker"), 0);
	cr_expect_eq(wait_exit(worker("j1", "w1.log", true, other), "a worker"), 2,
		     "joined with another --max-depth");
	cr_expect_eq(wait_exit(joiner("j1", "w2.log", "5s"), "a worker"), 0,
		     "joined as it is: the crawl is over, the worker exits");
	cr_expect_eq(wait_exit(collector("j1", "out.jsonl", "c1.log", collect_keep),
			       "the collector"), 0);
	cr_expect_gt(keys_left("j1"), 0, "--keep keeps the crawl's keys");
	cr_expect_eq(wait_exit(collector("j1", "out.jsonl", "c2.log", NULL),
			       "the collector"), 0);
	cr_expect_eq(keys_left("j1"), 0);
}

/* Each line of dir/out names its response record in the collector's WARC
 * files, for its own URL, digests right; n lines in all. */
static void expect_archived(const char *out, size_t n)
{
	char path[128], *line = NULL;
	size_t cap = 0, lines = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, out);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, 0, NULL), *w = json_object_get(j, "warc");
		const char *url = json_string_value(json_object_get(j, "url"));
		struct warc_rec r;
		char file[160];

		lines++;
		if (json_integer_value(json_object_get(j, "status")) == 0) {
			json_decref(j);
			continue; /* no response, nothing archived */
		}
		cr_assert(json_is_object(w), "%s has no WARC record", url);
		snprintf(file, sizeof(file), "%s", json_string_value(json_object_get(w, "file")));
		cr_assert(warc_read_member(file, (uint64_t)json_integer_value(json_object_get(w, "offset")),
					   (uint64_t)json_integer_value(json_object_get(w, "length")), &r),
			  "no record where the line of %s says", url);
		/* A payload archived before (a 404 page, a redirect's) is a
		 * revisit, as in one process. */
		cr_expect(strcmp(warc_rec_field(&r, "WARC-Type"), "response") == 0 ||
			  strcmp(warc_rec_field(&r, "WARC-Type"), "revisit") == 0,
			  "%s: a %s record", url, warc_rec_field(&r, "WARC-Type"));
		cr_expect_str_eq(warc_rec_field(&r, "WARC-Target-URI"), url);
		warc_rec_check_digests(&r);
		warc_recs_free(&r, 1);
		json_decref(j);
	}
	free(line);
	fclose(f);
	cr_expect_eq(lines, n);
}

Test(cluster, the_collectors_warc_has_every_response_the_workers_fetched)
{
	char **want, warc[128], flag[160];
	size_t nwant;
	pid_t c, w[2];

	hosts_start(40, 2);
	nwant = expected_urls(&want, NULL);
	snprintf(warc, sizeof(warc), "%s/arch.warc.gz", dir);
	snprintf(flag, sizeof(flag), "--warc=%s", warc);
	c = collector("w1", "out.jsonl", "collector.log", flag);
	sleep_ms(300); /* workers send exchanges to a collector that asked first */
	w[0] = worker("w1", "w0.log", true, NULL);
	sleep_ms(100);
	w[1] = joiner("w1", "w1.log", "5s");
	for (int i = 0; i < 2; i++)
		cr_expect_eq(wait_exit(w[i], "a worker"), 0);
	cr_assert_eq(wait_exit(c, "the collector"), 0, "see %s/collector.log", dir);
	expect_same_urls("out.jsonl", want, nwant);
	expect_archived("out.jsonl", nwant);
	free_urls(want, nwant);
}

/* The summary's stop, from the collector's --stats. */
static char *stats_stop(const char *out)
{
	char path[160];
	json_t *j;
	char *stop;

	snprintf(path, sizeof(path), "%s/%s.stats", dir, out);
	j = json_load_file(path, 0, NULL);
	cr_assert_not_null(j, "no summary in %s", path);
	stop = strdup(json_string_value(json_object_get(j, "stop")));
	json_decref(j);
	return stop;
}

Test(cluster, max_time_is_the_crawls_from_its_start)
{
	const char *limit[] = { "-T", "1500ms", NULL };
	struct timespec t0, t1;
	char *stop;
	pid_t c, w[2];

	/* Far more than 1.5 s of crawling at --per-host 2. */
	hosts_start(400, 50);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	c = collector("t1", "out.jsonl", "collector.log", NULL);
	w[0] = worker("t1", "w0.log", true, limit);
	sleep_ms(700);
	w[1] = joiner("t1", "w1.log", "5s"); /* its deadline is the crawl's */
	for (int i = 0; i < 2; i++)
		cr_expect_eq(wait_exit(w[i], "a worker"), 0, "see %s", dir);
	cr_assert_eq(wait_exit(c, "the collector"), 0, "see %s/collector.log", dir);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	stop = stats_stop("out.jsonl");
	cr_expect_str_eq(stop, "max-time");
	free(stop);
	/* The crawl stopped, not ran on: 400 pages a host at --per-host 2
	 * take 10 s; 8 s is far from either on any machine. */
	cr_expect_lt(t1.tv_sec - t0.tv_sec, 8, "the crawl ran %ld s past -T 1500ms",
		     (long)(t1.tv_sec - t0.tv_sec));
	cr_expect_eq(keys_left("t1"), 0);
}
