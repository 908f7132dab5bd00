/* origin: what the answer to one origin's robots.txt request means for all
 * of that origin's URLs (RFC 9309 2.3.1).
 *
 *   2xx                          its rules, for our product token
 *   3xx past the redirects, 4xx  everything allowed ("unavailable")
 *   5xx                          everything refused, as kind robots
 *   no answer at all             everything refused with that transport
 *                                error (dns, connect, ...): the origin
 *                                cannot be reached, which says more
 *
 * Built once by the fetch thread, then read-only; the frontier owns it as
 * the origin's policy. */
#ifndef CRAWLER_ORIGIN_H
#define CRAWLER_ORIGIN_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct origin;

/* The robots.txt answer: status (0 without a response), err (the
 * transfer's error kind) and err_msg (may be NULL), the body. agent is our
 * product token. NULL when out of memory. */
struct origin *origin_new(int status, enum record_err err, const char *err_msg,
			  const char *body, size_t len, const char *agent);
/* Free o with the robots rules and message it holds; NULL is accepted. */
void origin_free(struct origin *o);

/* RECORD_ERR_NONE if url (canonical) may be fetched; else the error to
 * record it with, and *why its message (borrowed; NULL for the default). */
enum record_err origin_refuses(const struct origin *o, const char *url,
			       const char **why);

/* Crawl-delay in milliseconds, or -1. */
int64_t origin_crawl_delay_ms(const struct origin *o);
/* Sitemap: lines in the file, as written, in *urls (borrowed from o until
 * origin_free); returns how many. */
size_t origin_sitemap_urls(const struct origin *o, const char *const **urls);

#endif
