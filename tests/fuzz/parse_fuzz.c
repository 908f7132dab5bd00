/* Fuzz target for parse: links and title out of an HTML page.
 *
 * The first byte picks the charset the server is taken to have named:
 * (byte + 2) % 5 indexes none, ISO-8859-1, Shift_JIS, UTF-8 and a name
 * libxml2 does not know, so the seeds read '0' for none up to '4' for the
 * bogus one. The rest is the body, parsed as if fetched from
 * http://fuzz.test/a/b. Every link must be canonical http(s) (url_normalize
 * gives it back unchanged) and the title, if any, valid UTF-8 of at most
 * 4096 bytes. parse_looks_binary sees the body too. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "url.h"

#define PAGE_URL "http://fuzz.test/a/b"
#define TITLE_MAX 4096

static const char *const charsets[] = {
	NULL, "ISO-8859-1", "Shift_JIS", "UTF-8", "bogus",
};

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
	static bool ready;
	struct parse_result r;
	enum parse_status st;
	const char *charset;
	const char *body;

	if (!ready) {
		parse_global_init();
		ready = true;
	}
	if (!size)
		return 0;
	charset = charsets[(data[0] + 2) % 5];
	body = (const char *)data + 1;
	size--;
	(void)parse_looks_binary(body, size);
	st = parse_html(body, size, PAGE_URL, charset, &r);
	/* Only a bad page URL or a parser libxml2 cannot make fails. */
	FUZZ_CHECK(st != PARSE_FAILED);
	FUZZ_CHECK(r.nlinks <= r.cap);
	FUZZ_CHECK(!r.nlinks || (r.links && r.flags));
	for (size_t i = 0; i < r.nlinks; i++)
		check_link(r.links[i]);
	if (r.title) {
		FUZZ_CHECK(*r.title);
		FUZZ_CHECK(strlen(r.title) <= TITLE_MAX);
		FUZZ_CHECK(fuzz_valid_utf8(r.title, strlen(r.title)));
	}
	parse_result_release(&r);
	return 0;
}
