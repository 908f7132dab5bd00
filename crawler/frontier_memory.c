/* frontier_memory: the frontier's backend in memory (frontier.h): per-origin
 * queues, round-robin turns, pacing, gates, and the pending counts.
 *
 * `ring` holds the origins that have queued entries, are open and are under
 * their cap. Taking walks the ring at most once: an origin whose start time
 * is still ahead, or whose oldest entry is too deep, keeps its turn at the
 * back; the first eligible one gives its oldest entry and goes to the back.
 * An origin at its cap leaves the ring and returns when a lease ends. Gated
 * origins stay out of the ring until opened; `gated` lists the ones not yet
 * handed to the crawl. Origins are found by name through a uthash table and
 * live until the frontier is freed.
 *
 * A lease's handle is its entry, a gate's its origin. An origin remembers
 * which lease last moved its next start, and from what, so a lease that
 * made no request (frontier_skip) can give that start back. `pending` counts URLs
 * queued and not yet completed; with a max depth, `level_left[d]` does the
 * same per depth and `level` is the shallowest depth with some left, the
 * deepest that may be handed out. One mutex, `lock`, guards it all but the
 * two counts, atomics raised under it (with the queueing) and lowered
 * without it: a completion, one per record from the writer thread, takes
 * no lock. A batch's entries are allocated before the lock is taken. */
#include "frontier.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

/* A parent URL shared by the entries of the links found on it: one copy
 * per page instead of one per link. Counted under the frontier's lock. */
struct parent {
	unsigned refs;
	char url[];
};

/* 32 bytes before the URL: a frontier holds most of a big crawl's URLs at
 * its peak, so each byte here is a megabyte at a million. */
struct entry {
	struct entry *next;       /* queue link */
	struct host *host;        /* the origin's queue */
	struct parent *shared;    /* the page that linked here, shared with its
				     other links; NULL for seeds */
	unsigned depth;
	uint8_t redirects;        /* --max-redirects is at most 100 */
	uint8_t attempts;         /* fetches tried; --retries is at most 100 */
	uint16_t flags;           /* the caller's bits, kept as given */
	char url[];               /* canonical URL, then the chain */
};

_Static_assert(sizeof(struct entry) == 32, "an entry's header is 32 bytes");

struct host {
	struct entry *head, *tail;    /* queued, by depth, then FIFO */
	unsigned in_flight;           /* leased */
	uint64_t admitted;            /* entries ever queued */
	int64_t next_ns;              /* earliest next start */
	struct entry *paced_by;       /* the last lease taken, which set next_ns */
	int64_t paced_from_ns;        /* next_ns before that lease */
	int64_t delay_ns;             /* between two starts */
	bool in_ring;
	bool gated;                   /* waiting to be opened */
	struct host *ring_next;       /* next in the ring, or gated list */
	struct host *all_next;        /* every origin, for memory_free */
	void *policy;                 /* given when opened; owned */
	UT_hash_handle hh;
	char origin[];                /* "scheme://host[:port]", the key */
};

struct memory {
	pthread_mutex_t lock;         /* guards everything below but the atomics */
	struct frontier_config cfg;
	struct host *hosts;           /* uthash by origin */
	struct host *all;             /* the same origins, a plain list */
	struct host *ring_head, *ring_tail;
	size_t ring_len;              /* origins in the ring */
	struct host *gated;           /* gated origins not yet taken, LIFO */
	struct parent *last;          /* the last parent pushed (a page's links
					 come in a row); one reference held */
	size_t queued;
	size_t leased;
	atomic_size_t pending;        /* queued, not yet completed */
	atomic_size_t *level_left;    /* with a max depth: pending, by depth */
	unsigned level;               /* with a max depth: see above */
};

static void ring_append(struct memory *m, struct host *h)
{
	h->in_ring = true;
	h->ring_next = NULL;
	m->ring_len++;
	if (m->ring_tail)
		m->ring_tail->ring_next = h;
	else
		m->ring_head = h;
	m->ring_tail = h;
}

static struct host *ring_take(struct memory *m)
{
	struct host *h = m->ring_head;

	if (h) {
		m->ring_head = h->ring_next;
		if (!m->ring_head)
			m->ring_tail = NULL;
		h->in_ring = false;
		m->ring_len--;
	}
	return h;
}

