/* url: resolve links against a page and put URLs in the one canonical form
 * that the visited set fingerprints and the output records.
 *
 * Resolution is libcurl's URL API (CURLU) plus what it lacks or gets wrong in
 * 7.88: the empty and fragment-only references mean the base itself (RFC 3986
 * section 5.4), and normalisation (RFC 3986 section 6.2.2): scheme and host
 * lowercased, default port dropped, fragment dropped, dot segments removed,
 * percent-escapes uppercased, escaped unreserved characters decoded, an empty
 * path written "/". Only http and https URLs are accepted.
 *
 * Every returned string is malloc'd and owned by the caller. */
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

/* Longest URL accepted, in bytes, before and after resolution. */
#define URL_MAX_LEN 8192

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

/* The same through libcurl's URL API whatever ref is (b NULL: ref must
 * be absolute, as url_normalize has it): url_base_resolve
 * takes a shortcut for plain paths and same-origin URLs, and must agree
 * with this (the url fuzz target compares them). */
enum url_status url_base_resolve_general(const struct url_base *b,
					 const char *ref, char **out);

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

/* A path and query (src, n bytes) as a canonical URL writes them: escapes
 * with uppercase hex, escaped unreserved characters decoded, spaces,
 * controls, non-ASCII bytes and a '%' that starts no escape percent-encoded.
 * dst has room for 3 * n + 1 bytes and is terminated; returns its length.
 * robots.txt patterns are put in this form to be compared with URLs. */
size_t url_escape_path(char *dst, const char *src, size_t n);

#endif
