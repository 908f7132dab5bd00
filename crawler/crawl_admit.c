/* crawl_admit: found URLs on their way into the crawl. A page's links (or
 * a redirect's target, or the seeds) go through the visited set in one
 * batch; the fresh ones that pass scope and trap rules are pushed to the
 * frontier in one batch and journaled; the rest are counted once by
 * reason. Runs on parser threads and on the fetch thread, also after the
 * crawl stopped (pages fetched before the stop are still parsed). */
#include <stdio.h>
#include <stdlib.h>

#include "crawl_impl.h"
#include "evloop.h"
#include "frontier.h"
#include "journal.h"
#include "parse.h"
#include "record.h"
#include "scope.h"
#include "trap.h"
#include "visited.h"

static const enum crawl_skip trap_skip[TRAP_REASON_COUNT] = {
	[TRAP_URL_LENGTH] = CRAWL_SKIP_URL_LENGTH,
	[TRAP_PATH_SEGMENTS] = CRAWL_SKIP_PATH_SEGMENTS,
	[TRAP_REPEATED_SEGMENT] = CRAWL_SKIP_REPEATED_SEGMENT,
};

/* Whether link i is followed at all (nofollow, resources): a link not
 * followed is no skip, it is what the page or the user asked. */
static bool wanted(const struct crawl *c, const struct batch *b, size_t i)
{
	unsigned f = b->flags ? b->flags[i] : 0;

	if ((f & PARSE_LINK_RESOURCE) && !c->cfg.resources)
		return false;
	return !(f & PARSE_LINK_NOFOLLOW) || c->cfg.follow_nofollow;
}

/* -1 to admit link i, else why it is skipped. */
static int skip_reason(const struct crawl *c, const struct batch *b, size_t i)
{
	enum trap_reason t;

	if (!b->parent)
		return -1;
	if (!scope_allows(c->scope, b->links[i]))
		return CRAWL_SKIP_SCOPE;
	t = trap_check(&c->cfg.traps, b->links[i]);
	return t == TRAP_NONE ? -1 : (int)trap_skip[t];
}

static struct frontier_item item_of(const struct batch *b, size_t i)
{
	unsigned f = b->flags ? b->flags[i] : 0;
	bool resource = f & PARSE_LINK_RESOURCE;
	unsigned via = b->via;

	/* A page's links say how they were found (parse.h). */
	if (via == RECORD_VIA_LINK && f & PARSE_LINK_CSS)
		via = RECORD_VIA_CSS;
	else if (via == RECORD_VIA_LINK && resource)
		via = RECORD_VIA_RESOURCE;

	return (struct frontier_item){
		.url = b->links[i], .parent = b->parent, .depth = b->depth,
		.redirects = b->redirects, .chain = b->chain,
		.flags = (b->entry_flags & ~(unsigned)ENTRY_VIA_MASK) |
			 (resource ? ENTRY_NO_PARSE : 0) | via << ENTRY_VIA_SHIFT,
	};
}

/* Running out of memory while admitting would lose links without a trace
 * (they are in the visited set, so never fetched): the crawl fails, and
 * the caller's record says so. */
static enum admit_status no_memory(struct crawl *c)
{
	ctx_cancel(&c->ctx, CRAWL_FAILED);
	return ADMIT_NOMEM;
}

/* So would a visited set that cannot answer (its Redis is gone): the
 * batch's URLs may be marked seen there with no one to fetch them. */
static enum admit_status visited_failed(struct crawl *c, enum visited_status st)
{
	if (st != VISITED_UNAVAILABLE)
		return no_memory(c);
	ctx_cancel(&c->ctx, CRAWL_FAILED);
	return ADMIT_UNAVAILABLE;
}

void crawl_admit_failed(struct record *r, enum admit_status rc, const char *lost)
{
	char msg[160];
	const char *why = rc == ADMIT_UNAVAILABLE ? "the visited set is unavailable" :
			  rc == ADMIT_FRONTIER_UNAVAILABLE ? "the frontier is unavailable" :
			  "out of memory";

	snprintf(msg, sizeof(msg), "%s: %s", why, lost);
	record_set_err(r, RECORD_ERR_INTERNAL, msg);
}

/* The item it, link src of batch b, as the journal keeps it:
 * with its flags and its lastmod, so that a resumed run queues it as this
 * one did (a sitemap read as one, a resource not parsed, its via). */
static struct journal_entry entry_of(const struct batch *b,
				     const struct frontier_item *it, size_t src)
{
	return (struct journal_entry){
		.url = it->url, .parent = it->parent, .depth = it->depth,
		.flags = it->flags, .has_flags = true,
		.lastmod = b->lastmods ? b->lastmods[src] : NULL,
	};
}

/* One batch to the frontier, and the URLs it takes to the journal, as one
 * step that the writer's journal flush waits for: from the push on a link
 * can be fetched and its record written, and the writer writes no output
 * before flushing the journal, so no record reaches the output before its
 * own admission (journaled after the push and outside that step, a link's
 * record could: killed then, the resumed run found the link again on its
 * page and recorded it twice). The page's record comes after either way. */
