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
	cr_assert_eq(crawl_run(c, NULL, &run->res), 0);
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
	free(run->res.summary);
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
