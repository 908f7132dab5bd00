/* Fuzz target for url: resolution and normalisation.
 *
 * The input is "base\nref" (split at the first newline; NUL bytes end each
 * part early, as they would a C string). The base goes through
 * url_base_new; if that fails, the whole input goes through url_normalize
 * instead. The ref is resolved against the base. Every URL that comes back
 * URL_OK, and the base's own canonical form, must be canonical: http(s),
 * printable ASCII only (no fragment, no space), at most URL_MAX_LEN bytes,
 * with a host, and url_normalize must give it back unchanged (normalising
 * is idempotent), as must resolving it on the page (a canonical URL means
 * itself wherever it is linked). The base split from its canonical form
 * (url_base_canonical, what pages are parsed with) must resolve ref as the
 * fully parsed base does, status and URL. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "url.h"

static char *dup_part(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void check_canonical(const char *u)
{
	size_t len = strlen(u), hlen = 0;
	char *again = NULL;

	FUZZ_CHECK(!strncmp(u, "http://", 7) || !strncmp(u, "https://", 8));
	FUZZ_CHECK(!strchr(u, '#'));
	for (const char *p = u; *p; p++)
		FUZZ_CHECK(*p > ' ' && *p < 0x7f);
	FUZZ_CHECK(len <= URL_MAX_LEN);
	FUZZ_CHECK(url_host(u, &hlen) != NULL);
	FUZZ_CHECK(hlen > 0);
	FUZZ_CHECK(url_normalize(u, &again) == URL_OK);
	FUZZ_CHECK(!strcmp(again, u));
	free(again);
}

static void check_resolve(const struct url_base *b, const char *ref)
{
	char *out = NULL, *split = NULL, *again = NULL;
	enum url_status st = url_base_resolve(b, ref, &out), st2;
	struct url_base *c = url_base_canonical(url_base_str(b), &st2);

	FUZZ_CHECK(c != NULL);
	FUZZ_CHECK(st == url_base_resolve(c, ref, &split));
	if (st == URL_OK) {
		FUZZ_CHECK(!strcmp(out, split));
		check_canonical(out);
		FUZZ_CHECK(url_base_resolve(b, out, &again) == URL_OK);
		FUZZ_CHECK(!strcmp(again, out));
	}
	url_base_free(c);
	free(again);
	free(out);
	free(split);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t blen = nl ? (size_t)(nl - data) : size;
	char *base = dup_part(data, blen);
	char *ref = nl ? dup_part(nl + 1, size - blen - 1) : NULL;
	enum url_status st;
	struct url_base *b = url_base_new(base, &st);
	char *out = NULL;

	if (b) {
		FUZZ_CHECK(st == URL_OK);
		check_canonical(url_base_str(b));
		if (ref)
			check_resolve(b, ref);
		url_base_free(b);
	} else {
		char *whole = dup_part(data, size);

		FUZZ_CHECK(st != URL_OK);
		if (url_normalize(whole, &out) == URL_OK)
			check_canonical(out);
		free(out);
		free(whole);
	}
	free(ref);
	free(base);
	return 0;
}
