/* Integration: --state crawls stopped or killed at the instants that
 * matter, then resumed, through the crawl API against testsrv. After any
 * stop the union of the runs' output must hold every reachable URL once,
 * with its final answer: none lost, none twice, none left "canceled".
 *
 * A run here does what main does with --state: it opens the journal and,
 * when it has entries, learns from the output which URLs have a record and
 * appends after them. A kill is a forked child calling _exit from the
 * crawl's hook at the chosen instant (the server stays in the parent); a
 * stop is the parent ctx cancelled from the hook, as a SIGINT would. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crawl.h"
#include "crawlrun.h"
#include "ctx.h"
#include "journal.h"
#include "resume.h"
#include "testsrv.h"
#include "visited.h"

#define HTML(body) "<!doctype html><html><head><title>t</title></head><body>" body "</body></html>"

TestSuite(resume, .init = run_setup, .timeout = 60);

struct state {
	char dir[64];  /* --state DIR */
	char out[96];  /* -o FILE */
};

static void state_init(struct state *st)
{
	snprintf(st->dir, sizeof(st->dir), "/tmp/crawler-resume-XXXXXX");
	cr_assert_not_null(mkdtemp(st->dir));
	snprintf(st->out, sizeof(st->out), "%s/out.jsonl", st->dir);
}


/* One run of the --state crawl cfg describes, as main runs it. The
 * summary and report are freed here. */
static struct crawl_result state_run(const struct state *st,
				     struct crawl_config *cfg, struct ctx *parent)
{
	char err[256];
	struct journal *j = journal_open(st->dir, err, sizeof(err));
	struct visited *recorded = NULL;
	int fd = open(st->out, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	struct crawl_result res;
	struct crawl *c;
	size_t n;

	cr_assert_not_null(j, "%s", err);
	cr_assert(fd >= 0);
	if (journal_entries(j)) {
		recorded = visited_memory_new();
		cr_assert_eq(resume_scan_output(fd, recorded, &n, err, sizeof(err)),
			     RESUME_OK, "%s", err);
	} else {
		cr_assert_eq(ftruncate(fd, 0), 0);
	}
	cfg->journal = j;
	cfg->recorded = recorded;
	cfg->out_fd = fd;
	c = crawl_new(cfg, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(crawl_run(c, parent, &res), CRAWL_OK);
	crawl_free(c);
	crawl_result_release(&res);
	res.summary = NULL;
	close(fd);
	journal_close(j);
	visited_free(recorded);
	return res;
}

/* Every line of the output, parsed (each must be a whole JSON object). */
static size_t read_output(const struct state *st, json_t ***out)
{
	FILE *f = fopen(st->out, "r");
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;

	cr_assert_not_null(f);
	*out = NULL;
	while ((len = getline(&line, &cap, f)) > 0) {
		json_t *j;

		cr_assert_eq(line[len - 1], '\n', "a torn line: %s", line);
		j = json_loads(line, 0, NULL);
		cr_assert(json_is_object(j), "not a JSON object: %s", line);
		*out = realloc(*out, (n + 1) * sizeof(**out));
		(*out)[n++] = j;
	}
	free(line);
	fclose(f);
	return n;
}

static void free_output(json_t **recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(recs[i]);
	free(recs);
}

/* The output holds exactly the records of paths on srv, each once, none
 * with error kind canceled. */
static void expect_each_once(const struct state *st, struct testsrv *srv,
			     const char *const *paths, size_t npaths)
{
	json_t **recs;
	size_t n = read_output(st, &recs);

	cr_expect_eq(n, npaths, "%zu records, want %zu", n, npaths);
	for (size_t p = 0; p < npaths; p++) {
		char *url = testsrv_url(srv, paths[p]);
		size_t times = 0;

		for (size_t i = 0; i < n; i++)
			if (!strcmp(rec_str(recs[i], "url"), url)) {
				times++;
				cr_expect(!rec_err(recs[i]) ||
						  strcmp(rec_err(recs[i]), "canceled"),
					  "%s: recorded canceled", url);
			}
		cr_expect_eq(times, 1, "%s recorded %zu times", url, times);
		free(url);
	}
	free_output(recs, n);
}

static const struct testsrv_route three_links[] = {
	{ "/", { .body = HTML("<a href='/a'>a</a><a href='/b'>b</a><a href='/c'>c</a>") } },
	{ "/a", { .body = HTML("a") } },
	{ "/b", { .body = HTML("b") } },
	{ "/c", { .body = HTML("c") } },
};
static const char *const three_links_paths[] = { "/", "/a", "/b", "/c" };

/* ---- a kill halfway through admitting a page's links ------------------ */

struct killer {
	const char *seed;
	const char *out;
	const char *link; /* the URL of a record to wait for */
};

static bool output_has(const char *path, const char *url)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, want[256];
	size_t cap = 0;
	bool found = false;

	if (!f)
		return false;
	snprintf(want, sizeof(want), "\"url\":\"%s\"", url);
	while (!found && getline(&line, &cap, f) > 0)
		found = strstr(line, want) != NULL;
	free(line);
	fclose(f);
	return found;
}

/* Halfway through admitting the seed's links, give the crawl every chance
 * to fetch and record one of them (2 s: it takes milliseconds when it can),
 * then die as a kill -9 would. */
static void kill_halfway(void *arg, enum crawl_hook at, const char *url)
{
	const struct killer *k = arg;
	struct timespec tick = { .tv_nsec = 10 * 1000000 };

	if (at != CRAWL_HOOK_ADMIT_HALFWAY || strcmp(url, k->seed))
		return;
	for (int i = 0; i < 200 && !output_has(k->out, k->link); i++)
		nanosleep(&tick, NULL);
	_exit(0);
}

/* Run the first crawl in a forked child that its hook kills; its exit
 * status. Under ASan, a child forked from this threaded process can hang
 * in the allocator at its first malloc (a lock held across the fork by
 * another thread): such a child is killed, and the run starts again in a
 * fresh state directory, as nothing of it can have reached the output. */
static int killed_run(struct state *st, struct killer *k, char **seed)
{
	struct crawl_config cfg;
	int status = -1;

	for (int attempt = 0; attempt < 3; attempt++) {
		pid_t pid, got = 0;

		state_init(st);
		k->out = st->out;
		pid = fork();
		cr_assert(pid >= 0);
		if (pid == 0) {
			run_config(&cfg, seed, 1);
			cfg.hook = kill_halfway;
			cfg.hook_arg = k;
			state_run(st, &cfg, NULL);
			_exit(3); /* the hook never came */
		}
		for (int i = 0; i < 1500 && !got; i++) {
			got = waitpid(pid, &status, WNOHANG);
			if (!got)
				nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000 }, NULL);
		}
		if (got == pid)
			return status;
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fprintf(stderr, "resume: a forked run hung and was killed; again\n");
	}
	return status;
}

