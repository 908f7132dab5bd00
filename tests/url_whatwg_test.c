/* The web-platform-tests URL cases (tests/data/urltestdata.json, see
 * tests/data/README.md) a crawler meets: those with an http(s) base, each
 * resolved against it as an <a href> on that page would be, and those with
 * no base whose input is an http(s) URL, normalised as a seed is.
 *
 * What the crawler should request is the case's href without its
 * fragment. A case with "failure": true must be refused, and so must one
 * whose href is not http(s) (a mailto: link is not followed).
 *
 * The cases the resolver gets wrong are listed in `known`, each with the
 * reason. The test fails if a listed case passes (the list must stay true)
 * or an unlisted one fails, and if fewer than 98% pass. */
#include "url.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DATA "tests/data/urltestdata.json"

struct known {
	const char *input;
	const char *base; /* NULL: none */
	const char *why;
};

/* A NUL ends a C string, so those inputs reach the resolver cut short;
 * an href never holds one (HTML's tokenizer makes it U+FFFD). Cut, three
 * still agree (a failure, or the NUL in a dropped fragment). */
#define NUL_CUT "holds a NUL, where a C string ends"

static const struct known known[] = {
	{ "http://a\0b/", NULL, NUL_CUT },
	{ "https://x/\0y", NULL, NUL_CUT },
	{ "https://x/?\0y", NULL, NUL_CUT },
	/* UTS #46 takes U+2603 (valid, NV8); libidn2 applies IDNA2008, for
	 * which symbols are DISALLOWED. */
	{ "https://%e2%98%83", NULL, "libidn2 refuses symbols UTS #46 takes" },
	{ NULL, NULL, NULL },
};

static bool is_http(const char *s)
{
	return !strncasecmp(s, "http:", 5) || !strncasecmp(s, "https:", 6);
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static const struct known *find_known(const char *input, const char *base)
{
	for (size_t i = 0; known[i].input; i++)
		if (!strcmp(known[i].input, input) && same(known[i].base, base))
			return &known[i];
	return NULL;
}

/* The case's href as the crawler should request it: without the fragment;
 * malloc'd. */
static char *wanted(const char *href)
{
	return strndup(href, strcspn(href, "#"));
}

/* Run one case; true if the resolver did what a browser does. *got is
 * what came back (malloc'd, NULL on refusal), for the message. */
static bool run_case(const char *input, const char *base, json_t *c,
		     char **got, enum url_status *st)
{
	json_t *href = json_object_get(c, "href");
	struct url_base *b = NULL;
	bool ok;

	*got = NULL;
	if (base) {
		b = url_base_new(base, st);
		cr_assert_not_null(b, "base %s: %s", base, url_strerror(*st));
		*st = url_base_resolve(b, input, got);
		url_base_free(b);
	} else {
		*st = url_normalize(input, got);
	}
	if (json_is_true(json_object_get(c, "failure")))
		return *st != URL_OK;
	cr_assert(json_is_string(href), "case \"%s\" has no href", input);
	if (!is_http(json_string_value(href)))
		return *st == URL_SCHEME;
	if (*st != URL_OK)
		return false;
	char *want = wanted(json_string_value(href));

	ok = !strcmp(*got, want);
	free(want);
	return ok;
}

Test(url_whatwg, applicable_cases_resolve_as_browsers_do)
{
	json_error_t err;
	json_t *all = json_load_file(DATA, JSON_ALLOW_NUL, &err);
	size_t applicable = 0, passing = 0, listed = 0, i;
	json_t *c;

	cr_assert_not_null(all, "%s:%d: %s (tests run from the repo root)",
			   DATA, err.line, err.text);
	json_array_foreach(all, i, c) {
		const char *input = json_string_value(json_object_get(c, "input"));
		const char *base = json_string_value(json_object_get(c, "base"));
		const struct known *k;
		enum url_status st;
		char *got;
		bool pass;

		if (!json_is_object(c) || !input || !is_http(base ? base : input))
			continue;
		applicable++;
		pass = run_case(input, base, c, &got, &st);
		passing += pass;
		k = find_known(input, base);
		listed += k != NULL;
		if (k)
			cr_expect(!pass, "listed case passes now (%s): \"%s\" on %s",
				  k->why, input, base ? base : "(none)");
		else
			cr_expect(pass, "\"%s\" on %s: got %s (%s), want %s",
				  input, base ? base : "(none)",
				  got ? got : "(none)", url_strerror(st),
				  json_is_true(json_object_get(c, "failure")) ?
				  "failure" :
				  json_string_value(json_object_get(c, "href")));
		free(got);
	}
	json_decref(all);
	cr_log_info("WHATWG URL cases: %zu of %zu pass (%zu listed as known)",
		    passing, applicable, listed);
	cr_expect_eq(listed, sizeof(known) / sizeof(known[0]) - 1,
		     "a listed case is not in the data");
	cr_expect_geq(passing * 100, applicable * 98, "%zu of %zu pass", passing,
		      applicable);
}