static enum admit_status queue(struct crawl *c, const struct batch *b,
			       const struct frontier_item *items, const size_t *src,
			       size_t n, enum frontier_push_status *st)
{
	struct journal *j = c->cfg.journal;
	enum admit_status rc = ADMIT_OK;

	if (j)
		journal_batch_begin(j);
	switch (frontier_push_batch(c->frontier, items, n, st)) {
	case FRONTIER_OK:
		break;
	case FRONTIER_UNAVAILABLE:
		rc = ADMIT_FRONTIER_UNAVAILABLE;
		break;
	default:
		rc = ADMIT_NOMEM;
	}
	if (c->cfg.hook && items[0].parent)
		c->cfg.hook(c->cfg.hook_arg, CRAWL_HOOK_ADMIT_HALFWAY, items[0].parent);
	for (size_t i = 0; j && i < n; i++) {
		struct journal_entry e = entry_of(b, &items[i], src[i]);

		if (st[i] == FRONTIER_QUEUED && journal_batch_admit(j, &e))
			rc = ADMIT_NOMEM;
	}
	if (j)
		journal_batch_end(j);
	for (size_t i = 0; i < n; i++)
		if (st[i] == FRONTIER_HOST_FULL)
			atomic_fetch_add(&c->skipped[CRAWL_SKIP_HOST_LIMIT], 1);
	if (rc != ADMIT_OK)
		ctx_cancel(&c->ctx, CRAWL_FAILED);
	return rc;
}

/* A sitemap's <lastmod>s wait for their URLs' records: kept before the
 * push (from then on a URL can be fetched and recorded), dropped after it
 * for the URLs the frontier refused. */
static void keep_lastmods(struct crawl *c, const struct batch *b,
			  const struct frontier_item *items, const size_t *src,
			  size_t nq)
{
	for (size_t k = 0; b->lastmods && k < nq; k++)
		if (b->lastmods[src[k]])
			crawl_lastmod_keep(c, items[k].url, b->lastmods[src[k]]);
}

static void drop_lastmods(struct crawl *c, const struct batch *b,
			  const struct frontier_item *items, const size_t *src,
			  const enum frontier_push_status *st, size_t nq)
{
	for (size_t k = 0; b->lastmods && k < nq; k++)
		if (b->lastmods[src[k]] && st[k] != FRONTIER_QUEUED)
			free(crawl_lastmod_take(c, items[k].url));
}

/* The outcome of a shared frontier's admission, for this worker's own
 * summary (the crawl's is counted in Redis): reason[i] is why item i was
 * to be skipped, or -1. */
static void count_shared(struct crawl *c, const int *reason,
			 const enum frontier_push_status *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int why = st[i] == FRONTIER_SKIPPED ? reason[i] :
			  st[i] == FRONTIER_HOST_FULL ? CRAWL_SKIP_HOST_LIMIT : -1;

		if (why >= 0)
			atomic_fetch_add(&c->skipped[why], 1);
	}
}

/* A shared crawl: the frontier marks the wanted links seen and queues the
 * new ones that pass scope and trap rules in one step, so a worker killed
 * between the two cannot leave a link seen and never queued. The rules
 * are judged for every link, since only that step knows which are new. */
static enum admit_status admit_shared(struct crawl *c, const struct batch *b)
{
	size_t n = b->n, nin = 0;
	struct frontier_item *items; /* one allocation: the wanted links, */
	const char **skip;           /* the reason each is skipped or NULL, */
	size_t *src;                 /* where each is in b, */
	enum frontier_push_status *st; /* what became of it, */
	int *reason;                 /* and that reason's number or -1 */
	enum admit_status rc = ADMIT_OK;

	items = malloc(n * (sizeof(*items) + sizeof(*skip) + sizeof(*src) +
			    sizeof(*st) + sizeof(*reason)));
	if (!items)
		return no_memory(c);
	skip = (const char **)(void *)(items + n);
	src = (size_t *)(void *)(skip + n);
	st = (enum frontier_push_status *)(void *)(src + n);
	reason = (int *)(void *)(st + n);
	for (size_t i = 0; i < n; i++) {
		if (!wanted(c, b, i))
			continue;
		reason[nin] = skip_reason(c, b, i);
		skip[nin] = reason[nin] >= 0 ? crawl_skip_names[reason[nin]] : NULL;
		src[nin] = i;
		items[nin++] = item_of(b, i);
	}
	if (nin) {
		keep_lastmods(c, b, items, src, nin);
		switch (frontier_admit_batch(c->frontier, items, skip, nin, st)) {
		case FRONTIER_OK:
			break;
		case FRONTIER_NOMEM:
			rc = no_memory(c);
			break;
		default:
			ctx_cancel(&c->ctx, CRAWL_FAILED);
			rc = ADMIT_FRONTIER_UNAVAILABLE;
		}
		count_shared(c, reason, st, nin);
		drop_lastmods(c, b, items, src, st, nin);
		evloop_wake(c->loop);
	}
	free(items);
	return rc;
}

/* Queue the fresh URLs of b that pass scope and trap rules; the fresh ones
 * that do not are counted by reason (skipped URLs go in the visited set
 * too, so each is counted once). The rules are judged for fresh URLs only:
 * most links on a page were seen before. */
