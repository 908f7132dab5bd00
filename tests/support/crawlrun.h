/* crawlrun: run a crawl through the crawl API into a temporary file and
 * read every line back as JSON, for the integration tests. Each line must be
 * a whole JSON object ending in a newline, and there must be as many as the
 * writer counted: the test fails otherwise. */
#ifndef CRAWLER_CRAWLRUN_H
#define CRAWLER_CRAWLRUN_H

#include <jansson.h>
#include <stddef.h>

#include "crawl.h"
#include "testsrv.h"

struct run {
	struct crawl_result res;
	json_t **recs; /* every output line, parsed */
	size_t n;
};

/* A suite's .init: what main() sets up before a crawl. */
void run_setup(void);

/* The documented defaults for seeds, with timeouts short enough that no
 * test waits long, and the log on standard error. */
void run_config(struct crawl_config *cfg, char **seeds, size_t n);

/* Crawl with cfg (its out_fd is set here) and fill *run. */
void run_crawl(struct crawl_config *cfg, struct run *run);
void run_free(struct run *run);

/* The record of url, or NULL; run_must_find fails the test instead. */
json_t *run_find(const struct run *run, const char *url);
json_t *run_must_find(const struct run *run, const char *url);

/* The record of path on srv, or NULL; record_at fails the test instead. */
json_t *find_at(struct testsrv *srv, const struct run *run, const char *path);
json_t *record_at(struct testsrv *srv, const struct run *run, const char *path);

/* A record's status (0 for null), a string field, an integer field, the
 * error kind or NULL, the error message or NULL. */
long rec_status(json_t *r);
const char *rec_str(json_t *r, const char *key);
long long rec_int(json_t *r, const char *key);
const char *rec_err(json_t *r);
const char *rec_err_msg(json_t *r);

/* r has status (0: null) and error kind (NULL: no error), or the test
 * fails; expect_record says the same of the record of path on srv. */
void expect_rec(json_t *r, long status, const char *kind);
void expect_record(struct testsrv *srv, const struct run *run, const char *path,
		   long status, const char *kind);

/* The summary's count of URLs skipped for reason, 0 when absent. */
long long run_skipped(const struct run *run, const char *reason);

#endif
