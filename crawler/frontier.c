/* frontier: per-host FIFO queues with round-robin turns between hosts.
 *
 * `ready` is a ring of the hosts that have queued entries and are under
 * their cap; popping takes the head host's oldest entry and sends the host
 * to the back of the ring, so hosts alternate. A host at its cap leaves the
 * ring and comes back in frontier_done. Hosts are found by name through a
 * uthash table and live until frontier_free. `lock` guards it all. */
#include "frontier.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "url.h"

struct frontier_host {
	struct frontier_entry *head, *tail; /* queued, oldest first */
	unsigned in_flight;                 /* handed out, not done */
	bool in_ring;
	struct frontier_host *ring_next;    /* next in the ready ring */
	UT_hash_handle hh;
	char name[];                        /* host name, the table's key */
};

struct frontier {
	pthread_mutex_t lock;        /* guards everything below */
	struct frontier_host *hosts; /* uthash by name */
	struct frontier_host *ring_head, *ring_tail;
	size_t ring_len;             /* hosts in the ring */
	unsigned per_host;
	size_t queued;
};

struct frontier *frontier_new(unsigned per_host)
{
	struct frontier *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	pthread_mutex_init(&f->lock, NULL);
	f->per_host = per_host ? per_host : 1;
	return f;
}

void frontier_free(struct frontier *f)
{
	struct frontier_host *h, *tmp;

	if (!f)
		return;
	HASH_ITER(hh, f->hosts, h, tmp) {
		HASH_DEL(f->hosts, h);
		while (h->head) {
			struct frontier_entry *e = h->head;

			h->head = e->next;
			free(e);
		}
		free(h);
	}
	pthread_mutex_destroy(&f->lock);
	free(f);
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

static struct frontier_host *host_get(struct frontier *f, const char *name,
				      size_t len)
{
	struct frontier_host *h;

	HASH_FIND(hh, f->hosts, name, len, h);
	if (h)
		return h;
	h = calloc(1, sizeof(*h) + len + 1);
	if (!h)
		return NULL;
	memcpy(h->name, name, len);
	HASH_ADD(hh, f->hosts, name[0], len, h);
	return h;
}

static struct frontier_entry *entry_new(const char *url, const char *parent,
					unsigned depth)
{
	size_t ulen = strlen(url) + 1, plen = parent ? strlen(parent) + 1 : 0;
	struct frontier_entry *e = malloc(sizeof(*e) + ulen + plen);

	if (!e)
		return NULL;
	e->next = NULL;
	e->depth = depth;
	memcpy(e->url, url, ulen);
	e->parent = NULL;
	if (parent) {
		memcpy(e->url + ulen, parent, plen);
		e->parent = e->url + ulen;
	}
	return e;
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

int frontier_push(struct frontier *f, const char *url, const char *parent,
		  unsigned depth)
{
	size_t hlen = 0;
	const char *host = url_host(url, &hlen);
	struct frontier_entry *e = entry_new(url, parent, depth);
	int rc = -1;

	if (!e)
		return -1;
	if (!host) {
		host = "";
		hlen = 0;
	}
	pthread_mutex_lock(&f->lock);
	e->host = host_get(f, host, hlen);
	if (e->host) {
		host_enqueue(e->host, e);
		f->queued++;
		if (!e->host->in_ring && e->host->in_flight < f->per_host)
			ring_append(f, e->host);
		rc = 0;
	}
	pthread_mutex_unlock(&f->lock);
	if (rc)
		free(e);
	return rc;
}

static struct frontier_entry *take_head(struct frontier *f,
					struct frontier_host *h)
{
	struct frontier_entry *e = h->head;

	h->head = e->next;
	if (!h->head)
		h->tail = NULL;
	e->next = NULL;
	h->in_flight++;
	f->queued--;
	return e;
}

/* A host whose oldest entry is deeper than max_depth goes to the back of
 * the ring, keeping its turn; one lap of the ring at most. */
struct frontier_entry *frontier_pop(struct frontier *f, unsigned max_depth)
{
	struct frontier_entry *e = NULL;

	pthread_mutex_lock(&f->lock);
	for (size_t lap = f->ring_len; lap && !e; lap--) {
		struct frontier_host *h = ring_take(f);

		if (h->head->depth <= max_depth)
			e = take_head(f, h);
		if (h->head && h->in_flight < f->per_host)
			ring_append(f, h);
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
	if (h->head && !h->in_ring)
		ring_append(f, h);
	pthread_mutex_unlock(&f->lock);
	free(e);
}

size_t frontier_len(struct frontier *f)
{
	pthread_mutex_lock(&f->lock);
	size_t n = f->queued;
	pthread_mutex_unlock(&f->lock);
	return n;
}
