/* stats: totals kept by the writer as records pass, and the summary object
 * printed at the end. */
#include "stats.h"

#include <jansson.h>
#include <stdio.h>

void stats_add(struct stats *s, const struct record *r)
{
	s->pages++;
	s->bytes += r->bytes;
	if (r->status >= 0 && r->status < STATS_MAX_STATUS)
		s->by_status[r->status]++;
	if (r->err != RECORD_ERR_NONE) {
		s->errors++;
		s->by_err[r->err < RECORD_ERR_COUNT ? r->err : RECORD_ERR_INTERNAL]++;
	}
}

static json_t *by_status(const struct stats *s)
{
	json_t *o = json_object();
	char key[12];

	for (int code = 1; o && code < STATS_MAX_STATUS; code++) {
		if (!s->by_status[code])
			continue;
		snprintf(key, sizeof(key), "%d", code);
		json_object_set_new(o, key, json_integer((json_int_t)s->by_status[code]));
	}
	return o;
}

static json_t *by_err(const struct stats *s)
{
	json_t *o = json_object();

	for (int k = RECORD_ERR_NONE + 1; o && k < RECORD_ERR_COUNT; k++)
		if (s->by_err[k])
			json_object_set_new(o, record_err_name(k),
					    json_integer((json_int_t)s->by_err[k]));
	return o;
}

static json_t *by_skip(const struct stats_end *end)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < end->nskip; i++)
		if (end->skipped[i])
			json_object_set_new(o, end->skip_names[i],
					    json_integer((json_int_t)end->skipped[i]));
	return o;
}

char *stats_summary(const struct stats *s, const struct stats_end *end)
{
	/* Milliseconds and tenths of a page/s are all a reader can use. */
	double secs = (double)(long long)(end->seconds * 1000) / 1000;
	double rate = end->seconds > 0 ?
		(double)(long long)(s->pages / end->seconds * 10) / 10 : 0;
	json_t *o = json_pack("{s:I, s:I, s:f, s:f, s:o, s:o, s:o, s:I, s:I, s:s}",
			      "pages", (json_int_t)s->pages,
			      "bytes", (json_int_t)s->bytes,
			      "seconds", secs,
			      "pages_per_second", rate,
			      "by_status", by_status(s),
			      "by_error", by_err(s),
			      "skipped", by_skip(end),
			      "not_fetched", (json_int_t)end->not_fetched,
			      "sitemaps", (json_int_t)end->sitemaps,
			      "stop", end->stop);
	char *text;

	if (!o)
		return NULL;
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
				  JSON_REAL_PRECISION(10));
	json_decref(o);
	return text;
}
