/* visited_memory: the visited set's backend in memory (visited.h).
 *
 * A dense open-addressing table of 64-bit fingerprints with linear probing,
 * kept at most half full: 16 bytes per URL, where uthash would spend 64 or
 * more on its handle alone (docs/PERFORMANCE.md: memory per URL at a million
 * URLs). Entries are never removed, so probing needs no tombstones. 0 marks
 * an empty slot (visited_fingerprint is never 0). `lock` guards the table;
 * a batch's URLs are hashed before it is taken. */
#include "visited.h"

#include <pthread.h>
#include <stdlib.h>

#define VISITED_MIN_SLOTS 1024 /* a power of two */

struct memory {
	pthread_mutex_t lock; /* guards everything below */
	uint64_t *slots;      /* power-of-two count; 0 = empty */
	size_t mask;          /* slots - 1 */
	size_t count;         /* fingerprints stored */
};

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
static bool grow_locked(struct memory *m)
{
	size_t n = (m->mask + 1) * 2;
	uint64_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return false;
	for (size_t i = 0; i <= m->mask; i++)
		if (m->slots[i])
			*slot_for(slots, n - 1, m->slots[i]) = m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->mask = n - 1;
	return true;
}

/* Insert fp unless present: 1 added, 0 present, -1 out of memory. */
static int insert_locked(struct memory *m, uint64_t fp)
{
	uint64_t *s;

	if ((m->count + 1) * 2 > m->mask + 1 && !grow_locked(m))
		return -1;
	s = slot_for(m->slots, m->mask, fp);
	if (*s)
		return 0;
	*s = fp;
	m->count++;
	return 1;
}

static enum visited_status memory_add_batch(void *state, char *const *urls,
					    size_t n, bool *fresh, size_t *nfresh)
{
	struct memory *m = state;
	uint64_t *fps = malloc(n * sizeof(*fps) + 1);
	enum visited_status rc = VISITED_OK;

	*nfresh = 0;
	for (size_t i = 0; i < n; i++)
		fresh[i] = false;
	if (!fps)
		return VISITED_NOMEM;
	for (size_t i = 0; i < n; i++)
		fps[i] = visited_fingerprint(urls[i]);
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < n; i++) {
		int added = insert_locked(m, fps[i]);

		if (added < 0) {
			rc = VISITED_NOMEM;
			break;
		}
		fresh[i] = added;
		*nfresh += (size_t)added;
	}
	pthread_mutex_unlock(&m->lock);
	free(fps);
	return rc;
}

static bool memory_has(void *state, const char *url)
{
	struct memory *m = state;
	uint64_t fp = visited_fingerprint(url);
	bool found;

	pthread_mutex_lock(&m->lock);
	found = *slot_for(m->slots, m->mask, fp) != 0;
	pthread_mutex_unlock(&m->lock);
	return found;
}

static size_t memory_count(void *state)
{
	struct memory *m = state;

	pthread_mutex_lock(&m->lock);
	size_t n = m->count;
	pthread_mutex_unlock(&m->lock);
	return n;
}

static void memory_free(void *state)
{
	struct memory *m = state;

	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->slots);
	free(m);
}

static const struct visited_ops memory_ops = {
	.add_batch = memory_add_batch,
	.has = memory_has,
	.count = memory_count,
	.free = memory_free,
};

struct visited *visited_memory_new(void)
{
	struct memory *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->slots = calloc(VISITED_MIN_SLOTS, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	m->mask = VISITED_MIN_SLOTS - 1;
	pthread_mutex_init(&m->lock, NULL);
	return visited_new(&memory_ops, m);
}
