/* scope: which URLs a crawl follows, decided from the seeds' hosts.
 *
 *   host   - a URL whose host name is a seed's (any scheme or port)
 *   domain - a URL whose registrable domain (public suffix list, libpsl) is
 *            a seed's; an IP address or a bare name counts as its own domain
 *   any    - every http(s) URL
 *
 * Built once before the crawl and read-only after, so threads share it
 * without a lock. */
#ifndef CRAWLER_SCOPE_H
#define CRAWLER_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

enum scope_mode { SCOPE_HOST, SCOPE_DOMAIN, SCOPE_ANY };

struct scope;

/* seeds are canonical URLs; NULL when out of memory. */
struct scope *scope_new(enum scope_mode mode, char *const *seeds, size_t n);
void scope_free(struct scope *s);

bool scope_allows(const struct scope *s, const char *canonical_url);

/* "host", "domain", "any"; -1 for anything else. */
int scope_mode_parse(const char *name);
const char *scope_mode_name(enum scope_mode mode);

#endif
