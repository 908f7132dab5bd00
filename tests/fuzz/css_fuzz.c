/* Fuzz target for css: the URLs of a stylesheet.
 *
 * The input is the stylesheet. css_scan must hand over only URLs that are
 * non-empty, NUL-free, of the length it says and at most three times as
 * long as the input (a NUL byte becomes U+FFFD, three bytes; an escape is
 * never longer decoded than as written); css_parse, from
 * http://fuzz.test/css/s.css, only canonical http(s) links flagged as CSS
 * resources. Hostile input must not be slow: libFuzzer's -timeout catches a
 * scan that is not linear. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "css.h"
#include "parse.h"
#include "url.h"

#define SHEET_URL "http://fuzz.test/css/s.css"

static size_t input_len;

static enum css_status check_url(void *arg, const char *url, size_t len)
{
	(void)arg;
	FUZZ_CHECK(len > 0);
	FUZZ_CHECK(strlen(url) == len);
	FUZZ_CHECK(len / 3 <= input_len);
	return CSS_OK;
}

static void check_link(const char *link)
{
	char *again = NULL;

	FUZZ_CHECK(!strncmp(link, "http://", 7) || !strncmp(link, "https://", 8));
	FUZZ_CHECK(url_normalize(link, &again) == URL_OK);
	FUZZ_CHECK(!strcmp(again, link));
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *css = (const char *)data;
	struct parse_result r;

	input_len = size;
	FUZZ_CHECK(css_scan(css, size, check_url, NULL) == CSS_OK);
	FUZZ_CHECK(css_parse(css, size, SHEET_URL, &r) == CSS_OK);
	FUZZ_CHECK(r.nlinks <= r.cap);
	for (size_t i = 0; i < r.nlinks; i++) {
		check_link(r.links[i]);
		FUZZ_CHECK(r.flags[i] == (PARSE_LINK_RESOURCE | PARSE_LINK_CSS));
	}
	parse_result_release(&r);
	return 0;
}
