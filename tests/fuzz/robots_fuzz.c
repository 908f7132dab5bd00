/* Fuzz target for robots: parsing robots.txt and answering paths.
 *
 * The input is a robots.txt body, then "\n\n\n", then paths to ask about,
 * one a line (a "/" is put in front of one that lacks it; a NUL ends a path
 * early). Without the separator the whole input is the body. robots_parse
 * reads it for "crawler"; each path goes to robots_allowed, and Crawl-delay,
 * the sitemaps and the product token of the body's first line are read.
 * "/robots.txt" must always be allowed (RFC 9309 section 2.2.2), the delay
 * is -1 or not negative, and a product token is a prefix of the line made
 * of [A-Za-z_-] only. */
#include "fuzz.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "robots.h"

#define SEP "\n\n\n"
#define TOKEN_CAP 16

static bool is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == '-';
}

/* Asks about one path line, "/"-prefixed if need be. */
static void ask(const struct robots *r, const uint8_t *p, size_t n)
{
	bool slash = !n || p[0] != '/';
	char *path = malloc(n + 2);
	size_t j = 0;

	if (!path)
		abort();
	if (slash)
		path[j++] = '/';
	memcpy(path + j, p, n);
	path[j + n] = '\0';
	(void)robots_allowed(r, path);
	free(path);
}

static void check_token(const uint8_t *line, size_t n)
{
	char *ua = malloc(n + 1);
	char buf[TOKEN_CAP];
	size_t len;

	if (!ua)
		abort();
	memcpy(ua, line, n);
	ua[n] = '\0';
	robots_product_token(ua, buf, sizeof(buf));
	len = strlen(buf);
	FUZZ_CHECK(len < sizeof(buf));
	FUZZ_CHECK(!strncmp(buf, ua, len));
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(is_token_char(buf[i]));
	buf[0] = 'x';
	robots_product_token(ua, buf, 0);
	FUZZ_CHECK(buf[0] == 'x');
	robots_product_token(ua, buf, 1);
	FUZZ_CHECK(buf[0] == '\0');
	free(ua);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memmem(data, size, SEP, strlen(SEP));
	size_t flen = sep ? (size_t)(sep - data) : size;
	const uint8_t *nl = memchr(data, '\n', flen);
	struct robots *r = robots_parse((const char *)data, flen, "crawler");
	const char *const *urls = NULL;
	int64_t delay;
	size_t n;

	FUZZ_CHECK(r != NULL); /* NULL only when out of memory */
	FUZZ_CHECK(robots_allowed(r, "/robots.txt"));
	delay = robots_crawl_delay_ms(r);
	FUZZ_CHECK(delay >= -1);
	n = robots_sitemaps(r, &urls);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(urls[i] != NULL);
	if (sep) {
		const uint8_t *p = sep + strlen(SEP), *end = data + size;

		while (p <= end) {
			const uint8_t *e = memchr(p, '\n', (size_t)(end - p));

			if (!e)
				e = end;
			ask(r, p, (size_t)(e - p));
			p = e + 1;
		}
	}
	check_token(data, nl ? (size_t)(nl - data) : flen);
	robots_free(r);
	return 0;
}
