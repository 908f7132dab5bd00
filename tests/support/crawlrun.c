/* crawlrun: a crawl into a temporary file, read back line by line. */
#include "crawlrun.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

void run_setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	parse_global_init();
}

static void read_records(FILE *out, struct run *run)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	rewind(out);
	while ((len = getline(&line, &cap, out)) > 0) {
		json_error_t jerr;
		json_t *j;

		cr_assert_eq(line[len - 1], '\n', "a line without its newline: %s", line);
		j = json_loads(line, 0, &jerr);
		cr_assert(j && json_is_object(j), "not a JSON object (%s): %s",
			  jerr.text, line);
		run->recs = realloc(run->recs, (run->n + 1) * sizeof(*run->recs));
		run->recs[run->n++] = j;
	}
	free(line);
}

void run_config(struct crawl_config *cfg, char **seeds, size_t n)
{
	crawl_config_init(cfg);
	cfg->seeds = seeds;
	cfg->nseeds = n;
	cfg->timeout_ms = 10000;
	cfg->connect_timeout_ms = 5000;
	cfg->log = stderr;
}

void run_crawl(struct crawl_config *cfg, struct run *run)
{
	FILE *out = tmpfile();
	char err[256];
	struct crawl *c;

	cr_assert(out);
	memset(run, 0, sizeof(*run));
	cfg->out_fd = fileno(out);
	c = crawl_new(cfg, err, sizeof(err));
	cr_assert(c, "crawl_new: %s", err);
	cr_assert_eq(crawl_run(c, NULL, &run->res), CRAWL_OK);
	crawl_free(c);
	read_records(out, run);
	fclose(out);
	cr_assert_eq(run->n, run->res.stats.pages, "%zu lines but the writer counted %llu",
		     run->n, (unsigned long long)run->res.stats.pages);
}

void run_free(struct run *run)
{
	for (size_t i = 0; i < run->n; i++)
		json_decref(run->recs[i]);
	free(run->recs);
	crawl_result_release(&run->res);
}

json_t *run_find(const struct run *run, const char *url)
{
	for (size_t i = 0; i < run->n; i++)
		if (!strcmp(json_string_value(json_object_get(run->recs[i], "url")), url))
			return run->recs[i];
	return NULL;
}

json_t *run_must_find(const struct run *run, const char *url)
{
	json_t *r = run_find(run, url);

	cr_assert(r, "no record for %s", url);
	return r;
}

long rec_status(json_t *r)
{
	json_t *s = json_object_get(r, "status");

	return json_is_null(s) ? 0 : (long)json_integer_value(s);
}

const char *rec_str(json_t *r, const char *key)
{
	return json_string_value(json_object_get(r, key));
}

const char *rec_err(json_t *r)
{
	json_t *e = json_object_get(r, "error");

	return json_is_null(e) ? NULL : json_string_value(json_object_get(e, "kind"));
}

long long rec_int(json_t *r, const char *key)
{
	return (long long)json_integer_value(json_object_get(r, key));
}

const char *rec_err_msg(json_t *r)
{
	json_t *e = json_object_get(r, "error");

	return json_is_null(e) ? NULL : json_string_value(json_object_get(e, "message"));
}

json_t *find_at(struct testsrv *srv, const struct run *run, const char *path)
{
	char *url = testsrv_url(srv, path);
	json_t *r = run_find(run, url);

	free(url);
	return r;
}

json_t *record_at(struct testsrv *srv, const struct run *run, const char *path)
{
	json_t *r = find_at(srv, run, path);

	cr_assert(r, "no record for %s", path);
	return r;
}

void expect_rec(json_t *r, long status, const char *kind)
{
	const char *url = rec_str(r, "url");

	cr_expect_eq(rec_status(r), status, "%s: status %ld, want %ld", url,
		     rec_status(r), status);
	if (!status)
		cr_expect(json_is_null(json_object_get(r, "status")), "%s: status not null", url);
	if (kind)
		cr_expect(rec_err(r) && !strcmp(rec_err(r), kind),
			  "%s: error %s (%s), want %s", url, rec_err(r), rec_err_msg(r), kind);
	else
		cr_expect_null(rec_err(r), "%s: error %s (%s)", url, rec_err(r), rec_err_msg(r));
}

void expect_record(struct testsrv *srv, const struct run *run, const char *path,
		   long status, const char *kind)
{
	expect_rec(record_at(srv, run, path), status, kind);
}

long long run_skipped(const struct run *run, const char *reason)
{
	json_t *sum = json_loads(run->res.summary, 0, NULL);
	json_t *n;
	long long v;

	cr_assert(sum, "summary is not JSON: %s", run->res.summary);
	n = json_object_get(json_object_get(sum, "skipped"), reason);
	v = n ? (long long)json_integer_value(n) : 0;
	json_decref(sum);
	return v;
}
