/* mediatype_test: media ranges for --accept-type and --reject-type, and
 * how the two lists combine (include/mediatype.h). */
#include <criterion/criterion.h>

#include "mediatype.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

Test(mediatype, ranges_are_a_type_a_type_with_star_or_star_star)
{
	static const char *const good[] = {
		"text/html", "image/*", "*/*", "application/xhtml+xml",
		"application/vnd.ms-excel", "TEXT/HTML", "x-a/b.c_d",
	};
	static const char *const bad[] = {
		"", "text", "text/", "/html", "*/html", "*", "text/ht*ml",
		"te*t/html", "text/html; charset=utf-8", "text/html ", " text/html",
		"text/html/x", "text//html", "text/*/*", "**/*",
	};

	for (size_t i = 0; i < N(good); i++)
		cr_expect(mediatype_range_valid(good[i]), "'%s' refused", good[i]);
	for (size_t i = 0; i < N(bad); i++)
		cr_expect_not(mediatype_range_valid(bad[i]), "'%s' taken", bad[i]);
}

Test(mediatype, parameters_and_case_do_not_matter)
{
	cr_expect(mediatype_matches("text/html", "text/html"));
	cr_expect(mediatype_matches("text/html", "text/html; charset=utf-8"));
	cr_expect(mediatype_matches("text/html", "Text/HTML ;charset=x"));
	cr_expect(mediatype_matches("TEXT/html", "text/html"));
	cr_expect(mediatype_matches("text/html", "  text/html  "));
	cr_expect_not(mediatype_matches("text/html", "text/htmlx"));
	cr_expect_not(mediatype_matches("text/html", "text/plain"));
	cr_expect_not(mediatype_matches("text/htm", "text/html"));
}

Test(mediatype, a_star_subtype_matches_the_whole_type)
{
	cr_expect(mediatype_matches("image/*", "image/png"));
	cr_expect(mediatype_matches("image/*", "IMAGE/svg+xml; q=1"));
	cr_expect_not(mediatype_matches("image/*", "images/png"));
	cr_expect_not(mediatype_matches("image/*", "text/html"));
	cr_expect_not(mediatype_matches("image/*", "imag/png"));
	cr_expect(mediatype_matches("*/*", "text/html"));
	cr_expect(mediatype_matches("*/*", NULL));
}

Test(mediatype, a_missing_or_malformed_type_is_application_octet_stream)
{
	static const char *const none[] = { NULL, "", "html", "text/", "/html",
					    "; charset=utf-8" };

	for (size_t i = 0; i < N(none); i++) {
		const char *ct = none[i];

		cr_expect(mediatype_matches("application/octet-stream", ct),
			  "'%s'", ct ? ct : "(none)");
		cr_expect(mediatype_matches("application/*", ct));
		cr_expect_not(mediatype_matches("text/*", ct));
	}
}

Test(mediatype, no_lists_let_everything_pass)
{
	struct mediatype_filter f = { 0 };

	cr_expect_eq(mediatype_judge(&f, "image/png"), MEDIATYPE_PASS);
	cr_expect_eq(mediatype_judge(&f, NULL), MEDIATYPE_PASS);
}

Test(mediatype, accept_list_lets_only_its_types_pass)
{
	char *accept[] = { "text/html", "image/*" };
	struct mediatype_filter f = { .accept = accept, .naccept = 2 };

	cr_expect_eq(mediatype_judge(&f, "text/html; charset=utf-8"), MEDIATYPE_PASS);
	cr_expect_eq(mediatype_judge(&f, "image/jpeg"), MEDIATYPE_PASS);
	cr_expect_eq(mediatype_judge(&f, "application/pdf"), MEDIATYPE_NOT_ACCEPTED);
	cr_expect_eq(mediatype_judge(&f, NULL), MEDIATYPE_NOT_ACCEPTED);
}

Test(mediatype, reject_wins_over_accept)
{
	char *accept[] = { "image/*" };
	char *reject[] = { "image/svg+xml", "application/pdf" };
	struct mediatype_filter f = { .accept = accept, .naccept = 1,
				      .reject = reject, .nreject = 2 };

	cr_expect_eq(mediatype_judge(&f, "image/png"), MEDIATYPE_PASS);
	cr_expect_eq(mediatype_judge(&f, "image/svg+xml"), MEDIATYPE_REJECTED);
	cr_expect_eq(mediatype_judge(&f, "application/pdf"), MEDIATYPE_REJECTED,
		     "rejected, not merely not accepted");
	cr_expect_eq(mediatype_judge(&f, "text/html"), MEDIATYPE_NOT_ACCEPTED);
}

Test(mediatype, reject_list_alone_lets_the_rest_pass)
{
	char *reject[] = { "image/*" };
	struct mediatype_filter f = { .reject = reject, .nreject = 1 };

	cr_expect_eq(mediatype_judge(&f, "image/png"), MEDIATYPE_REJECTED);
	cr_expect_eq(mediatype_judge(&f, "text/html"), MEDIATYPE_PASS);
	cr_expect_eq(mediatype_judge(&f, NULL), MEDIATYPE_PASS);
}

Test(mediatype, compressed_formats_are_told_from_ones_that_deflate)
{
	cr_expect(mediatype_compressed("image/png"));
	cr_expect(mediatype_compressed("IMAGE/JPEG; q=1"));
	cr_expect(mediatype_compressed("video/mp4"));
	cr_expect(mediatype_compressed("font/woff2"));
	cr_expect(mediatype_compressed("application/zip"));
	cr_expect_not(mediatype_compressed("image/svg+xml"));
	cr_expect_not(mediatype_compressed("image/bmp"));
	cr_expect_not(mediatype_compressed("text/html; charset=utf-8"));
	cr_expect_not(mediatype_compressed("application/octet-stream"));
	cr_expect_not(mediatype_compressed(NULL));
}
