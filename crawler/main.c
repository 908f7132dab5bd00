/* main: the crawler command, a thin shell over the crawl API.
 *
 * It parses the command line, opens the output, and runs the crawl. SIGINT
 * and SIGTERM are blocked in every thread and taken by one signal thread
 * (sigwait), which cancels the crawl on the first signal and, on the
 * second, exits at once, writing the records already taken (whole lines)
 * first (crawl_halt). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "collector.h"
#include "crawl.h"
#include "ctx.h"
#include "journal.h"
#include "warc.h"
#include "options.h"
#include "parse.h"
#include "resume.h"
#include "visited.h"

/* Beside EXIT_SUCCESS and EXIT_FAILURE (man/crawler.1, EXIT STATUS). */
enum {
	EXIT_USAGE = 2,
	EXIT_NOTHING_FETCHED = 3, /* URLs to fetch, and no HTTP response */
};

struct signals {
	sigset_t set;         /* SIGINT, SIGTERM, and SIGUSR1 to end */
	struct ctx root;      /* the crawl's parent, cancelled on the first */
	pthread_mutex_t lock; /* guards crawl */
	struct crawl *crawl;  /* halted on the second signal; NULL: exit */
	atomic_int first;     /* the first signal's number, or 0 */
};

static void *signal_main(void *arg)
{
	struct signals *s = arg;
	int sig;

	for (;;) {
		if (sigwait(&s->set, &sig))
			continue;
		if (sig == SIGUSR1) /* main is done with us */
			return NULL;
		if (!atomic_load(&s->first)) {
			atomic_store(&s->first, sig);
			ctx_cancel(&s->root, CRAWL_INTERRUPTED);
			continue;
		}
		/* Never unlocked: crawl_halt does not return. */
		pthread_mutex_lock(&s->lock);
		if (!s->crawl)
			_exit(128 + sig);
		crawl_halt(s->crawl, 128 + sig);
	}
	return NULL;
}

/* The output into *fd: truncated for a new crawl, appended to when resuming
 * one. 0 or an errno. */
static int open_output(const char *path, bool resume, int *fd)
{
	if (!path || !strcmp(path, "-"))
		*fd = STDOUT_FILENO;
	else if (resume)
		*fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	else
		*fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	return *fd < 0 ? errno : 0;
}

/* --state: open the journal and, when it has entries (a crawl to resume),
 * learn from the output which URLs already have a record. EXIT_SUCCESS, or
 * EXIT_FAILURE having said why. */
static int state_open(struct options *o, struct visited **recorded)
{
	char err[512];
	enum resume_status rc;
	struct resume_warc warc = { 0 };
	size_t n;
	int cut;

	o->crawl.journal = journal_open(o->state_dir, err, sizeof(err));
	if (!o->crawl.journal) {
		fprintf(stderr, "crawler: %s\n", err);
		return EXIT_FAILURE;
	}
	if (!journal_entries(o->crawl.journal))
		return EXIT_SUCCESS;
	*recorded = visited_memory_new();
	rc = *recorded ? resume_scan(o->crawl.out_fd, *recorded, &n, &warc, err,
				     sizeof(err))
		       : RESUME_NOMEM;
	/* What the last run archived after its last line is archived again. */
	if (rc == RESUME_OK && o->warc && (cut = warc_cut(o->warc, warc.file, warc.end))) {
		snprintf(err, sizeof(err), "cannot cut the WARC files back: %s",
			 strerror(cut));
		rc = RESUME_IO;
	}
	free(warc.file);
	if (rc != RESUME_OK) {
		fprintf(stderr, "crawler: cannot resume from '%s': %s\n", o->output,
			*recorded ? err : "out of memory");
		return EXIT_FAILURE;
	}
	o->crawl.recorded = *recorded;
	if (o->crawl.verbose)
		fprintf(stderr, "crawler: resuming: %zu records in '%s', %zu URLs admitted\n",
			n, o->output, journal_entries(o->crawl.journal));
	return EXIT_SUCCESS;
}

/* --warc: the archive, opened before the crawl so a file that cannot be
 * written stops it before any request. Its warcinfo names what shaped the
 * crawl (robots.txt obeyed or not, the User-Agent). EXIT_SUCCESS, or
 * EXIT_FAILURE having said why. */