enum admit_status crawl_admit(struct crawl *c, const struct batch *b)
{
	enum admit_status rc = ADMIT_OK;
	size_t n = b->n, nin = 0, nq = 0;
	struct frontier_item *items; /* one allocation: the links to queue, */
	char **in;                   /* the wanted links, */
	size_t *src;                 /* where each is in b, */
	enum frontier_push_status *st; /* what the frontier did with items, */
	bool *fresh;                 /* whether each wanted link is new */

	/* Not even a stop ends admission: a page fetched before it is still
	 * parsed and recorded, and a resumed run must find its links in the
	 * journal (this run counts them as not fetched). */
	if (!n || (c->cfg.max_depth >= 0 && b->depth > (unsigned long)c->cfg.max_depth))
		return ADMIT_OK;
	if (frontier_admits(c->frontier))
		return admit_shared(c, b);
	items = malloc(n * (sizeof(*items) + sizeof(*in) + sizeof(*src) +
			    sizeof(*st) + sizeof(*fresh)));
	if (!items)
		return no_memory(c);
	in = (char **)(void *)(items + n);
	src = (size_t *)(void *)(in + n);
	st = (enum frontier_push_status *)(void *)(src + n);
	fresh = (bool *)(st + n);
	for (size_t i = 0; i < n; i++) {
		if (!wanted(c, b, i))
			continue;
		src[nin] = i;
		in[nin++] = b->links[i];
	}
	/* Those marked before the failure are admitted all the same. */
	if (nin) {
		enum visited_status vs = visited_add_batch(c->visited, in, nin, fresh, NULL);

		if (vs != VISITED_OK)
			rc = visited_failed(c, vs);
	}
	for (size_t i = 0; i < nin; i++) {
		int why;

		if (!fresh[i])
			continue;
		why = skip_reason(c, b, src[i]);
		if (why >= 0) {
			atomic_fetch_add(&c->skipped[why], 1);
			continue;
		}
		src[nq] = src[i]; /* nq <= i: each item's place in b */
		items[nq++] = item_of(b, src[i]);
	}
	/* Only new work wakes the fetch loop: most pages bring none, and a
	 * wake-up is a system call on each side. */
	if (nq) {
		keep_lastmods(c, b, items, src, nq);
		enum admit_status qrc = queue(c, b, items, src, nq, st);

		if (qrc != ADMIT_OK && rc == ADMIT_OK)
			rc = qrc;
		drop_lastmods(c, b, items, src, st, nq);
		evloop_wake(c->loop);
	}
	free(items);
	return rc;
}

/* The entry flags of a journaled URL: as journaled, or, from a journal
 * that kept none, those of a page found as a link (a seed, with no
 * parent), which is all that was known then. */
static unsigned readmit_flags(const struct journal_entry *e)
{
	if (e->has_flags)
		return e->flags;
	return (e->parent ? RECORD_VIA_LINK : RECORD_VIA_SEED) << ENTRY_VIA_SHIFT;
}

/* A URL an earlier run admitted: visited again, and queued unless the
 * output already has its record, as it was queued then, its lastmod kept
 * again for its record (before the push, as in crawl_admit). */
static void readmit(void *arg, const struct journal_entry *e)
{
	struct crawl *c = arg;
	char *u = (char *)e->url;
	bool fresh = false;
	enum visited_status vs;
	struct frontier_item it = {
		.url = e->url, .parent = e->parent, .depth = e->depth,
		.flags = readmit_flags(e),
	};
	enum frontier_push_status st;

	if (c->cfg.max_depth >= 0 && e->depth > (unsigned long)c->cfg.max_depth)
		return;
	vs = visited_add_batch(c->visited, &u, 1, &fresh, NULL);
	if (vs != VISITED_OK)
		visited_failed(c, vs);
	if (!fresh)
		return;
	if (c->cfg.recorded && visited_has(c->cfg.recorded, e->url))
		return;
	if (e->lastmod)
		crawl_lastmod_keep(c, e->url, e->lastmod);
	/* Already journaled: not again. Refused for lack of memory, it would
	 * never be fetched (it is seen): the crawl fails, as in queue(). */
	if (frontier_push_batch(c->frontier, &it, 1, &st) != FRONTIER_OK)
		ctx_cancel(&c->ctx, CRAWL_FAILED);
	if (e->lastmod && st != FRONTIER_QUEUED)
		free(crawl_lastmod_take(c, e->url));
}

/* The seeds, or, resuming a --state crawl, everything it had admitted. */
void crawl_admit_seeds(struct crawl *c)
{
	struct batch b = { .links = c->seeds, .n = c->nseeds, .via = RECORD_VIA_SEED };

	if (c->cfg.journal && journal_entries(c->cfg.journal)) {
		if (journal_replay(c->cfg.journal, readmit, c))
			ctx_cancel(&c->ctx, CRAWL_FAILED);
		evloop_wake(c->loop);
		return;
	}
	crawl_admit(c, &b);
	crawl_sitemaps_admit_given(c);
}
