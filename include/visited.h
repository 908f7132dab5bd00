/* visited: every URL ever admitted to the crawl, so none is fetched twice.
 *
 * An interface over a backend (STYLE.md 15): callers use the visited_*
 * functions; a backend fills struct visited_ops and hands its state to
 * visited_new. Every backend keys a URL by visited_fingerprint, the 64-bit
 * XXH3 of the canonical URL (two URLs collide with probability about
 * n^2 / 2^65: one in 10^7 at 2 million URLs). visited_memory_new is a
 * dense table of fingerprints in this process: 16 bytes per URL;
 * visited_redis_new keeps them in Redis, shared by every worker of a crawl
 * (docs/DISTRIBUTED.md).
 *
 * Every call is thread-safe. A page's links go in as one batch (one lock,
 * or one round trip, per page, not per link). */
#ifndef CRAWLER_VISITED_H
#define CRAWLER_VISITED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct visited;

enum visited_status {
	VISITED_OK = 0,
	VISITED_NOMEM,       /* out of memory */
	VISITED_UNAVAILABLE, /* the backend's server could not be reached or
				refused the command */
};

/* The set in this process's memory; NULL when out of memory. */
struct visited *visited_memory_new(void);

/* The set of crawl crawl_name in the Redis at redis_url
 * ("redis://HOST[:PORT][/DB]"), shared with every other set made on the
 * same crawl name there; what the crawl has already seen stays (a worker
 * joining later sees it). A crawl name is 1 to 128 of [A-Za-z0-9._-].
 * NULL with the reason in err when the URL or name is bad, Redis cannot
 * be reached, or it refuses the set's scripts. On this backend has and
 * count answer false and 0 when Redis cannot be reached. */
struct visited *visited_redis_new(const char *redis_url, const char *crawl_name,
				  char *err, size_t errlen);

/* A fingerprint as the Redis set keeps it (seen_lua.h): the same 64 bits
 * read as signed, in decimal (an intset holds int64), into buf of
 * VISITED_MEMBER_MAX bytes; returns its length. */
#define VISITED_MEMBER_MAX 21 /* "-9223372036854775808" and its NUL */
size_t visited_redis_member(uint64_t fp, char *buf);

/* Delete every key of crawl crawl_name in the Redis at redis_url (its
 * visited set and anything else under C:{crawl_name}:), for tests and the
 * collector that ends a crawl. VISITED_UNAVAILABLE with the reason in err
 * when the URL or name is bad, or Redis cannot be reached or refuses;
 * VISITED_NOMEM. */
enum visited_status visited_redis_delete(const char *redis_url,
					 const char *crawl_name, char *err,
					 size_t errlen);

/* Frees v and its backend's state; NULL is fine. */
void visited_free(struct visited *v);

/* Add the n URLs (add-if-new); fresh[i] says whether urls[i] was new (and
 * is now in). A URL repeated within the batch is fresh only the first
 * time. *nfresh (if not NULL) is set to the number of fresh URLs. On
 * failure the URLs before the one that failed were added and marked,
 * those from it on were not (fresh is false) and *nfresh counts the
 * ones marked. VISITED_UNAVAILABLE marks none, and the batch may have
 * been added all the same (the reply was lost): its URLs are lost to the
 * crawl, which the caller must not hide. */
enum visited_status visited_add_batch(struct visited *v, char *const *urls,
				      size_t n, bool *fresh, size_t *nfresh);

/* Whether url is in the set. */
bool visited_has(struct visited *v, const char *url);

/* URLs in the set. */
size_t visited_count(struct visited *v);

/* The key of url in every backend: XXH3-64 of its bytes, never 0. */
uint64_t visited_fingerprint(const char *url);

/* For backends: the operations behind the functions above, on the state
 * given to visited_new. add_batch always sets *nfresh. */
struct visited_ops {
	enum visited_status (*add_batch)(void *state, char *const *urls,
					 size_t n, bool *fresh, size_t *nfresh);
	bool (*has)(void *state, const char *url);
	size_t (*count)(void *state);
	void (*free)(void *state);
};

/* A set on a backend: takes ownership of state (freed with ops->free,
 * also when this fails). ops is borrowed for the set's life. NULL when
 * out of memory. */
struct visited *visited_new(const struct visited_ops *ops, void *state);

#endif
