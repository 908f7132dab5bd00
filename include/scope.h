/* scope: which URLs a crawl follows, decided from the seeds.
 *
 *   host       - a URL whose host name is a seed's (any scheme or port)
 *   domain     - a URL whose registrable domain (public suffix list,
 *                libpsl) is a seed's; an IP address or a bare name counts
 *                as its own domain
 *   subdomains - a URL whose host is a seed's host or ends in "." and a
 *                seed's host (example.com admits a.b.example.com, not
 *                badexample.com); an IP address matches only itself
 *   any        - every http(s) URL
 *
 * On top of the mode, a URL must match one include regex (if any are
 * given), no exclude regex, and with no_parent lie under a seed's
 * directory on that seed's origin.
 *
 * Built once before the crawl and read-only after, so threads share it
 * without a lock. */
#ifndef CRAWLER_SCOPE_H
#define CRAWLER_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

enum scope_mode { SCOPE_HOST, SCOPE_DOMAIN, SCOPE_SUBDOMAINS, SCOPE_ANY };

enum scope_status {
	SCOPE_OK = 0,
	SCOPE_UNKNOWN_MODE = 1, /* not one of the mode names */
};

struct scope_config {
	enum scope_mode mode;
	char **include;      /* POSIX EREs; borrowed until scope_new returns */
	size_t ninclude;     /* 0: every URL the rest admits */
	char **exclude;      /* POSIX EREs; borrowed until scope_new returns */
	size_t nexclude;
	bool no_parent;      /* stay under a seed's directory */
};

struct scope;

/* Regexes are matched, unanchored unless they anchor themselves, against
 * the whole canonical URL. seeds are canonical URLs. NULL with the reason
 * in err (naming the option and the regex, or "out of memory"). */
struct scope *scope_new(const struct scope_config *cfg, char *const *seeds,
			size_t n, char *err, size_t errlen);
/* Free s: its compiled regexes and its copies of the seeds' hosts and
 * directories. NULL is accepted. */
void scope_free(struct scope *s);

/* Safe to call from many threads at once on the same scope. */
bool scope_allows(const struct scope *s, const char *canonical_url);

/* "host", "domain", "subdomains", "any" (any case) into *mode: SCOPE_OK, or
 * SCOPE_UNKNOWN_MODE for anything else, *mode untouched. */
enum scope_status scope_mode_parse(const char *name, enum scope_mode *mode);
const char *scope_mode_name(enum scope_mode mode);

#endif