Test(resume, a_kill_halfway_through_admitting_links_records_none_twice)
{
	struct testsrv *srv = testsrv_start("127.0.0.1", three_links, 4, NULL, NULL);
	char *seed = testsrv_url(srv, "/"), *link = testsrv_url(srv, "/a");
	struct state st;
	struct crawl_config cfg;
	struct killer k = { .seed = seed, .link = link };
	int status = killed_run(&st, &k, &seed);

	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the first run was not killed by its hook (status %#x)", status);
	run_config(&cfg, &seed, 1);
	state_run(&st, &cfg, NULL);
	expect_each_once(&st, srv, three_links_paths, 4);
	free(seed);
	free(link);
	testsrv_stop(srv);
}

/* ---- a stop between reading a page and admitting its links ------------ */

struct stopper {
	const char *seed;
	struct ctx *root;
};

static void stop_after_reading(void *arg, enum crawl_hook at, const char *url)
{
	const struct stopper *s = arg;

	if (at == CRAWL_HOOK_PAGE_READ && !strcmp(url, s->seed))
		ctx_cancel(s->root, CRAWL_INTERRUPTED);
}

Test(resume, a_stop_between_reading_a_page_and_admitting_its_links_loses_none)
{
	struct testsrv *srv = testsrv_start("127.0.0.1", three_links, 4, NULL, NULL);
	char *seed = testsrv_url(srv, "/");
	struct state st;
	struct crawl_config cfg;
	struct ctx root;
	struct stopper s = { .seed = seed, .root = &root };
	struct crawl_result res;

	state_init(&st);
	ctx_init(&root, NULL, 0);
	run_config(&cfg, &seed, 1);
	cfg.hook = stop_after_reading;
	cfg.hook_arg = &s;
	res = state_run(&st, &cfg, &root);
	cr_expect_eq(res.stop, CRAWL_INTERRUPTED);
	cr_expect_eq(res.stats.pages, 1, "the page read is recorded");
	cr_expect_eq(res.not_fetched, 3, "its links wait for the next run");
	ctx_release(&root);
	run_config(&cfg, &seed, 1);
	res = state_run(&st, &cfg, NULL);
	cr_expect_eq(res.stop, CRAWL_DONE);
	expect_each_once(&st, srv, three_links_paths, 4);
	free(seed);
	testsrv_stop(srv);
}

/* ---- transfers the deadline cut off ------------------------------------ */

static void max_time_500ms(struct crawl_config *cfg)
{
	cfg->max_time_ms = 500;
}

Test(resume, transfers_cut_off_by_max_time_are_fetched_by_the_next_run)
{
	static const struct testsrv_route routes[] = {
		{ "/", { .body = HTML("<a href='/slow'>s</a><a href='/quick'>q</a>") } },
		{ "/slow", { .body = HTML("s"), .delay_ms = 2000 } },
		{ "/quick", { .body = HTML("q") } },
	};
	static const char *const paths[] = { "/", "/slow", "/quick" };
	struct testsrv *srv = testsrv_start("127.0.0.1", routes, 3, NULL, NULL);
	char *seed = testsrv_url(srv, "/");
	struct state st;
	struct crawl_config cfg;
	struct crawl_result res;

	state_init(&st);
	run_config(&cfg, &seed, 1);
	max_time_500ms(&cfg);
	res = state_run(&st, &cfg, NULL);
	cr_expect_eq(res.stop, CRAWL_MAX_TIME);
	cr_expect_eq(res.stats.pages, 2, "/ and /quick: /slow is no record yet");
	cr_expect_eq(res.stats.by_err[RECORD_ERR_CANCELED], 0);
	cr_expect_eq(res.not_fetched, 1, "/slow waits for the next run");
	run_config(&cfg, &seed, 1);
	res = state_run(&st, &cfg, NULL);
	cr_expect_eq(res.stop, CRAWL_DONE);
	cr_expect_eq(res.stats.pages, 1, "only /slow was left");
	expect_each_once(&st, srv, paths, 3);
	cr_expect_eq(testsrv_hits(srv, "/quick"), 1);
	free(seed);
	testsrv_stop(srv);
}

Test(resume, the_scan_finds_the_last_warc_record_the_output_names)
{
	static const char lines[] =
		"{\"url\":\"http://a.test/1\",\"warc\":{\"file\":\"w-00000.warc.gz\",\"offset\":300,\"length\":50}}\n"
		"{\"url\":\"http://a.test/2\",\"warc\":{\"file\":\"w-00001.warc.gz\",\"offset\":900,\"length\":70}}\n"
		"{\"url\":\"http://a.test/3\",\"warc\":null}\n"
		"{\"url\":\"http://a.test/4\",\"warc\":{\"file\":\"w-00001.warc.gz\",\"offset\":400,\"length\":60}}\n"
		"{\"url\":\"http://a.test/5\",\"warc\":{\"file\":\"w-00000.warc.gz\",\"offset\":2000,\"length\":9}}\n"
		"{\"url\":\"http://a.test/6\",\"warc\":{\"file\":\"w-0000";
	struct state st;
	struct visited *recorded = visited_memory_new();
	struct resume_warc warc = { 0 };
	char err[128];
	size_t n;
	int fd;

	state_init(&st);
	fd = open(st.out, O_RDWR | O_CREAT | O_TRUNC, 0644);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, lines, sizeof(lines) - 1), (ssize_t)sizeof(lines) - 1);
	cr_assert_eq(resume_scan(fd, recorded, &n, &warc, err, sizeof(err)), RESUME_OK,
		     "%s", err);
	cr_expect_eq(n, 5, "the torn line is no record");
	cr_assert_not_null(warc.file);
	cr_expect_str_eq(warc.file, "w-00001.warc.gz");
	cr_expect_eq(warc.end, 970);
	free(warc.file);
	close(fd);
	visited_free(recorded);
}

