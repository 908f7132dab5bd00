/* stats: totals kept by the writer as records pass, and the summary object
 * printed at the end. */
#include "stats.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

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

void stats_bytes(uint64_t bytes, char *buf, size_t n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(buf, n, "%llu B", (unsigned long long)bytes);
		return;
	}
	for (v /= 1024; v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]); u++)
		v /= 1024;
	snprintf(buf, n, "%.1f %s", v, units[u]);
}

/* "4.2s", "3:07", "1:02:03": as long as it needs to be. */
static void elapsed(double seconds, char *buf, size_t n)
{
	long long t = seconds > 0 ? (long long)seconds : 0;

	if (t < 60)
		snprintf(buf, n, "%.1fs", seconds > 0 ? seconds : 0.0);
	else if (t < 3600)
		snprintf(buf, n, "%lld:%02lld", t / 60, t % 60);
	else
		snprintf(buf, n, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
}

/* Responses with a status of class c (4: 4xx), from by_status. */
static unsigned long long in_class(const struct stats *s, int c)
{
	uint64_t n = 0;

	for (int code = c * 100; code < c * 100 + 100; code++)
		n += s->by_status[code];
	return (unsigned long long)n;
}

static double per_second(uint64_t count, double seconds)
{
	return seconds > 0 ? (double)count / seconds : 0.0;
}

void stats_progress(const struct stats *s, double seconds, size_t queued,
		    size_t in_flight, char *buf, size_t n)
{
	char t[32], b[32];

	elapsed(seconds, t, sizeof(t));
	stats_bytes(s->bytes, b, sizeof(b));
	snprintf(buf, n,
		 "%s | %llu pages, %.1f/s | %s | %zu queued | %zu in flight"
		 " | 4xx %llu | 5xx %llu | %llu errors",
		 t, (unsigned long long)s->pages, per_second(s->pages, seconds), b,
		 queued, in_flight, in_class(s, 4),
		 in_class(s, 5), (unsigned long long)s->errors);
}

/* ", name count" for each non-zero count of a named tally, into out. */
static void tally(FILE *out, const char *const *names, const uint64_t *counts,
		  size_t first, size_t n)
{
	const char *sep = " (";

	for (size_t i = first; i < n; i++)
		if (counts[i]) {
			fprintf(out, "%s%s %llu", sep, names[i],
				(unsigned long long)counts[i]);
			sep = ", ";
		}
	if (*sep == ',')
		fputc(')', out);
}

static void report_errors(FILE *out, const struct stats *s)
{
	const char *names[RECORD_ERR_COUNT];

	for (int k = 0; k < RECORD_ERR_COUNT; k++)
		names[k] = record_err_name(k);
	fprintf(out, "  errors: %llu", (unsigned long long)s->errors);
	tally(out, names, s->by_err, RECORD_ERR_NONE + 1, RECORD_ERR_COUNT);
	fputc('\n', out);
}

static void report_skipped(FILE *out, const struct stats_end *end)
{
	uint64_t total = 0;

	for (size_t i = 0; i < end->nskip; i++)
		total += end->skipped[i];
	fprintf(out, "  not followed: %llu", (unsigned long long)total);
	tally(out, end->skip_names, end->skipped, 0, end->nskip);
	fprintf(out, "; admitted but not fetched: %llu\n",
		(unsigned long long)end->not_fetched);
}

char *stats_report(const struct stats *s, const struct stats_end *end)
{
	char t[32], b[32], *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	elapsed(end->seconds, t, sizeof(t));
	stats_bytes(s->bytes, b, sizeof(b));
	fprintf(out, "crawler: %s after %s: %llu pages (%.1f pages/s), %s\n",
		end->stop, t, (unsigned long long)s->pages,
		per_second(s->pages, end->seconds), b);
	fprintf(out, "  responses: %llu 2xx, %llu 3xx, %llu 4xx, %llu 5xx; "
		"%llu without a response\n",
		in_class(s, 2), in_class(s, 3),
		in_class(s, 4), in_class(s, 5),
		(unsigned long long)s->by_status[0]);
	report_errors(out, s);
	report_skipped(out, end);
	if (fclose(out)) {
		free(text);
		return NULL;
	}
	return text;
}
