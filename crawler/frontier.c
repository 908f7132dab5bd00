/* frontier: per-origin queues, round-robin turns, pacing and gates.
 *
 * `ring` holds the origins that have queued entries, are open and are under
 * their cap. Popping walks the ring at most once: an origin whose start time
 * is still ahead, or whose oldest entry is too deep, keeps its turn at the
 * back; the first eligible one gives its oldest entry and goes to the back.
 * An origin at its cap leaves the ring and returns in frontier_done. Gated
 * origins stay out of the ring until frontier_open; `gated` lists the ones
 * not yet handed to the crawl. Origins are found by name through a uthash
 * table and live until frontier_free.
 *
 * `pending` counts URLs queued and not yet completed; with a max depth,
 * `level_left[d]` does the same per depth and `level` is the shallowest
 * depth with some left, the deepest that may be handed out. `lock` guards
 * it all. */
#include "frontier.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

/* A parent URL shared by the entries of the links found on it: one copy
 * per page instead of one per link. Counted under the frontier's lock. */
struct frontier_parent {
	unsigned refs;
	char url[];
};

struct frontier_host {
	struct frontier_entry *head, *tail; /* queued, by depth, then FIFO */
	unsigned in_flight;                 /* handed out, not done */
	uint64_t admitted;                  /* entries ever pushed */
	int64_t next_ns;                    /* earliest next start */
	int64_t delay_ns;                   /* between two starts */
	bool in_ring;
	bool gated;                         /* waiting for frontier_open */
	struct frontier_host *ring_next;    /* next in the ring, or gated list */
	struct frontier_host *all_next;     /* every origin, for frontier_free */
	void *policy;                       /* from frontier_open; owned */
	UT_hash_handle hh;
	char origin[];                      /* "scheme://host[:port]", the key */
};

struct frontier {
	pthread_mutex_t lock;        /* guards everything below */
	struct frontier_config cfg;
	struct frontier_host *hosts; /* uthash by origin */
	struct frontier_host *all;   /* the same origins, a plain list */
	struct frontier_host *ring_head, *ring_tail;
	size_t ring_len;             /* origins in the ring */
	struct frontier_host *gated; /* gated origins not yet taken, LIFO */
	struct frontier_parent *last; /* the last parent pushed (a page's links
					 come in a row); one reference held */
	size_t queued;
	size_t leased;               /* handed out, not done or retried */
	size_t pending;              /* queued, not yet completed */
	size_t *level_left;          /* with a max depth: pending, by depth */
	unsigned level;              /* with a max depth: see above */
};

struct frontier *frontier_new(const struct frontier_config *cfg)
{
	struct frontier *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->cfg = *cfg;
	if (!f->cfg.per_host)
		f->cfg.per_host = 1;
	if (cfg->max_depth >= 0) {
		f->level_left = calloc((size_t)cfg->max_depth + 1, sizeof(*f->level_left));
		if (!f->level_left) {
			free(f);
			return NULL;
		}
	}
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

static void ring_append(struct frontier *f, struct frontier_host *h)
{
	h->in_ring = true;
	h->ring_next = NULL;
	f->ring_len++;
	if (f->ring_tail)
		f->ring_tail->ring_next = h;
	else
		f->ring_head = h;
	f->ring_tail = h;
}

static struct frontier_host *ring_take(struct frontier *f)
{
	struct frontier_host *h = f->ring_head;

	if (h) {
		f->ring_head = h->ring_next;
		if (!f->ring_head)
			f->ring_tail = NULL;
		h->in_ring = false;
		f->ring_len--;
	}
	return h;
}

/* Back in the ring if it has work it may start: open and under its cap. */
static void ring_offer(struct frontier *f, struct frontier_host *h)
{
	if (!h->in_ring && !h->gated && h->head && h->in_flight < f->cfg.per_host)
		ring_append(f, h);
}

/* The origin of a canonical URL: everything before the path. */
static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	p = p ? p + 3 : url;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

static struct frontier_host *host_get(struct frontier *f, const char *url)
{
	size_t len = origin_len(url);
	struct frontier_host *h;