/* Back in the ring if it has work it may start: open and under its cap. */
static void ring_offer(struct memory *m, struct host *h)
{
	if (!h->in_ring && !h->gated && h->head && h->in_flight < m->cfg.per_host)
		ring_append(m, h);
}

/* The origin of a canonical URL: everything before the path. */
static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	p = p ? p + 3 : url;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

static struct host *host_get(struct memory *m, const char *url)
{
	size_t len = origin_len(url);
	struct host *h;

	HASH_FIND(hh, m->hosts, url, len, h);
	if (h)
		return h;
	h = calloc(1, sizeof(*h) + len + 1);
	if (!h)
		return NULL;
	memcpy(h->origin, url, len);
	h->delay_ns = m->cfg.delay_ns;
	HASH_ADD(hh, m->hosts, origin[0], len, h);
	h->all_next = m->all;
	m->all = h;
	if (m->cfg.gated) {
		h->gated = true;
		h->ring_next = m->gated;
		m->gated = h;
	}
	return h;
}

static void parent_drop(struct parent *p)
{
	if (p && --p->refs == 0)
		free(p);
}

/* A reference to parent's shared copy: the last one if it is the same
 * page, else a new one. Under the lock. */
static struct parent *parent_ref(struct memory *m, const char *parent)
{
	size_t n;

	if (!m->last || strcmp(m->last->url, parent) != 0) {
		n = strlen(parent) + 1;
		struct parent *p = malloc(sizeof(*p) + n);

		if (!p)
			return NULL;
		p->refs = 1;
		memcpy(p->url, parent, n);
		parent_drop(m->last);
		m->last = p;
	}
	m->last->refs++;
	return m->last;
}

/* After the struct: the URL, then the chain at the next multiple of 8
 * (the struct itself is 8-byte aligned). */
static size_t chain_offset(const char *url)
{
	return (strlen(url) + 1 + 7) & ~(size_t)7;
}

static const uint64_t *entry_chain(const struct entry *e)
{
	if (!e->redirects)
		return NULL;
	return (const uint64_t *)(const void *)(e->url + chain_offset(e->url));
}

static struct entry *entry_new(const struct frontier_item *it)
{
	size_t ulen = strlen(it->url) + 1;
	size_t at = it->redirects ? chain_offset(it->url) : ulen;
	size_t chain = it->redirects * sizeof(uint64_t);
	struct entry *e = malloc(sizeof(*e) + at + chain);

	if (!e)
		return NULL;
	*e = (struct entry){ .depth = it->depth,
			     .redirects = (uint8_t)it->redirects,
			     .flags = (uint16_t)it->flags };
	memcpy(e->url, it->url, ulen);
	if (chain)
		memcpy(e->url + at, it->chain, chain);
	return e;
}

/* Under the lock: the parent's count changes. */
static void entry_free(struct entry *e)
{
	if (e)
		parent_drop(e->shared);
	free(e);
}

