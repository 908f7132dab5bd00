/* robots: the Robots Exclusion Protocol (RFC 9309) for one origin.
 *
 * Pure: the crawl fetches an origin's /robots.txt and hands the body here;
 * what comes back answers, for every path on that origin, whether we may
 * fetch it and how long to wait between requests. Only the group naming our
 * product token applies (merged if it appears several times), else the "*"
 * group(s), else nothing is disallowed (RFC 9309 section 2.2.1). Of the rules
 * that match a path, the longest wins and Allow wins a tie (section 2.2.2).
 *
 * A struct robots is allocated by robots_parse, robots_allow_all or
 * robots_disallow_all and owned by the caller until robots_free. It is
 * read-only once built, so threads share it without a lock. */
#ifndef CRAWLER_ROBOTS_H
#define CRAWLER_ROBOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 9309 section 2.5: parse at least 500 KiB; we parse exactly that much
 * (whole lines only: a line cut by the limit is dropped). */
#define ROBOTS_MAX_BYTES (500 * 1024)

struct robots;

/* Parse body (len bytes; only the first ROBOTS_MAX_BYTES are read; need not
 * be NUL-terminated; may contain NULs, a UTF-8 BOM, CRLF or CR line ends)
 * for the crawler whose product token is agent (e.g. "crawler"). Never fails
 * on content: NULL only when out of memory. */
struct robots *robots_parse(const char *body, size_t len, const char *agent);

/* No robots.txt to obey: a 4xx answer, or --no-robots (section 2.3.1.3). */
struct robots *robots_allow_all(void);

/* robots.txt unreachable or a 5xx answer: assume complete disallow
 * (section 2.3.1.4). */
struct robots *robots_disallow_all(void);

/* Free r with its rules and Sitemap: URLs (so what robots_sitemaps lent
 * goes too); NULL is accepted. */
void robots_free(struct robots *r);

/* path_query: the path and query of a canonical URL, e.g. "/a/b%20c?x=1"
 * (always starts with "/"). "/robots.txt" itself is always allowed
 * (section 2.2.2). Safe to call from many threads at once. */
bool robots_allowed(const struct robots *r, const char *path_query);

/* Crawl-delay of the group that applies, in milliseconds; -1 when none.
 * Fractions are allowed ("0.5" is 500); invalid or negative values are
 * ignored, and the first valid one of the applying group(s) counts. */
int64_t robots_crawl_delay_ms(const struct robots *r);

/* Sitemap: URLs found anywhere in the file (they are not group members,
 * section 2.2.4), in order, as written. *urls is borrowed from r until
 * robots_free. Returns how many. */
size_t robots_sitemaps(const struct robots *r, const char *const **urls);

/* The product token of a User-Agent string: its leading run of [A-Za-z_-]
 * ("crawler/0.1.0 (+https://x)" -> "crawler"), written into buf
 * (NUL-terminated, truncated to cap bytes including the NUL; nothing is
 * written when cap is 0). */
void robots_product_token(const char *user_agent, char *buf, size_t cap);

#endif