	HASH_FIND(hh, f->hosts, url, len, h);
	if (h)
		return h;
	h = calloc(1, sizeof(*h) + len + 1);
	if (!h)
		return NULL;
	memcpy(h->origin, url, len);
	h->delay_ns = f->cfg.delay_ns;
	HASH_ADD(hh, f->hosts, origin[0], len, h);
	h->all_next = f->all;
	f->all = h;
	if (f->cfg.gated) {
		h->gated = true;
		h->ring_next = f->gated;
		f->gated = h;
	}
	return h;
}

static void parent_drop(struct frontier_parent *p)
{
	if (p && --p->refs == 0)
		free(p);
}

/* A reference to parent's shared copy: the last one if it is the same
 * page, else a new one. Under the lock. */
static struct frontier_parent *parent_ref(struct frontier *f, const char *parent)
{
	size_t n;

	if (!parent)
		return NULL;
	if (!f->last || strcmp(f->last->url, parent) != 0) {
		n = strlen(parent) + 1;
		struct frontier_parent *p = malloc(sizeof(*p) + n);

		if (!p)
			return NULL;
		p->refs = 1;
		memcpy(p->url, parent, n);
		parent_drop(f->last);
		f->last = p;
	}
	f->last->refs++;
	return f->last;
}

_Static_assert(sizeof(struct frontier_entry) == 32,
	       "an entry's header is 32 bytes (see frontier.h)");

/* After the struct: the URL, then the chain at the next multiple of 8
 * (the struct itself is 8-byte aligned). */
static size_t chain_offset(const char *url)
{
	return (strlen(url) + 1 + 7) & ~(size_t)7;
}

const uint64_t *frontier_entry_chain(const struct frontier_entry *e)
{
	if (!e->redirects)
		return NULL;
	return (const uint64_t *)(const void *)(e->url + chain_offset(e->url));
}

const char *frontier_entry_parent(const struct frontier_entry *e)
{
	return e->shared ? e->shared->url : NULL;
}

static struct frontier_entry *entry_new(const struct frontier_item *it)
{
	size_t ulen = strlen(it->url) + 1;
	size_t at = it->redirects ? chain_offset(it->url) : ulen;
	size_t chain = it->redirects * sizeof(uint64_t);
	struct frontier_entry *e = malloc(sizeof(*e) + at + chain);

