/* stats_test: the crawl totals of include/stats.h: stats_add counts pages,
 * bytes, statuses and error kinds, and stats_summary is one line of valid
 * JSON with exactly the fields man/crawler.1 SUMMARY documents, each of
 * its documented type. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "stats.h"

static void add(struct stats *s, int status, uint64_t bytes,
		enum record_err err)
{
	struct record r = { .url = "http://a.test/", .status = status,
			    .bytes = bytes, .nlinks = -1, .err = err };

	stats_add(s, &r);
}

static json_t *summary(const struct stats *s, double seconds,
		       uint64_t not_fetched, const char *stop)
{
	static const char *const names[] = { "scope", "url_length" };
	const uint64_t skipped[] = { 3, 0 };
	struct stats_end end = { .seconds = seconds, .stop = stop,
				 .not_fetched = not_fetched, .sitemaps = 2,
				 .skipped = skipped, .skip_names = names, .nskip = 2 };
	char *text = stats_summary(s, &end);
	json_error_t jerr;
	json_t *o;

	cr_assert_not_null(text);
	cr_assert_null(strchr(text, '\n'), "one line, no newline: %s", text);
	o = json_loads(text, 0, &jerr);
	cr_assert_not_null(o, "not JSON (%s): %s", jerr.text, text);
	cr_assert(json_is_object(o));
	free(text);
	return o;
}

static json_int_t int_field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_integer(v), "\"%s\" is not an integer", key);
	return json_integer_value(v);
}

static double number_field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_number(v), "\"%s\" is not a number", key);
	return json_number_value(v);
}

Test(stats, add_counts_pages_bytes_and_statuses)
{
	struct stats s = { 0 };

	add(&s, 200, 100, RECORD_ERR_NONE);
	add(&s, 200, 50, RECORD_ERR_NONE);
	add(&s, 404, 7, RECORD_ERR_NONE);
	add(&s, 301, 0, RECORD_ERR_NONE);
	cr_expect_eq(s.pages, 4);
	cr_expect_eq(s.bytes, 157);
	cr_expect_eq(s.by_status[200], 2);
	cr_expect_eq(s.by_status[404], 1);
	cr_expect_eq(s.by_status[301], 1);
	cr_expect_eq(s.by_status[0], 0);
	cr_expect_eq(s.errors, 0);
}

Test(stats, add_counts_errors_by_kind)
{
	struct stats s = { 0 };

	add(&s, 0, 0, RECORD_ERR_TIMEOUT);
	add(&s, 0, 0, RECORD_ERR_TIMEOUT);
	add(&s, 0, 0, RECORD_ERR_DNS);
	add(&s, 200, 10485760, RECORD_ERR_TOO_LARGE);
	cr_expect_eq(s.pages, 4);
	cr_expect_eq(s.errors, 4);
	cr_expect_eq(s.by_err[RECORD_ERR_TIMEOUT], 2);
	cr_expect_eq(s.by_err[RECORD_ERR_DNS], 1);
	cr_expect_eq(s.by_err[RECORD_ERR_TOO_LARGE], 1);
	cr_expect_eq(s.by_err[RECORD_ERR_NONE], 0);
	cr_expect_eq(s.by_status[0], 3, "no response: status 0");
	cr_expect_eq(s.by_status[200], 1);
	cr_expect_eq(s.bytes, 10485760);
}

Test(stats, summary_has_exactly_the_documented_fields_and_types)
{
	struct stats s = { 0 };
	json_t *o, *bs, *be;

	add(&s, 200, 1000, RECORD_ERR_NONE);
	add(&s, 200, 24, RECORD_ERR_NONE);
	add(&s, 301, 0, RECORD_ERR_NONE);
	add(&s, 0, 0, RECORD_ERR_TIMEOUT);
	o = summary(&s, 2.0, 5, "max-pages");

	cr_expect_eq(int_field(o, "pages"), 4);
	cr_expect_eq(int_field(o, "bytes"), 1024);
	cr_expect_lt(fabs(number_field(o, "seconds") - 2.0), 0.01);
	cr_expect_lt(fabs(number_field(o, "pages_per_second") - 2.0), 0.01);
	cr_expect_eq(int_field(o, "not_fetched"), 5);
	cr_assert(json_is_string(json_object_get(o, "stop")));
	cr_expect_str_eq(json_string_value(json_object_get(o, "stop")),
			 "max-pages");

	bs = json_object_get(o, "by_status");
	cr_assert(json_is_object(bs), "by_status is an object");
	cr_expect_eq(int_field(bs, "200"), 2);
	cr_expect_eq(int_field(bs, "301"), 1);
	cr_expect_eq(json_object_size(bs), 2, "only statuses seen; no \"0\"");

	be = json_object_get(o, "by_error");
	cr_assert(json_is_object(be), "by_error is an object");
	cr_expect_eq(int_field(be, "timeout"), 1);
	cr_expect_eq(json_object_size(be), 1);

	cr_expect_eq(int_field(o, "sitemaps"), 2);
	cr_expect_eq(int_field(json_object_get(o, "skipped"), "scope"), 3);
	cr_expect_eq(json_object_size(json_object_get(o, "skipped")), 1,
		     "only reasons that happened");
	cr_expect_eq(json_object_size(o), 10, "no fields beyond the documented");
	json_decref(o);
}

Test(stats, summary_by_error_uses_the_kind_names)
{
	struct stats s = { 0 };
	json_t *o, *be;

	for (int k = RECORD_ERR_NONE + 1; k < RECORD_ERR_COUNT; k++)
		for (int n = 0; n < k; n++)
			add(&s, 0, 0, (enum record_err)k);
	o = summary(&s, 1.0, 0, "done");
	be = json_object_get(o, "by_error");
	cr_assert(json_is_object(be));
	cr_expect_eq(json_object_size(be), RECORD_ERR_COUNT - 1);
	for (int k = RECORD_ERR_NONE + 1; k < RECORD_ERR_COUNT; k++)
		cr_expect_eq(int_field(be, record_err_name((enum record_err)k)), k);
	cr_expect_null(json_object_get(be, "none"));
	json_decref(o);
}

Test(stats, empty_summary_has_zeros_and_empty_objects)
{
	struct stats s = { 0 };
	json_t *o = summary(&s, 0.0, 0, "done");

	cr_expect_eq(int_field(o, "pages"), 0);
	cr_expect_eq(int_field(o, "bytes"), 0);
	cr_expect_eq(number_field(o, "seconds"), 0.0);
	cr_expect_eq(number_field(o, "pages_per_second"), 0.0,
		     "no division by zero");
	cr_expect(json_is_object(json_object_get(o, "by_status")));
	cr_expect_eq(json_object_size(json_object_get(o, "by_status")), 0);
	cr_expect(json_is_object(json_object_get(o, "by_error")));
	cr_expect_eq(json_object_size(json_object_get(o, "by_error")), 0);
	cr_expect_eq(int_field(o, "not_fetched"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(o, "stop")), "done");
	json_decref(o);
}

Test(stats, pages_per_second_is_pages_over_seconds)
{
	struct stats s = { 0 };
	json_t *o;

	for (int i = 0; i < 30; i++)
		add(&s, 200, 1, RECORD_ERR_NONE);
	o = summary(&s, 4.0, 0, "done");
	cr_expect_lt(fabs(number_field(o, "pages_per_second") - 7.5), 0.11);
	cr_expect_lt(fabs(number_field(o, "seconds") - 4.0), 0.01);
	json_decref(o);
}

Test(stats, fractional_seconds_are_kept_to_the_millisecond)
{
	struct stats s = { 0 };
	json_t *o;

	add(&s, 200, 1, RECORD_ERR_NONE);
	o = summary(&s, 1.2345, 0, "max-time");
	cr_expect_lt(fabs(number_field(o, "seconds") - 1.2345), 0.0011);
	cr_expect_str_eq(json_string_value(json_object_get(o, "stop")),
			 "max-time");
	json_decref(o);
}

Test(stats, every_stop_reason_is_written_as_given)
{
	static const char *const stops[] = { "done", "max-pages", "max-time",
					     "interrupted", "failed" };
	struct stats s = { 0 };

	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		json_t *o = summary(&s, 1.0, 0, stops[i]);

		cr_expect_str_eq(json_string_value(json_object_get(o, "stop")),
				 stops[i]);
		json_decref(o);
	}
}

Test(stats, large_totals_are_exact)
{
	struct stats s = { 0 };
	json_t *o;

	s.pages = 3000000000ULL;
	s.bytes = 1ULL << 40;
	s.by_status[200] = 3000000000ULL;
	o = summary(&s, 100.0, 4000000000ULL, "done");
	cr_expect_eq(int_field(o, "pages"), 3000000000LL);
	cr_expect_eq(int_field(o, "bytes"), 1LL << 40);
	cr_expect_eq(int_field(json_object_get(o, "by_status"), "200"),
		     3000000000LL);
	cr_expect_eq(int_field(o, "not_fetched"), 4000000000LL);
	json_decref(o);
}

Test(stats, bytes_are_written_in_the_unit_that_reads_best)
{
	static const struct { uint64_t bytes; const char *text; } cases[] = {
		{ 0, "0 B" }, { 1023, "1023 B" }, { 1024, "1.0 KiB" },
		{ 1536, "1.5 KiB" }, { 5 * 1048576ULL + 314573, "5.3 MiB" },
		{ 3ULL << 30, "3.0 GiB" }, { 2ULL << 40, "2.0 TiB" },
		{ 5000ULL << 40, "5000.0 TiB" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		stats_bytes(cases[i].bytes, buf, sizeof(buf));
		cr_expect_str_eq(buf, cases[i].text, "%llu bytes",
				 (unsigned long long)cases[i].bytes);
	}
}

Test(stats, the_progress_line_has_time_pages_bytes_queue_and_failures)
{
	struct stats s = { 0 };
	char line[256];

	add(&s, 200, 2048, RECORD_ERR_NONE);
	add(&s, 404, 0, RECORD_ERR_NONE);
	add(&s, 410, 0, RECORD_ERR_NONE);
	add(&s, 503, 0, RECORD_ERR_NONE);
	add(&s, 0, 0, RECORD_ERR_TIMEOUT);
	stats_progress(&s, 125.0, 7, 3, line, sizeof(line));
	cr_expect_str_eq(line, "2:05 | 5 pages, 0.0/s | 2.0 KiB | 7 queued | "
			 "3 in flight | 4xx 2 | 5xx 1 | 1 errors");
	stats_progress(&s, 4000.0, 0, 0, line, sizeof(line));
	cr_expect(!strncmp(line, "1:06:40 | ", 10), "%s", line);
	stats_progress(&s, 2.5, 0, 0, line, sizeof(line));
	cr_expect(!strncmp(line, "2.5s | 5 pages, 2.0/s | ", 24), "%s", line);
	stats_progress(&s, 2.5, 0, 0, line, 8);
	cr_expect_str_eq(line, "2.5s | ", "cut to the buffer, still a string");
}

Test(stats, the_report_is_a_few_lines_that_agree_with_the_summary)
{
	static const char *const names[] = { "scope", "url_length" };
	const uint64_t skipped[] = { 3, 1 };
	struct stats_end end = { .seconds = 2.0, .stop = "max-time",
				 .not_fetched = 9, .skipped = skipped,
				 .skip_names = names, .nskip = 2 };
	struct stats s = { 0 };
	char *text;

	add(&s, 200, 1024, RECORD_ERR_NONE);
	add(&s, 301, 0, RECORD_ERR_NONE);
	add(&s, 404, 0, RECORD_ERR_NONE);
	add(&s, 0, 0, RECORD_ERR_DNS);
	text = stats_report(&s, &end);
	cr_assert_not_null(text);
	cr_expect_str_eq(text,
		"crawler: max-time after 2.0s: 4 pages (2.0 pages/s), 1.0 KiB\n"
		"  responses: 1 2xx, 1 3xx, 1 4xx, 0 5xx; 1 without a response\n"
		"  errors: 1 (dns 1)\n"
		"  not followed: 4 (scope 3, url_length 1); admitted but not fetched: 9\n");
	free(text);
}
