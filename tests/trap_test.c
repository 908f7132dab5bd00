/* trap_test: which URLs include/trap.h calls crawler traps: too long, too
 * many path segments, a segment or pair of segments repeated in a row; each
 * limit exactly met allowed and one over refused, the query never counted
 * as path, and 0 turning a limit off. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "trap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct row {
	const char *url;
	enum trap_reason want;
};

static void check(struct trap_limits lim, const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		enum trap_reason got = trap_check(&lim, rows[i].url);

		cr_expect_eq(got, rows[i].want, "%s: got %s, want %s", rows[i].url,
			     trap_reason_name(got), trap_reason_name(rows[i].want));
	}
}

#define CHECK(lim, rows) check(lim, rows, N(rows))

static const struct trap_limits defaults = TRAP_LIMITS_DEFAULT;

/* "http://a.test/" followed by 'x' up to len bytes in all. */
static char *url_of_length(char *buf, size_t len)
{
	const char *head = "http://a.test/";
	size_t n = strlen(head);

	memcpy(buf, head, n);
	memset(buf + n, 'x', len - n);
	buf[len] = '\0';
	return buf;
}

Test(trap, defaults_are_2048_bytes_32_segments_3_repeats)
{
	cr_expect_eq(defaults.max_url_length, 2048);
	cr_expect_eq(defaults.max_segments, 32);
	cr_expect_eq(defaults.max_repeats, 3);
}

Test(trap, ordinary_urls_are_no_trap)
{
	const struct row rows[] = {
		{ "http://a.test/", TRAP_NONE },
		{ "http://a.test/index.html", TRAP_NONE },
		{ "https://a.test:8443/docs/guide/intro?lang=en", TRAP_NONE },
		{ "http://a.test/a/b/c/a/b/c", TRAP_NONE },
	};

	CHECK(defaults, rows);
}

Test(trap, url_length_at_the_limit_is_allowed_one_over_is_not)
{
	static char at[2049], over[2050];
	const struct row rows[] = {
		{ url_of_length(at, 2048), TRAP_NONE },
		{ url_of_length(over, 2049), TRAP_URL_LENGTH },
	};

	CHECK(defaults, rows);
}

Test(trap, url_length_counts_the_query)
{
	const struct trap_limits lim = { 20, 0, 0 };
	const struct row rows[] = {
		{ "http://a.test/?q=123", TRAP_NONE }, /* 20 bytes */
		{ "http://a.test/?q=1234", TRAP_URL_LENGTH },
	};

	CHECK(lim, rows);
}

Test(trap, path_segments_at_the_limit_are_allowed_one_over_is_not)
{
	const struct trap_limits lim = { 0, 4, 0 };
	const struct row rows[] = {
		{ "http://a.test/1/2/3/4", TRAP_NONE },
		{ "http://a.test/1/2/3/4/5", TRAP_PATH_SEGMENTS },
	};

	CHECK(lim, rows);
}

Test(trap, empty_segments_do_not_count)
{
	const struct trap_limits lim = { 0, 2, 0 };
	const struct row rows[] = {
		{ "http://a.test/a/b/", TRAP_NONE },
		{ "http://a.test//a///b//", TRAP_NONE },
		{ "http://a.test/a/b/c/", TRAP_PATH_SEGMENTS },
	};

	CHECK(lim, rows);
}

Test(trap, the_query_is_not_path)
{
	const struct trap_limits lim = { 0, 2, 3 };
	const struct row rows[] = {
		{ "http://a.test/a/b?next=/c/d/e/f", TRAP_NONE },
		{ "http://a.test/x?p=/x/x/x/x/x", TRAP_NONE },
		{ "http://a.test/?/1/2/3", TRAP_NONE },
	};

	CHECK(lim, rows);
}

Test(trap, one_segment_three_times_is_allowed_four_is_not)
{
	const struct row rows[] = {
		{ "http://a.test/x/x/x", TRAP_NONE },
		{ "http://a.test/x/x/x/x", TRAP_REPEATED_SEGMENT },
		{ "http://a.test/p/x/x/x/q", TRAP_NONE },
		{ "http://a.test/p/x/x/x/x/q", TRAP_REPEATED_SEGMENT },
		{ "http://a.test/x//x/x//x/", TRAP_REPEATED_SEGMENT },
	};

	CHECK(defaults, rows);
}