	if (!e)
		return NULL;
	*e = (struct frontier_entry){ .depth = it->depth,
				      .redirects = (uint8_t)it->redirects,
				      .flags = (uint16_t)it->flags };
	memcpy(e->url, it->url, ulen);
	if (chain)
		memcpy(e->url + at, it->chain, chain);
	return e;
}

static void entry_free(struct frontier_entry *e)
{
	if (e)
		parent_drop(e->shared);
	free(e);
}

void frontier_free(struct frontier *f)
{
	if (!f)
		return;
	HASH_CLEAR(hh, f->hosts);
	while (f->all) {
		struct frontier_host *h = f->all;

		f->all = h->all_next;
		while (h->head) {
			struct frontier_entry *e = h->head;

			h->head = e->next;
			entry_free(e);
		}
		if (h->policy && f->cfg.free_policy)
			f->cfg.free_policy(h->policy);
		free(h);
	}
	parent_drop(f->last);
	free(f->level_left);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* Keep the queue in depth order, FIFO within a depth. Links arrive in depth
 * order, so this is an append, except for a redirect target, which has its
 * source's depth and may have to pass deeper links. */
static void host_enqueue(struct frontier_host *h, struct frontier_entry *e)
{
	struct frontier_entry **at = &h->head;

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
static void count_pending(struct frontier *f, unsigned depth)
{
	f->pending++;
	if (!f->level_left)
		return;
	f->level_left[depth]++;
	if (depth < f->level)
		f->level = depth;
}

int frontier_push(struct frontier *f, const struct frontier_item *item)
{
	struct frontier_entry *e;
	struct frontier_host *h = NULL;
	int rc = FRONTIER_NOMEM;

	if (f->cfg.max_depth >= 0 && item->depth > (unsigned long)f->cfg.max_depth)
		return FRONTIER_TOO_DEEP;
	e = entry_new(item);
	if (!e)
		return FRONTIER_NOMEM;
	pthread_mutex_lock(&f->lock);
	/* The parent first: an origin made for a URL that is then refused
	 * would still have its robots.txt fetched. */
	if (item->parent)
		e->shared = parent_ref(f, item->parent);
	if (e->shared || !item->parent)
		h = host_get(f, item->url);
	if (h && f->cfg.max_per_host && h->admitted >= f->cfg.max_per_host) {
		rc = FRONTIER_HOST_FULL;
	} else if (h) {
		e->host = h;
		h->admitted++;
		host_enqueue(h, e);
		f->queued++;
		count_pending(f, e->depth);
		ring_offer(f, h);
		rc = FRONTIER_QUEUED;
	}
	if (rc != FRONTIER_QUEUED)
		entry_free(e);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static struct frontier_entry *take_head(struct frontier *f,
					struct frontier_host *h, int64_t now_ns)
{
	struct frontier_entry *e = h->head;

	h->head = e->next;
	if (!h->head)
		h->tail = NULL;
	e->next = NULL;
	h->in_flight++;
	h->next_ns = now_ns + h->delay_ns;
	f->queued--;
	f->leased++;
	return e;
}

/* The deepest depth that may be handed out: with a max depth, the
 * shallowest with URLs not completed (so depth is the shortest distance
 * from a seed); under the lock. */
static unsigned ready_depth(struct frontier *f)
{
	if (!f->level_left)
		return UINT_MAX;
	while (f->level <= (unsigned long)f->cfg.max_depth && !f->level_left[f->level])
		f->level++;
	return f->level;
}

struct frontier_entry *frontier_pop(struct frontier *f, int64_t now_ns,
				    int64_t *wake_ns)
{
	struct frontier_entry *e = NULL;
	unsigned max_depth;

	pthread_mutex_lock(&f->lock);
	max_depth = ready_depth(f);
	for (size_t lap = f->ring_len; lap && !e; lap--) {
		struct frontier_host *h = ring_take(f);

		if (h->next_ns > now_ns) {
			if (wake_ns && h->next_ns < *wake_ns)
				*wake_ns = h->next_ns;
		} else if (h->head->depth <= max_depth) {
			e = take_head(f, h, now_ns);
		}
		ring_offer(f, h);
	}
	pthread_mutex_unlock(&f->lock);
	return e;
}

void frontier_done(struct frontier *f, struct frontier_entry *e)
{
	struct frontier_host *h;

	if (!e)
		return;
	h = e->host;
	pthread_mutex_lock(&f->lock);
	h->in_flight--;
	f->leased--;
	ring_offer(f, h);
	entry_free(e);
	pthread_mutex_unlock(&f->lock);
}

void frontier_retry(struct frontier *f, struct frontier_entry *e,
		    int64_t not_before_ns)
{
	struct frontier_host *h = e->host;

	pthread_mutex_lock(&f->lock);
	h->in_flight--;
	f->leased--;
	e->next = h->head;
	h->head = e;
	if (!h->tail)
		h->tail = e;
	if (h->next_ns < not_before_ns)
		h->next_ns = not_before_ns;
	f->queued++;
	ring_offer(f, h);
	pthread_mutex_unlock(&f->lock);
}

struct frontier_host *frontier_take_gated(struct frontier *f)
{
	struct frontier_host *h;

	pthread_mutex_lock(&f->lock);
	h = f->gated;
	if (h)
		f->gated = h->ring_next;
	pthread_mutex_unlock(&f->lock);
	return h;
}

void frontier_open(struct frontier *f, struct frontier_host *h, void *policy,
		   int64_t delay_ns, int64_t now_ns)
{
	pthread_mutex_lock(&f->lock);
	h->policy = policy;
	if (delay_ns > h->delay_ns)
		h->delay_ns = delay_ns;
	h->next_ns = now_ns + h->delay_ns;
	h->gated = false;
	ring_offer(f, h);
	pthread_mutex_unlock(&f->lock);
}

const char *frontier_host_origin(const struct frontier_host *h)
{
	return h->origin;
}

void *frontier_host_policy(const struct frontier_host *h)
{
	return h->policy;
}

size_t frontier_len(struct frontier *f)
{
	pthread_mutex_lock(&f->lock);
	size_t n = f->queued;
	pthread_mutex_unlock(&f->lock);
	return n;
}

bool frontier_complete(struct frontier *f, unsigned depth)
{
	bool ended;

	pthread_mutex_lock(&f->lock);
	ended = --f->pending == 0;
	if (f->level_left && depth <= (unsigned long)f->cfg.max_depth &&
	    --f->level_left[depth] == 0)
		ended = true;
	pthread_mutex_unlock(&f->lock);
	return ended;
}

bool frontier_over(struct frontier *f)
{
	pthread_mutex_lock(&f->lock);
	bool over = f->pending == 0 && f->leased == 0;
	pthread_mutex_unlock(&f->lock);
	return over;
}
