/* url: resolve links against a page and put URLs in the one canonical form
 * that the visited set fingerprints, the output records and the fetch
 * requests.
 *
 * A link is read as browsers read an href: by the WHATWG URL Standard's
 * parser (url_parse.h), not RFC 3986 alone. Where the two disagree the
 * standard wins: a backslash is a slash, "http:g" on an http page is
 * relative but "https:g" is absolute, "0x7f.1" is the host 127.0.0.1, tabs
 * and newlines inside an href are removed. The canonical form is the
 * standard's serialisation without the fragment, which is never sent:
 * scheme and host lowercased, an IDN host in punycode (UTS #46), an IP
 * address written in its one form, the default port dropped, dot segments
 * removed, an empty path written "/", an empty query kept ("b?" is not
 * "b"), and each part percent-encoded with the standard's set (controls,
 * spaces, non-ASCII, '"', '<', '>', '`', '{', '}' in a path).
 *
 * Escapes stay as written: "%7e" is neither decoded nor uppercased, and a
 * '%' that starts no escape stays a '%'. RFC 3986 section 6.2.2 calls
 * "%7e", "%7E" and "~" the same, but a server that routes or signs by the
 * bytes of the request may not, and decoding next to a stray '%' makes a
 * new escape ("%4%42" would become "%4B"): the request is for the URL the
 * page meant, as a browser sends it. So a page linking both "~a" and "%7Ea"
 * is fetched twice, as a browser would load both.
 *
 * Only http and https URLs are accepted. Every returned string is malloc'd
 * and owned by the caller. */
#ifndef CRAWLER_URL_H
#define CRAWLER_URL_H

#include <stddef.h>

#define URL_STATUS_MAP(X)                                          \
	X(OK, "ok")                                                \
	X(SCHEME, "not an http or https URL")                      \
	X(MALFORMED, "malformed URL")                              \
	X(TOO_LONG, "URL too long")                                \
	X(NOMEM, "out of memory")

enum url_status {
#define URL_ENUM(name, text) URL_##name,
	URL_STATUS_MAP(URL_ENUM)
#undef URL_ENUM
};

/* Longest URL accepted, in bytes, before and after resolution: the most
 * libcurl takes in a string option (CURL_MAX_INPUT_LENGTH in 7.88), so
 * any URL accepted here can be fetched. Shorter limits are the trap
 * module's (--max-url-length). */
#define URL_MAX_LEN 8000000

/* A parsed base URL to resolve many links of one page against. */
struct url_base;

/* Parse an absolute http(s) URL as a base; NULL with *status set on error. */
struct url_base *url_base_new(const char *base, enum url_status *status);
/* The same for a URL already in canonical form (url_normalize's, or the
 * frontier's), taken as it is: parsing it again would cost a page as much
 * as resolving a dozen of its links. Only checked for an http(s) scheme, a
 * host and its length. */
struct url_base *url_base_canonical(const char *canonical,
				    enum url_status *status);

/* Free b with its canonical string (so what url_base_str lent goes too);
 * NULL is accepted. */
void url_base_free(struct url_base *b);

/* The base in canonical form; borrowed from b. */
const char *url_base_str(const struct url_base *b);

/* Resolve ref (an href as written, surrounding whitespace allowed) against b
 * and normalise it into *out. */
enum url_status url_base_resolve(const struct url_base *b, const char *ref,
				 char **out);

/* One-off resolution: url_base_new + url_base_resolve. */
enum url_status url_resolve(const char *base, const char *ref, char **out);

/* Canonical form of an absolute http(s) URL (e.g. a seed) into *out. */
enum url_status url_normalize(const char *url, char **out);

/* The host of a canonical URL as a pointer into it and a length (no port, no
 * userinfo, IPv6 brackets kept). NULL if url is not canonical http(s). */
const char *url_host(const char *canonical, size_t *len);

/* The path and query of a canonical URL ("/a/b?x"), pointing into it. */
const char *url_path(const char *canonical);

const char *url_strerror(enum url_status status);

/* A path and query (src, n bytes) in the form RFC 3986 section 6.2.2
 * compares them: escapes with uppercase hex, escaped unreserved characters
 * decoded, spaces, controls, non-ASCII bytes and a '%' that starts no
 * escape percent-encoded. dst has room for 3 * n + 1 bytes and is
 * terminated; returns its length. robots.txt rules and the paths of
 * canonical URLs are both put in this form to be compared (RFC 9309
 * section 2.2.2); canonical URLs themselves are not in it. */
size_t url_escape_path(char *dst, const char *src, size_t n);

#endif