Test(trap, a_repeat_must_be_in_a_row)
{
	const struct row rows[] = {
		{ "http://a.test/x/x/x/y/x/x/x", TRAP_NONE },
		{ "http://a.test/x/y/x/z/x/w/x", TRAP_NONE },
		{ "http://a.test/xx/x/x/x", TRAP_NONE },
	};

	CHECK(defaults, rows);
}

Test(trap, a_pair_three_times_is_allowed_four_is_not)
{
	const struct row rows[] = {
		{ "http://a.test/a/b/a/b/a/b", TRAP_NONE },
		{ "http://a.test/a/b/a/b/a/b/a", TRAP_NONE },
		{ "http://a.test/a/b/a/b/a/b/a/b", TRAP_REPEATED_SEGMENT },
		{ "http://a.test/top/a/b/a/b/a/b/a/b/end", TRAP_REPEATED_SEGMENT },
		{ "http://a.test/b/a/b/a/b/a/b/a/b", TRAP_REPEATED_SEGMENT },
	};

	CHECK(defaults, rows);
}

Test(trap, a_period_of_three_is_left_to_the_other_limits)
{
	const struct row rows[] = {
		{ "http://a.test/a/b/c/a/b/c", TRAP_NONE },
		{ "http://a.test/a/b/c/a/b/c/a/b/c/a/b/c/a/b/c", TRAP_NONE },
	};

	CHECK(defaults, rows);
}

Test(trap, calendar_path_growing_each_month_hits_the_segment_limit)
{
	/* A relative "cal/2024/02" link from /cal/2024/01/ nests a month deeper
	 * on every page: no segment repeats in a row, but the path grows. */
	char url[512] = "http://a.test";
	size_t len = strlen(url);
	enum trap_reason got = TRAP_NONE;
	unsigned month = 0;

	while (got == TRAP_NONE && month < 100) {
		month++;
		len += (size_t)snprintf(url + len, sizeof(url) - len, "/cal/2024/%02u",
					month);
		got = trap_check(&defaults, url);
	}
	cr_expect_eq(got, TRAP_PATH_SEGMENTS, "%s", url);
	cr_expect_eq(month, 11, "10 months are 30 segments, 11 are 33");
}

Test(trap, a_zero_limit_turns_that_check_off)
{
	static char big[5001];
	const struct trap_limits lim = { 0, 0, 0 };
	const struct row rows[] = {
		{ url_of_length(big, 5000), TRAP_NONE },
		{ "http://a.test/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18/19/20"
		  "/21/22/23/24/25/26/27/28/29/30/31/32/33/34", TRAP_NONE },
		{ "http://a.test/x/x/x/x/x/x/x/x", TRAP_NONE },
		{ "http://a.test/a/b/a/b/a/b/a/b/a/b", TRAP_NONE },
	};

	CHECK(lim, rows);
}

Test(trap, each_limit_is_off_on_its_own)
{
	const struct trap_limits no_len = { 0, 32, 3 };
	const struct trap_limits no_segs = { 2048, 0, 3 };
	const struct trap_limits no_reps = { 2048, 32, 0 };

	cr_expect_eq(trap_check(&no_len, "http://a.test/x/x/x/x"),
		     TRAP_REPEATED_SEGMENT);
	cr_expect_eq(trap_check(&no_segs, "http://a.test/1/2/3/4/5/6/7/8/9/10/11"
				"/12/13/14/15/16/17/18/19/20/21/22/23/24/25/26"
				"/27/28/29/30/31/32/33"),
		     TRAP_NONE);
	cr_expect_eq(trap_check(&no_reps, "http://a.test/x/x/x/x"), TRAP_NONE);
}

Test(trap, reason_names_are_the_record_names)
{
	cr_expect_str_eq(trap_reason_name(TRAP_NONE), "none");
	cr_expect_str_eq(trap_reason_name(TRAP_URL_LENGTH), "url_length");
	cr_expect_str_eq(trap_reason_name(TRAP_PATH_SEGMENTS), "path_segments");
	cr_expect_str_eq(trap_reason_name(TRAP_REPEATED_SEGMENT), "repeated_segment");
	cr_expect_str_eq(trap_reason_name(TRAP_REASON_COUNT), "unknown");
}