static int warc_open(struct options *o)
{
	char err[512], info[1024];
	struct warc_config cfg = {
		.path = o->warc,
		.max_bytes = o->warc_max_bytes,
		.info = info,
		.resume = o->crawl.recorded != NULL,
	};

	if (!o->warc)
		return EXIT_SUCCESS;
	snprintf(info, sizeof(info), "robots: %s\r\nhttp-header-user-agent: %.900s\r\n",
		 o->crawl.robots ? "obey" : "ignore", o->crawl.user_agent);
	o->crawl.warc = warc_new(&cfg, err, sizeof(err));
	if (!o->crawl.warc) {
		fprintf(stderr, "crawler: cannot write the WARC file: %s\n", err);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/* The summary: as JSON to --stats FILE; on standard error as lines for a
 * person when it is a terminal, else as JSON when there is no --stats.
 * EXIT_SUCCESS, or EXIT_FAILURE having said why. */
static int write_summary(const struct options *o, const struct crawl_result *res)
{
	bool terminal = isatty(STDERR_FILENO);
	FILE *f;

	if (!o->quiet && terminal && res->report)
		fputs(res->report, stderr);
	else if (!o->quiet && !o->stats_path && res->summary)
		fprintf(stderr, "%s\n", res->summary);
	if (!o->stats_path || !res->summary)
		return EXIT_SUCCESS;
	f = fopen(o->stats_path, "w");
	if (!f || fprintf(f, "%s\n", res->summary) < 0 || fclose(f)) {
		fprintf(stderr, "crawler: cannot write stats to '%s': %s\n",
			o->stats_path, strerror(errno));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/* Whether the crawl had URLs to fetch and got no HTTP response for any:
 * every seed refused, unresolvable, unreachable or failing TLS, which cron
 * or CI must be able to tell from a crawl that got something, errors or
 * not. A resumed crawl with nothing left to fetch is no such failure. */
static bool nothing_fetched(const struct crawl_result *res)
{
	uint64_t responses = res->stats.pages - res->stats.by_status[0];

	return responses == 0 && (res->stats.pages || res->not_fetched);
}

/* A worker of a shared crawl may fetch nothing while the others fetch
 * everything: only the collector, which sees the whole crawl, says so. */
static int exit_status(const struct crawl_result *res, int signo, bool worker)
{
	switch (res->stop) {
	case CRAWL_DONE:
	case CRAWL_MAX_PAGES:
	case CRAWL_MAX_TIME:
		return !worker && nothing_fetched(res) ? EXIT_NOTHING_FETCHED
							: EXIT_SUCCESS;
	case CRAWL_INTERRUPTED:
		return 128 + (signo ? signo : SIGINT);
	case CRAWL_FAILED:
	default:
		return EXIT_FAILURE;
	}
}

static int run(struct options *o, struct signals *sig)
{
	char err[512];
	struct crawl_result res;
	struct crawl *c;
	struct visited *recorded = NULL;
	int status, rc;

	rc = o->crawl.cluster ? 0 : open_output(o->output, o->state_dir != NULL,
						 &o->crawl.out_fd);
	if (rc) {
		fprintf(stderr, "crawler: cannot open '%s': %s\n", o->output,
			strerror(rc));
		return EXIT_FAILURE;
	}
	if (o->state_dir) {
		status = state_open(o, &recorded);
		if (status != EXIT_SUCCESS)
			goto out;
	}
	if (o->state_dir && !o->crawl.recorded && ftruncate(o->crawl.out_fd, 0)) {
		fprintf(stderr, "crawler: cannot truncate '%s': %s\n", o->output,
			strerror(errno));
		status = EXIT_FAILURE;
		goto out;
	}
	if (warc_open(o) != EXIT_SUCCESS) {
		status = EXIT_FAILURE;
		goto out;
	}
	o->crawl.progress = !o->quiet && (o->progress < 0 ? isatty(STDERR_FILENO)
							 : o->progress);
	c = crawl_new(&o->crawl, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "crawler: %s\nTry 'crawler --help'.\n", err);
		status = EXIT_USAGE;
		goto out;
	}
	pthread_mutex_lock(&sig->lock);
	sig->crawl = c;
	pthread_mutex_unlock(&sig->lock);
	if (crawl_run(c, &sig->root, &res) != CRAWL_OK) {
		fprintf(stderr, "crawler: cannot start the crawl: out of memory or threads\n");
		status = EXIT_FAILURE;
	} else {
		status = exit_status(&res, atomic_load(&sig->first), o->crawl.cluster);
	}
	/* A limit of the crawl is reached for every worker: the collector
	 * ends the crawl once no lease is held, and says why. */
	if (o->crawl.cluster && (res.stop == CRAWL_MAX_TIME || res.stop == CRAWL_MAX_PAGES) &&
	    cluster_stop(o->redis, o->crawl_name, crawl_stop_names[res.stop], err, sizeof(err)))
		fprintf(stderr, "crawler: %s\n", err);
	if (status == EXIT_NOTHING_FETCHED)
		fprintf(stderr, "crawler: nothing could be fetched: no request got "
			"an HTTP response (the records say why)\n");
	if (res.write_errno && o->crawl.cluster)
		fprintf(stderr, "crawler: cannot publish records to Redis: %s\n",
			strerror(res.write_errno));
	else if (res.write_errno)
		fprintf(stderr, "crawler: cannot write output: %s\n",
			strerror(res.write_errno));
	else if (res.stop == CRAWL_FAILED && o->crawl.cluster)
		fprintf(stderr, "crawler: the crawl stopped: out of memory, or Redis "
			"failed (the records say which)\n");
	else if (res.stop == CRAWL_FAILED)
		fprintf(stderr, "crawler: the crawl stopped: out of memory, or the "
			"--state journal could not be written\n");
	if (res.cookies_errno) {
		fprintf(stderr, "crawler: cannot save cookies to '%s': %s\n",
			o->crawl.save_cookies, strerror(res.cookies_errno));
		status = EXIT_FAILURE;
	}
	if (write_summary(o, &res) != EXIT_SUCCESS)
		status = EXIT_FAILURE;
	crawl_result_release(&res);
	pthread_mutex_lock(&sig->lock);
	sig->crawl = NULL;
	pthread_mutex_unlock(&sig->lock);
	crawl_free(c);
out:
	if (warc_free(o->crawl.warc) && status == EXIT_SUCCESS) {
		fprintf(stderr, "crawler: cannot close the WARC file: %s\n",
			strerror(errno));
		status = EXIT_FAILURE;
	}
	journal_close(o->crawl.journal);
	visited_free(recorded);
	return status;
}

/* The usage errors of joining a shared crawl exit 2, as a bad option does;
 * Redis away or refusing exits 1. */
static int join_status(enum cluster_status rc)
{
	return rc == CLUSTER_UNAVAILABLE || rc == CLUSTER_NOMEM ? EXIT_FAILURE
								: EXIT_USAGE;
}

/* A worker joining with no crawl options takes the crawl's: its own local
 * ones, then the stored ones, parsed again into *o (argv, in *keep, must
 * outlive it). EXIT_SUCCESS, or EXIT_USAGE having said why. */
static int adopt(struct options *o, const struct cluster_crawl *cl, char ***keep)
{
	size_t n = 1 + o->nlocal_args + cl->nargs, k = 0;
	char **argv = calloc(n + 1, sizeof(*argv));
	char err[512];
	int rc = EXIT_SUCCESS;

	*keep = argv;
	if (!argv)
		return EXIT_FAILURE;
	argv[k++] = strdup("crawler");
	for (size_t i = 0; i < o->nlocal_args; i++)
		argv[k++] = strdup(o->local_args[i]);
	for (size_t i = 0; i < cl->nargs; i++)
		argv[k++] = strdup(cl->args[i]);
	for (size_t i = 0; i < n; i++)
		if (!argv[i])
			return EXIT_FAILURE;
	options_release(o);
	if (options_parse(o, (int)n, argv, stdout, err, sizeof(err)) != OPTIONS_OK) {
		fprintf(stderr, "crawler: the crawl's stored options: %s\n", err);
		rc = EXIT_USAGE;
	}
	return rc;
}

static void free_argv(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* A worker of a shared crawl: join it (or start it), then crawl with its
 * frontier, on its clock, until it is over. */
static int run_worker(struct options *o, struct signals *sig)
{
	struct cluster_crawl cl;
	struct crawl_cluster cc;
	char err[512], **argv = NULL;
	enum cluster_status rc;
	int status;

	rc = cluster_join(o->redis, o->crawl_name, o->crawl_args, o->ncrawl_args,
			  o->crawl.max_time_ms, o->lease_ttl_ms * 1000000,
			  &cl, err, sizeof(err));
	if (rc != CLUSTER_OK) {
		fprintf(stderr, "crawler: %s\n", err);
		cluster_release(&cl);
		return join_status(rc);
	}
	status = o->ncrawl_args ? EXIT_SUCCESS : adopt(o, &cl, &argv);
	if (status == EXIT_SUCCESS) {
		cc = (struct crawl_cluster){
			.redis_url = o->redis, .name = o->crawl_name,
			.lease_ttl_ns = o->lease_ttl_ms * 1000000,
			.clock_offset_ns = cluster_clock_offset(&cl),
			.archive = cl.archive,
		};
		o->crawl.cluster = &cc;
		/* --max-time counts from the crawl's start, not this worker's. */
		if (o->crawl.max_time_ms) {
			int64_t left = o->crawl.max_time_ms -
				       (cc.clock_offset_ns + ctx_now_ns()) / 1000000;

			o->crawl.max_time_ms = left > 0 ? left : 1;
		}
		if (o->crawl.verbose)
			fprintf(stderr, "crawler: %s crawl '%s'\n",
				cl.created ? "started" : "joined", o->crawl_name);
		status = run(o, sig);
		o->crawl.cluster = NULL;
	}
	cluster_release(&cl);
	free_argv(argv);
	return status;
}

/* The collector of a shared crawl: its records into --output (and
 * --warc), its summary, its end. */
static int run_collector(struct options *o, struct signals *sig)
{
	struct collector_config cfg = {
		.redis_url = o->redis, .crawl_name = o->crawl_name,
		.output = o->output, .warc = o->warc,
		.warc_max_bytes = o->warc_max_bytes, .keep = o->keep,
		.verbose = o->crawl.verbose, .stop = &sig->root, .log = stderr,
	};
	struct crawl_result res;
	char err[512];
	enum collector_status rc;
	int status;

	memset(&res, 0, sizeof(res));
	rc = collector_run(&cfg, &res, err, sizeof(err));
	if (rc != COLLECTOR_OK) {
		int signo = atomic_load(&sig->first);

		crawl_result_release(&res);
		/* A signal while it waited for the crawl to start. */
		if (rc == COLLECTOR_NO_CRAWL && signo)
			return 128 + signo;
		fprintf(stderr, "crawler: %s\n", err);
		return rc == COLLECTOR_FAILED ? EXIT_FAILURE : EXIT_USAGE;
	}
	status = exit_status(&res, atomic_load(&sig->first), false);
	if (write_summary(o, &res) != EXIT_SUCCESS)
		status = EXIT_FAILURE;
	crawl_result_release(&res);
	return status;
}

/* Blank the value of --password (or an abbreviation getopt takes) in argv,
 * as curl does, so that ps and /proc/PID/cmdline stop showing it; the
 * options hold their own copy. */
static void hide_password(int argc, char **argv)
{
	for (int i = 1; i < argc && argv[i] && strcmp(argv[i], "--") != 0; i++) {
		char *arg = argv[i], *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		char *value = eq ? eq + 1 : i + 1 < argc ? argv[i + 1] : NULL;

		if (len < 5 || strncmp(arg, "--password", len) != 0 || !value)
			continue;
		memset(value, '*', strlen(value));
		if (!eq)
			i++;
	}
}

int main(int argc, char **argv)
{
	/* Static: the signal thread may use it until the process is gone. */
	static struct signals sig = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct options opts;
	pthread_t sig_thread;
	char err[512];
	int status;

	sigemptyset(&sig.set);
	sigaddset(&sig.set, SIGINT);
	sigaddset(&sig.set, SIGTERM);
	sigaddset(&sig.set, SIGUSR1); /* only ever sent by main, to end the thread */
	pthread_sigmask(SIG_BLOCK, &sig.set, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed output is a write error, not death */

	switch (options_parse(&opts, argc, argv, stdout, err, sizeof(err))) {
	case OPTIONS_EXIT:
		options_release(&opts);
		return EXIT_SUCCESS;
	case OPTIONS_USAGE:
		fprintf(stderr, "crawler: %s\nTry 'crawler --help'.\n", err);
		options_release(&opts);
		return EXIT_USAGE;
	case OPTIONS_OK:
		break;
	}
	hide_password(argc, argv);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	parse_global_init();
	ctx_init(&sig.root, NULL, 0);
	if (pthread_create(&sig_thread, NULL, signal_main, &sig)) {
		fprintf(stderr, "crawler: cannot start the signal thread\n");
		return EXIT_FAILURE;
	}
	if (opts.collect)
		status = run_collector(&opts, &sig);
	else if (opts.redis)
		status = run_worker(&opts, &sig);
	else
		status = run(&opts, &sig);
	pthread_kill(sig_thread, SIGUSR1);
	pthread_join(sig_thread, NULL);
	ctx_release(&sig.root);
	curl_global_cleanup();
	options_release(&opts);
	return status;
}