static void memory_free(void *state)
{
	struct memory *m = state;

	if (!m)
		return;
	HASH_CLEAR(hh, m->hosts);
	while (m->all) {
		struct host *h = m->all;

		m->all = h->all_next;
		while (h->head) {
			struct entry *e = h->head;

			h->head = e->next;
			entry_free(e);
		}
		if (h->policy && m->cfg.free_policy)
			m->cfg.free_policy(h->policy);
		free(h);
	}
	parent_drop(m->last);
	free(m->level_left);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* Keep the queue in depth order, FIFO within a depth. Links arrive in depth
 * order, so this is an append, except for a redirect target, which has its
 * source's depth and may have to pass deeper links. */
static void host_enqueue(struct host *h, struct entry *e)
{
	struct entry **at = &h->head;

	if (h->tail && h->tail->depth <= e->depth) {
		h->tail->next = e;
		h->tail = e;
		return;
	}
	while (*at && (*at)->depth <= e->depth)
		at = &(*at)->next;
	e->next = *at;
	*at = e;
	if (!e->next)
		h->tail = e;
}

/* Counted as pending from the moment it is queued, under the same lock, so
 * the count cannot reach 0 while the URL can still be handed out. */
static void count_pending(struct memory *m, unsigned depth)
{
	atomic_fetch_add(&m->pending, 1);
	if (!m->level_left)
		return;
	atomic_fetch_add(&m->level_left[depth], 1);
	if (depth < m->level)
		m->level = depth;
}

static bool too_deep(const struct memory *m, unsigned depth)
{
	return m->cfg.max_depth >= 0 && depth > (unsigned long)m->cfg.max_depth;
}

/* Queue e, made from it, or say why not (e is then the caller's to free).
 * The parent first: an origin made for a URL that is then refused would
 * still have its robots.txt fetched. Under the lock. */
static enum frontier_push_status queue_locked(struct memory *m,
					      const struct frontier_item *it,
					      struct entry *e)
{
	struct host *h;

	if (it->parent && !(e->shared = parent_ref(m, it->parent)))
		return FRONTIER_FAILED;
	h = host_get(m, it->url);
	if (!h)
		return FRONTIER_FAILED;
	if (m->cfg.max_per_host && h->admitted >= m->cfg.max_per_host)
		return FRONTIER_HOST_FULL;
	e->host = h;
	h->admitted++;
	host_enqueue(h, e);
	m->queued++;
	count_pending(m, e->depth);
	ring_offer(m, h);
	return FRONTIER_QUEUED;
}

/* The batch's entries, made before the lock is taken, listed in item order;
 * status[i] is FRONTIER_QUEUED for those made (so far), else why not. */
static struct entry *entries_new(const struct memory *m,
				 const struct frontier_item *items, size_t n,
				 enum frontier_push_status *status)
{
	struct entry *list = NULL, **tail = &list;

	for (size_t i = 0; i < n; i++) {
		struct entry *e = NULL;

		if (too_deep(m, items[i].depth))
			status[i] = FRONTIER_TOO_DEEP;
		else if (!(e = entry_new(&items[i])))
			status[i] = FRONTIER_FAILED;
		else
			status[i] = FRONTIER_QUEUED;
		if (e) {
			*tail = e;
			tail = &e->next;
		}
	}
	return list;
}

static enum frontier_status memory_push_batch(void *state,
					      const struct frontier_item *items,
					      size_t n,
					      enum frontier_push_status *status)
{
	struct memory *m = state;
	struct entry *list = entries_new(m, items, n, status);
	enum frontier_status rc = FRONTIER_OK;

	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < n; i++) {
		struct entry *e = list;

		if (status[i] == FRONTIER_QUEUED) {
			list = e->next;
			e->next = NULL;
			status[i] = queue_locked(m, &items[i], e);
			if (status[i] != FRONTIER_QUEUED)
				entry_free(e);
		}
		if (status[i] == FRONTIER_FAILED)
			rc = FRONTIER_NOMEM;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static struct entry *take_head(struct memory *m, struct host *h, int64_t now_ns)
{
	struct entry *e = h->head;

	h->head = e->next;
	if (!h->head)
		h->tail = NULL;
	e->next = NULL;
	h->in_flight++;
	h->paced_by = e;
	h->paced_from_ns = h->next_ns;
	h->next_ns = now_ns + h->delay_ns;
	m->queued--;
	m->leased++;
	return e;
}

/* The deepest depth that may be handed out: with a max depth, the
 * shallowest with URLs not completed (so depth is the shortest distance
 * from a seed); under the lock. */
static unsigned ready_depth(struct memory *m)
{
	if (!m->level_left)
		return UINT_MAX;
	while (m->level <= (unsigned long)m->cfg.max_depth &&
	       !atomic_load(&m->level_left[m->level]))
		m->level++;
	return m->level;
}

static void lease_fill(struct frontier_lease *l, struct entry *e)
{
	*l = (struct frontier_lease){
		.url = e->url,
		.parent = e->shared ? e->shared->url : NULL,
		.chain = entry_chain(e),
		.policy = e->host->policy,
		.handle = e,
		.depth = e->depth,
		.redirects = e->redirects,
		.attempts = e->attempts,
		.flags = e->flags,
	};
}

static enum frontier_status memory_take_ready(void *state, int64_t now_ns,
					      int64_t *wake_ns,
					      struct frontier_lease *out)
{
	struct memory *m = state;
	struct entry *e = NULL;
	unsigned max_depth;

	pthread_mutex_lock(&m->lock);
	max_depth = ready_depth(m);
	for (size_t lap = m->ring_len; lap && !e; lap--) {
		struct host *h = ring_take(m);

		if (h->next_ns > now_ns) {
			if (wake_ns && h->next_ns < *wake_ns)
				*wake_ns = h->next_ns;
		} else if (h->head->depth <= max_depth) {
			e = take_head(m, h, now_ns);
		}
		ring_offer(m, h);
	}
	if (e)
		lease_fill(out, e);
	pthread_mutex_unlock(&m->lock);
	return e ? FRONTIER_OK : FRONTIER_NONE;
}

/* The lease of e ends and e leaves the frontier; with refund (no request
 * was made) the origin's next start goes back to before e's, when e was the
 * last lease taken: an earlier start, by then followed by others, stays
 * spent. Under the lock. */
static void lease_end(struct memory *m, struct entry *e, bool refund)
{
	struct host *h = e->host;

	if (h->paced_by == e) {
		if (refund)
			h->next_ns = h->paced_from_ns;
		h->paced_by = NULL;
	}
	h->in_flight--;
	m->leased--;
	ring_offer(m, h);
	entry_free(e);
}

static void memory_done(void *state, const struct frontier_lease *l)
{
	struct memory *m = state;

	pthread_mutex_lock(&m->lock);
	lease_end(m, l->handle, false);
	pthread_mutex_unlock(&m->lock);
}

static void memory_skip(void *state, const struct frontier_lease *l)
{
	struct memory *m = state;

	pthread_mutex_lock(&m->lock);
	lease_end(m, l->handle, true);
	pthread_mutex_unlock(&m->lock);
}

static void memory_retry(void *state, const struct frontier_lease *l,
			 int64_t not_before_ns)
{
	struct memory *m = state;
	struct entry *e = l->handle;
	struct host *h = e->host;

	pthread_mutex_lock(&m->lock);
	if (h->paced_by == e)
		h->paced_by = NULL;
	e->attempts++;
	h->in_flight--;
	m->leased--;
	e->next = h->head;
	h->head = e;
	if (!h->tail)
		h->tail = e;
	if (h->next_ns < not_before_ns)
		h->next_ns = not_before_ns;
	m->queued++;
	ring_offer(m, h);
	pthread_mutex_unlock(&m->lock);
}

static enum frontier_status memory_take_gated(void *state,
					      struct frontier_gate *out)
{
	struct memory *m = state;
	struct host *h;

	pthread_mutex_lock(&m->lock);
	h = m->gated;
	if (h) {
		m->gated = h->ring_next;
		*out = (struct frontier_gate){ .origin = h->origin, .handle = h };
	}
	pthread_mutex_unlock(&m->lock);
	return h ? FRONTIER_OK : FRONTIER_NONE;
}

static void memory_open(void *state, const struct frontier_gate *g,
			void *policy, int64_t delay_ns, int64_t now_ns)
{
	struct memory *m = state;
	struct host *h = g->handle;

	pthread_mutex_lock(&m->lock);
	h->policy = policy;
	if (delay_ns > h->delay_ns)
		h->delay_ns = delay_ns;
	h->next_ns = now_ns + h->delay_ns;
	h->gated = false;
	ring_offer(m, h);
	pthread_mutex_unlock(&m->lock);
}

static bool memory_complete(void *state, unsigned depth)
{
	struct memory *m = state;
	bool ended = atomic_fetch_sub(&m->pending, 1) == 1;

	if (m->level_left && !too_deep(m, depth) &&
	    atomic_fetch_sub(&m->level_left[depth], 1) == 1)
		ended = true;
	return ended;
}

static void memory_counts(void *state, struct frontier_counts *out)
{
	struct memory *m = state;

	pthread_mutex_lock(&m->lock);
	*out = (struct frontier_counts){ .queued = m->queued, .leased = m->leased,
					 .pending = atomic_load(&m->pending) };
	pthread_mutex_unlock(&m->lock);
}

static const struct frontier_ops memory_ops = {
	.push_batch = memory_push_batch,
	.take_ready = memory_take_ready,
	.done = memory_done,
	.skip = memory_skip,
	.retry = memory_retry,
	.take_gated = memory_take_gated,
	.open = memory_open,
	.complete = memory_complete,
	.counts = memory_counts,
	.free = memory_free,
};

struct frontier *frontier_memory_new(const struct frontier_config *cfg)
{
	struct memory *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->cfg = *cfg;
	if (!m->cfg.per_host)
		m->cfg.per_host = 1;
	if (cfg->max_depth >= 0) {
		m->level_left = calloc((size_t)cfg->max_depth + 1, sizeof(*m->level_left));
		if (!m->level_left) {
			free(m);
			return NULL;
		}
	}
	pthread_mutex_init(&m->lock, NULL);
	return frontier_new(&memory_ops, m);
}
