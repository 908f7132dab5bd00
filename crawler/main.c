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

#include "crawl.h"
#include "ctx.h"
#include "journal.h"
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
	size_t n;

	o->crawl.journal = journal_open(o->state_dir, err, sizeof(err));
	if (!o->crawl.journal) {
		fprintf(stderr, "crawler: %s\n", err);
		return EXIT_FAILURE;
	}
	if (!journal_entries(o->crawl.journal))
		return EXIT_SUCCESS;
	*recorded = visited_memory_new();
	rc = *recorded ? resume_scan_output(o->crawl.out_fd, *recorded, &n, err,
					    sizeof(err))
		       : RESUME_NOMEM;
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

static int exit_status(const struct crawl_result *res, int signo)
{
	switch (res->stop) {
	case CRAWL_DONE:
	case CRAWL_MAX_PAGES:
	case CRAWL_MAX_TIME:
		return nothing_fetched(res) ? EXIT_NOTHING_FETCHED : EXIT_SUCCESS;
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

	rc = open_output(o->output, o->state_dir != NULL, &o->crawl.out_fd);
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
		status = exit_status(&res, atomic_load(&sig->first));
	}
	if (status == EXIT_NOTHING_FETCHED)
		fprintf(stderr, "crawler: nothing could be fetched: no request got "
			"an HTTP response (the records say why)\n");
	if (res.write_errno)
		fprintf(stderr, "crawler: cannot write output: %s\n",
			strerror(res.write_errno));
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
	journal_close(o->crawl.journal);
	visited_free(recorded);
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
	status = run(&opts, &sig);
	pthread_kill(sig_thread, SIGUSR1);
	pthread_join(sig_thread, NULL);
	ctx_release(&sig.root);
	curl_global_cleanup();
	options_release(&opts);
	return status;
}
