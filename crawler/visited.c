/* visited: the set of fingerprints of every URL admitted to the crawl.
 *
 * uthash keyed by the 64-bit fingerprint. Entries are carved from chunks of
 * VISITED_CHUNK so a million URLs cost a few hundred allocations, not a
 * million; they are never removed. `lock` guards the table and the chunks. */
#include "visited.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include <xxhash.h>

#define VISITED_CHUNK 4096

struct visited_entry {
	uint64_t fp;
	UT_hash_handle hh;
};

struct visited_chunk {
	struct visited_chunk *next;
	size_t used;
	struct visited_entry entries[VISITED_CHUNK];
};

struct visited {
	pthread_mutex_t lock;          /* guards everything below */
	struct visited_entry *table;   /* uthash head */
	struct visited_chunk *chunks;  /* newest first */
	size_t count;
};

struct visited *visited_new(void)
{
	struct visited *v = calloc(1, sizeof(*v));

	if (v)
		pthread_mutex_init(&v->lock, NULL);
	return v;
}

void visited_free(struct visited *v)
{
	if (!v)
		return;
	HASH_CLEAR(hh, v->table);
	while (v->chunks) {
		struct visited_chunk *next = v->chunks->next;

		free(v->chunks);
		v->chunks = next;
	}
	pthread_mutex_destroy(&v->lock);
	free(v);
}

uint64_t visited_fingerprint(const char *url)
{
	return XXH3_64bits(url, strlen(url));
}

static struct visited_entry *entry_alloc(struct visited *v)
{
	if (!v->chunks || v->chunks->used == VISITED_CHUNK) {
		struct visited_chunk *c = malloc(sizeof(*c));

		if (!c)
			return NULL;
		c->next = v->chunks;
		c->used = 0;
		v->chunks = c;
	}
	return &v->chunks->entries[v->chunks->used++];
}

/* Insert fp unless present: 1 added, 0 present, -1 out of memory. */
static int insert_locked(struct visited *v, uint64_t fp)
{
	struct visited_entry *e;

	HASH_FIND(hh, v->table, &fp, sizeof(fp), e);
	if (e)
		return 0;
	e = entry_alloc(v);
	if (!e)
		return -1;
	e->fp = fp;
	HASH_ADD(hh, v->table, fp, sizeof(e->fp), e);
	v->count++;
	return 1;
}

size_t visited_add_batch(struct visited *v, char *const *urls, size_t n,
			 bool *fresh)
{
	uint64_t *fps = malloc(n * sizeof(*fps) + 1);
	size_t added = 0;

	if (!fps)
		return (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		fps[i] = visited_fingerprint(urls[i]);
		fresh[i] = false;
	}
	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; i < n; i++) {
		int rc = insert_locked(v, fps[i]);

		if (rc < 0) {
			added = (size_t)-1;
			break;
		}
		fresh[i] = rc;
		added += rc;
	}
	pthread_mutex_unlock(&v->lock);
	free(fps);
	return added;
}

size_t visited_count(struct visited *v)
{
	pthread_mutex_lock(&v->lock);
	size_t n = v->count;
	pthread_mutex_unlock(&v->lock);
	return n;
}

bool visited_has(struct visited *v, const char *url)
{
	uint64_t fp = visited_fingerprint(url);
	struct visited_entry *e;

	pthread_mutex_lock(&v->lock);
	HASH_FIND(hh, v->table, &fp, sizeof(fp), e);
	pthread_mutex_unlock(&v->lock);
	return e != NULL;
}