/* ---- a sitemap and a resource pending at the stop ---------------------- */

#define SITE_IP "127.0.0.200"
#define SLOW_MS 2000

/* robots.txt names a sitemap that answers at once, listing a slow page,
 * and a slow sitemap; the home page embeds a slow image that is HTML
 * inside, with a link no one should follow. Bodies name the port. */
static bool pending_site(void *arg, const char *path, struct testsrv_reply *reply,
			 void **free_body)
{
	const unsigned short *port = arg;
	char *body = malloc(1024);

	cr_assert(body);
	reply->body = body;
	*free_body = (void *)free;
	if (!strcmp(path, "/robots.txt")) {
		reply->content_type = "text/plain";
		snprintf(body, 1024, "Sitemap: http://" SITE_IP ":%u/fast.xml\n"
			 "Sitemap: http://" SITE_IP ":%u/slow.xml\n", *port, *port);
	} else if (!strcmp(path, "/fast.xml") || !strcmp(path, "/slow.xml")) {
		bool fast = path[1] == 'f';

		reply->content_type = "application/xml";
		reply->delay_ms = fast ? 0 : SLOW_MS;
		snprintf(body, 1024, "<urlset xmlns=\"http://www.sitemaps.org/schemas/"
			 "sitemap/0.9\"><url><loc>http://" SITE_IP ":%u/%s</loc>"
			 "<lastmod>%s</lastmod></url></urlset>", *port,
			 fast ? "p1" : "p3", fast ? "2024-01-01" : "2024-03-03");
	} else if (!strcmp(path, "/")) {
		snprintf(body, 1024, HTML("<img src=/logo.png>"));
	} else if (!strcmp(path, "/logo.png")) {
		reply->delay_ms = SLOW_MS;
		snprintf(body, 1024, HTML("<a href=/secret>s</a>"));
	} else {
		reply->delay_ms = strcmp(path, "/p1") != 0 ? 0 : SLOW_MS;
		snprintf(body, 1024, HTML("page"));
	}
	return true;
}

