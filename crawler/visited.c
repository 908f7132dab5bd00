/* visited: the set's interface (see visited.h). Each call goes through the
 * backend's ops table; the state is the backend's, and so is its lock.
 * visited_memory.c is the backend in memory. */
#include "visited.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

struct visited {
	const struct visited_ops *ops;
	void *state; /* the backend's */
};

struct visited *visited_new(const struct visited_ops *ops, void *state)
{
	struct visited *v = malloc(sizeof(*v));

	if (!v) {
		ops->free(state);
		return NULL;
	}
	v->ops = ops;
	v->state = state;
	return v;
}

void visited_free(struct visited *v)
{
	if (!v)
		return;
	v->ops->free(v->state);
	free(v);
}

enum visited_status visited_add_batch(struct visited *v, char *const *urls,
				      size_t n, bool *fresh, size_t *nfresh)
{
	size_t got = 0;
	enum visited_status rc = v->ops->add_batch(v->state, urls, n, fresh, &got);

	if (nfresh)
		*nfresh = got;
	return rc;
}

bool visited_has(struct visited *v, const char *url)
{
	return v->ops->has(v->state, url);
}

size_t visited_count(struct visited *v)
{
	return v->ops->count(v->state);
}

uint64_t visited_fingerprint(const char *url)
{
	uint64_t fp = XXH3_64bits(url, strlen(url));

	return fp ? fp : 1;
}
