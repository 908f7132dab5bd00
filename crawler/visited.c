/* visited: the set of fingerprints of every URL admitted to the crawl.
 *
 * A dense open-addressing table of 64-bit fingerprints with linear probing,
 * kept at most half full: 16 bytes per URL, where uthash would spend 64 or
 * more on its handle alone (docs/PERFORMANCE.md: memory per URL at a million
 * URLs). Entries are never removed, so probing needs no tombstones. 0 marks
 * an empty slot; the one fingerprint that is 0 is stored as 1 (a collision
 * of odds 2^-64, like any other). `lock` guards the table. */
#include "visited.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define VISITED_MIN_SLOTS 1024 /* a power of two */

struct visited {
	pthread_mutex_t lock; /* guards everything below */
	uint64_t *slots;      /* power-of-two count; 0 = empty */
	size_t mask;          /* slots - 1 */
	size_t count;         /* fingerprints stored */
};

struct visited *visited_new(void)
{
	struct visited *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->slots = calloc(VISITED_MIN_SLOTS, sizeof(*v->slots));
	if (!v->slots) {
		free(v);
		return NULL;
	}
	v->mask = VISITED_MIN_SLOTS - 1;
	pthread_mutex_init(&v->lock, NULL);
	return v;
}

void visited_free(struct visited *v)
{
	if (!v)
		return;
	pthread_mutex_destroy(&v->lock);
	free(v->slots);
	free(v);
}

uint64_t visited_fingerprint(const char *url)
{
	uint64_t fp = XXH3_64bits(url, strlen(url));

	return fp ? fp : 1;
}

/* The slot holding fp, or the empty one where it would go. */
static uint64_t *slot_for(uint64_t *slots, size_t mask, uint64_t fp)
{
	/* The low bits of XXH3 are as good as any: no extra mixing. */
	size_t i = (size_t)fp & mask;

	while (slots[i] && slots[i] != fp)
		i = (i + 1) & mask;
	return &slots[i];
}

/* Double the table; false when out of memory (the table is unchanged). */
static bool grow_locked(struct visited *v)
{
	size_t n = (v->mask + 1) * 2;
	uint64_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return false;
	for (size_t i = 0; i <= v->mask; i++)
		if (v->slots[i])
			*slot_for(slots, n - 1, v->slots[i]) = v->slots[i];
	free(v->slots);
	v->slots = slots;
	v->mask = n - 1;
	return true;
}

/* Insert fp unless present: 1 added, 0 present, -1 out of memory. */
static int insert_locked(struct visited *v, uint64_t fp)
{
	uint64_t *s;

	if ((v->count + 1) * 2 > v->mask + 1 && !grow_locked(v))
		return -1;
	s = slot_for(v->slots, v->mask, fp);
	if (*s)
		return 0;
	*s = fp;
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
		added += (size_t)rc;
	}
	pthread_mutex_unlock(&v->lock);
	free(fps);
	return added;
}

bool visited_has(struct visited *v, const char *url)
{
	uint64_t fp = visited_fingerprint(url);
	bool found;

	pthread_mutex_lock(&v->lock);
	found = *slot_for(v->slots, v->mask, fp) != 0;
	pthread_mutex_unlock(&v->lock);
	return found;
}

size_t visited_count(struct visited *v)
{
	pthread_mutex_lock(&v->lock);
	size_t n = v->count;
	pthread_mutex_unlock(&v->lock);
	return n;
}