static void pending_config(struct crawl_config *cfg, char **seed, int64_t max_time_ms)
{
	run_config(cfg, seed, 1);
	cfg->resources = true;
	cfg->max_time_ms = max_time_ms;
}

static void expect_via(struct testsrv *srv, const struct state *st, const char *path,
		       const char *via, const char *lastmod)
{
	char *url = testsrv_url(srv, path);
	json_t **recs;
	size_t n = read_output(st, &recs);
	json_t *r = NULL;

	for (size_t i = 0; i < n && !r; i++)
		if (!strcmp(rec_str(recs[i], "url"), url))
			r = recs[i];
	cr_assert_not_null(r, "%s has no record", url);
	cr_expect_str_eq(rec_str(r, "via"), via, "%s", path);
	if (lastmod)
		cr_expect_str_eq(rec_str(r, "lastmod") ? rec_str(r, "lastmod") : "(null)",
				 lastmod, "%s", path);
	free_output(recs, n);
	free(url);
}

/* The first run stops while the slow sitemap, the image and the page the
 * fast sitemap listed are in flight: each is journaled, none recorded.
 * The next run must take each for what it was: the sitemap read as one
 * (its page fetched, via sitemap, with its lastmod), the image fetched
 * as a resource and not parsed (its link never followed), the listed
 * page recorded with the lastmod only the journal still holds. */
Test(resume, a_pending_sitemap_and_resource_stay_what_they_were)
{
	static const char *const paths[] = { "/", "/fast.xml", "/slow.xml", "/p1",
					     "/p3", "/logo.png" };
	static unsigned short port;
	struct testsrv *srv = testsrv_start(SITE_IP, NULL, 0, pending_site, &port);
	char *seed;
	struct state st;
	struct crawl_config cfg;
	struct crawl_result res;

	port = testsrv_port(srv);
	seed = testsrv_url(srv, "/");
	state_init(&st);
	pending_config(&cfg, &seed, 700);
	res = state_run(&st, &cfg, NULL);
	cr_assert_eq(res.stop, CRAWL_MAX_TIME);
	cr_assert_eq(res.stats.pages, 2, "/ and /fast.xml, the rest in flight");
	pending_config(&cfg, &seed, 0);
	res = state_run(&st, &cfg, NULL);
	cr_expect_eq(res.stop, CRAWL_DONE);
	expect_each_once(&st, srv, paths, 6);
	expect_via(srv, &st, "/slow.xml", "sitemap", NULL);
	expect_via(srv, &st, "/p3", "sitemap", "2024-03-03");
	expect_via(srv, &st, "/p1", "sitemap", "2024-01-01");
	expect_via(srv, &st, "/logo.png", "resource", NULL);
	cr_expect_eq(testsrv_hits(srv, "/secret"), 0, "the image was parsed");
	free(seed);
	testsrv_stop(srv);
}
