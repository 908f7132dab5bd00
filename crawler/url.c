/* url: resolve links against a page and put URLs in canonical form
 * (url.h). url_parse does the parsing, the WHATWG URL Standard's; this
 * file holds the bases, the length limit, and what reads canonical URLs
 * (host, path) or compares their paths (url_escape_path, for robots.txt).
 * Nothing is shared between calls, so threads may resolve concurrently.
 */
#include "url.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "url_parse.h"

struct url_base {
	struct url_parsed u; /* u.str is the base in canonical form */
};

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

/* RFC 3986 section 2.3. */
static bool is_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static size_t put_escape(char *dst, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";

	dst[0] = '%';
	dst[1] = hex[c >> 4];
	dst[2] = hex[c & 15];
	return 3;
}

/* RFC 3986 section 6.2.2.1-2: the comparison RFC 9309 section 2.2.2 asks
 * for. Canonical URLs keep their escapes as written, so robots.txt rules
 * and paths both go through this before they are compared. */
size_t url_escape_path(char *dst, const char *src, size_t n)
{
	const unsigned char *p = (const unsigned char *)src, *end = p + n;
	size_t j = 0;

	for (; p < end; p++) {
		if (*p == '%' && end - p > 2 && is_hex(p[1]) && is_hex(p[2])) {
			unsigned char c = hex_value(p[1]) << 4;

			c |= hex_value(p[2]);
			p += 2;
			if (is_unreserved(c))
				dst[j++] = c;
			else
				j += put_escape(dst + j, c);
		} else if (*p <= ' ' || *p >= 0x7f || *p == '%') {
			/* A '%' that starts no escape is written %25, so that
			 * decoding cannot make a new escape ("%4%42" is not
			 * "%4B") and a rule and a path that mean the same
			 * compare equal. */
			j += put_escape(dst + j, *p);
		} else {
			dst[j++] = *p;
		}
	}
	dst[j] = '\0';
	return j;
}

/* Parse ref (surrounding white space allowed) against base (NULL: ref is
 * absolute) into *u, within URL_MAX_LEN before and after. */
static enum url_status parse_bounded(const char *ref,
				     const struct url_parsed *base,
				     struct url_parsed *u)
{
	size_t n = strnlen(ref, URL_MAX_LEN + 1);
	enum url_status st;

	if (n > URL_MAX_LEN)
		return URL_TOO_LONG;
	st = url_parse(ref, n, base, u);
	if (st == URL_OK && u->len > URL_MAX_LEN) {
		free(u->str);
		u->str = NULL;
		st = URL_TOO_LONG;
	}
	return st;
}

static struct url_base *base_done(struct url_base *b, enum url_status st,
				  enum url_status *status)
{
	if (st != URL_OK) {
		url_base_free(b);
		b = NULL;
	}
	if (status)
		*status = st;
	return b;
}

struct url_base *url_base_new(const char *base, enum url_status *status)
{
	struct url_base *b = calloc(1, sizeof(*b));

	return base_done(b, b ? parse_bounded(base, NULL, &b->u) : URL_NOMEM,
			 status);
}

struct url_base *url_base_canonical(const char *canonical,
				    enum url_status *status)
{
	struct url_base *b = calloc(1, sizeof(*b));
	size_t hlen;
	enum url_status st;

	if (!b)
		return base_done(NULL, URL_NOMEM, status);
	if (strnlen(canonical, URL_MAX_LEN + 1) > URL_MAX_LEN)
		st = URL_TOO_LONG;
	else if (!url_host(canonical, &hlen))
		st = URL_MALFORMED;
	else if (!(b->u.str = strdup(canonical)))
		st = URL_NOMEM;
	else
		st = url_parse_split(&b->u);
	return base_done(b, st, status);
}

void url_base_free(struct url_base *b)
{
	if (!b)
		return;
	free(b->u.str);
	free(b);
}

const char *url_base_str(const struct url_base *b)
{
	return b->u.str;
}

enum url_status url_base_resolve(const struct url_base *b, const char *ref,
				 char **out)
{
	struct url_parsed u;
	enum url_status st = parse_bounded(ref, &b->u, &u);

	*out = st == URL_OK ? u.str : NULL;
	return st;
}

enum url_status url_normalize(const char *url, char **out)
{
	struct url_parsed u;
	enum url_status st = parse_bounded(url, NULL, &u);

	*out = st == URL_OK ? u.str : NULL;
	return st;
}

enum url_status url_resolve(const char *base, const char *ref, char **out)
{
	enum url_status st;
	struct url_base *b = url_base_new(base, &st);

	*out = NULL;
	if (!b)
		return st;
	st = url_base_resolve(b, ref, out);
	url_base_free(b);
	return st;
}

/* After "http://" or "https://", NULL if canonical starts with neither. */
static const char *after_scheme(const char *canonical)
{
	if (strncmp(canonical, "http://", 7) == 0)
		return canonical + 7;
	if (strncmp(canonical, "https://", 8) == 0)
		return canonical + 8;
	return NULL;
}

const char *url_host(const char *canonical, size_t *len)
{
	const char *p = after_scheme(canonical), *end;

	if (!p)
		return NULL;
	end = p + strcspn(p, "/?#");
	/* The last '@', as the WHATWG parser does; a canonical userinfo
	 * has its own '@'s escaped anyway. */
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			p = q + 1;
	if (*p == '[') {
		const char *close = memchr(p, ']', end - p);

		if (!close)
			return NULL;
		end = close + 1;
	} else {
		const char *colon = memchr(p, ':', end - p);

		if (colon)
			end = colon;
	}
	if (end == p)
		return NULL;
	*len = end - p;
	return p;
}

const char *url_strerror(enum url_status status)
{
	switch (status) {
#define URL_TEXT(name, text) \
	case URL_##name:     \
		return text;
	URL_STATUS_MAP(URL_TEXT)
#undef URL_TEXT
	}
	return "unknown URL status";
}

const char *url_path(const char *canonical)
{
	const char *p = strstr(canonical, "://");

	p = p ? p + 3 : canonical;
	p += strcspn(p, "/?#");
	return *p ? p : "/";
}
