/* jsonw_test: the JSON text of include/jsonw.h byte for byte: where commas
 * go, the escapes, U+FFFD for what is not UTF-8, reals that stay reals,
 * and the line's framing. record_test checks the records built on it by
 * parsing them back. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

#define FFFD "\xEF\xBF\xBD"

/* The line w holds, without its newline, compared with want. */
static void expect_text(struct jsonw *w, const char *want)
{
	size_t len = 0;
	char *line = jsonw_take_line(w, &len);

	cr_assert_not_null(line);
	cr_assert_eq(line[len - 1], '\n', "a line ends in a newline");
	cr_assert_eq(line[len], '\0');
	line[len - 1] = '\0';
	cr_expect_str_eq(line, want);
	free(line);
}

static void expect_string(const char *in, size_t n, const char *want)
{
	struct jsonw w = JSONW_INIT;

	jsonw_strn(&w, in, n);
	expect_text(&w, want);
}

Test(jsonw, commas_separate_members_and_elements_at_every_depth)
{
	struct jsonw w = JSONW_INIT;

	jsonw_begin(&w, '{');
	jsonw_key(&w, "a");
	jsonw_int(&w, 1);
	jsonw_key(&w, "b");
	jsonw_begin(&w, '[');
	jsonw_begin(&w, '{');
	jsonw_end(&w, '}');
	jsonw_null(&w);
	jsonw_begin(&w, '[');
	jsonw_end(&w, ']');
	jsonw_bool(&w, false);
	jsonw_end(&w, ']');
	jsonw_key(&w, "c");
	jsonw_str(&w, NULL);
	jsonw_end(&w, '}');
	expect_text(&w, "{\"a\":1,\"b\":[{},null,[],false],\"c\":null}");
}

Test(jsonw, quotes_backslashes_and_controls_are_escaped)
{
	static const char in[] = "q\" b\\ n\n r\r t\t b\b f\f 1\x01 1f\x1f del\x7f /";

	expect_string(in, sizeof(in) - 1,
		      "\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f 1\\u0001 1f\\u001F del\x7f /\"");
}

Test(jsonw, well_formed_utf8_passes_as_it_is)
{
	static const char in[] = "\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBF";

	expect_string(in, sizeof(in) - 1,
		      "\"\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBF\"");
}

/* Unicode's "U+FFFD per maximal subpart", as the WHATWG decoder does. */
Test(jsonw, each_maximal_ill_formed_subpart_becomes_one_u_fffd)
{
	/* A lone continuation, an overlong '/', a surrogate, past U+10FFFF,
	 * a sequence cut by a letter, one cut by the end. */
	static const char in[] = "a\x80" "b\xC0\xAF" "c\xED\xA0\x80" "d\xF4\x90\x80\x80"
				 "e\xE2\x82z" "f\xF0\x9F\x98";

	expect_string(in, sizeof(in) - 1,
		      "\"a" FFFD "b" FFFD FFFD "c" FFFD FFFD FFFD
		      "d" FFFD FFFD FFFD FFFD "e" FFFD "z" "f" FFFD "\"");
}

Test(jsonw, a_string_is_its_n_bytes_not_up_to_a_nul)
{
	expect_string("abcdef", 3, "\"abc\"");
}

Test(jsonw, reals_keep_fifteen_digits_and_a_fraction)
{
	struct jsonw w = JSONW_INIT;

	jsonw_begin(&w, '[');
	jsonw_real(&w, 0.123);
	jsonw_real(&w, 5.0);
	jsonw_real(&w, 0.0);
	jsonw_real(&w, 1234.567);
	jsonw_real(&w, 1e20);
	jsonw_end(&w, ']');
	expect_text(&w, "[0.123,5.0,0.0,1234.567,1e+20]");
}

Test(jsonw, integers_cover_the_int64_range)
{
	struct jsonw w = JSONW_INIT;

	jsonw_begin(&w, '[');
	jsonw_int(&w, INT64_MAX);
	jsonw_int(&w, INT64_MIN);
	jsonw_int(&w, 0);
	jsonw_end(&w, ']');
	expect_text(&w, "[9223372036854775807,-9223372036854775808,0]");
}

Test(jsonw, a_long_string_grows_the_buffer_and_stays_whole)
{
	size_t n = 100000;
	char *in = malloc(n), *want = malloc(n + 3);
	struct jsonw w = JSONW_INIT;

	cr_assert(in && want);
	memset(in, 'x', n);
	want[0] = '"';
	memset(want + 1, 'x', n);
	memcpy(want + 1 + n, "\"", 2);
	jsonw_strn(&w, in, n);
	expect_text(&w, want);
	free(in);
	free(want);
}

Test(jsonw, take_leaves_the_writer_empty_for_the_next_line)
{
	struct jsonw w = JSONW_INIT;

	jsonw_int(&w, 1);
	expect_text(&w, "1");
	jsonw_int(&w, 2);
	expect_text(&w, "2");
	jsonw_release(&w);
}
