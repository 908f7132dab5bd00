/* visited: every URL ever admitted to the crawl, so none is fetched twice.
 *
 * Keyed by the 64-bit XXH3 fingerprint of the canonical URL (two URLs
 * collide with probability about n^2 / 2^65: one in 10^7 at 2 million
 * URLs). The table is dense: 16 bytes per URL. One mutex guards it; a page's
 * links go in as one batch, under one lock, with the hashing done before it
 * is taken. */
#ifndef CRAWLER_VISITED_H
#define CRAWLER_VISITED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct visited;

struct visited *visited_new(void);
void visited_free(struct visited *v);

uint64_t visited_fingerprint(const char *url);

/* Add the n URLs; fresh[i] says whether urls[i] was new (and is now in).
 * A URL repeated within the batch is fresh only the first time. Returns the
 * number of fresh URLs, or (size_t)-1 when out of memory (nothing after the
 * failure was added or marked fresh). */
size_t visited_add_batch(struct visited *v, char *const *urls, size_t n,
			 bool *fresh);

/* Whether url is in the set. */
bool visited_has(struct visited *v, const char *url);

/* URLs in the set. */
size_t visited_count(struct visited *v);

#endif
