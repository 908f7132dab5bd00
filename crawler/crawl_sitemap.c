/* crawl_sitemap: sitemaps in a crawl. A sitemap is a frontier entry like
 * any URL (ENTRY_SITEMAP in its flags, with how deep in indexes it sits),
 * so its origin's robots.txt, pacing and the visited set apply to it. They
 * come from the Sitemap: lines of robots.txt (crawl_on_robots, the fetch
 * thread; through scope, as links of the robots.txt) and from --sitemap
 * (with the seeds, like seeds: no scope test). Both are at depth 0; a
 * sitemap an index lists has the index's depth, and the pages a urlset
 * lists are one deeper. A parser thread reads the body (sitemap.c) and
 * admits its entries like a page's links.
 *
 * A listed page's <lastmod> waits in a table until the page's record is
 * made, keyed by the URL's fingerprint; the frontier carries no such
 * field. The table's lock is taken alone (never with the frontier's or the
 * visited set's); URLs dropped without a record leave their entry there
 * until crawl_free. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "crawl_impl.h"
#include "origin.h"
#include "record.h"
#include "response.h"
#include "sitemap.h"
#include "url.h"
#include "visited.h"

struct lastmod {
	uint64_t fp;              /* visited_fingerprint of the URL */
	char *text;               /* owned */
	UT_hash_handle hh;
};

void crawl_lastmods_init(struct crawl *c)
{
	pthread_mutex_init(&c->lastmods.lock, NULL);
	c->lastmods.head = NULL;
	atomic_store(&c->lastmods.n, 0);
}

void crawl_lastmods_release(struct crawl *c)
{
	struct lastmod *e = c->lastmods.head, *next;

	/* HASH_CLEAR frees the table only; the entries stay chained. */
	HASH_CLEAR(hh, c->lastmods.head);
	for (; e; e = next) {
		next = e->hh.next;
		free(e->text);
		free(e);
	}
	pthread_mutex_destroy(&c->lastmods.lock);
}

/* Keep url's lastmod (copied) for its record. Out of memory loses only the
 * date. A URL listed again replaces nothing: the first listing wins. */
void crawl_lastmod_keep(struct crawl *c, const char *url, const char *text)
{
	uint64_t fp = visited_fingerprint(url);
	struct lastmod *e = malloc(sizeof(*e)), *old;

	if (!e || !(e->text = strdup(text))) {
		free(e);
		return;
	}
	e->fp = fp;
	pthread_mutex_lock(&c->lastmods.lock);
	HASH_FIND(hh, c->lastmods.head, &fp, sizeof(fp), old);
	if (!old) {
		HASH_ADD(hh, c->lastmods.head, fp, sizeof(fp), e);
		atomic_fetch_add(&c->lastmods.n, 1);
	}
	pthread_mutex_unlock(&c->lastmods.lock);
	if (old) {
		free(e->text);
		free(e);
	}
}

/* url's lastmod, now the caller's (malloc'd), or NULL. No lock while the
 * table is empty: a crawl without sitemaps pays one atomic load. */
char *crawl_lastmod_take(struct crawl *c, const char *url)
{
	uint64_t fp;
	struct lastmod *e;
	char *text = NULL;

	if (!atomic_load(&c->lastmods.n))
		return NULL;
	fp = visited_fingerprint(url);
	pthread_mutex_lock(&c->lastmods.lock);
	HASH_FIND(hh, c->lastmods.head, &fp, sizeof(fp), e);
	if (e) {
		HASH_DEL(c->lastmods.head, e);
		atomic_fetch_sub(&c->lastmods.n, 1);
	}
	pthread_mutex_unlock(&c->lastmods.lock);
	if (e) {
		text = e->text;
		free(e);
	}
	return text;
}

enum url_status crawl_sitemaps_init(struct crawl *c, char *err, size_t errlen)
{
	c->sitemaps_given = calloc(c->cfg.nsitemaps + 1, sizeof(*c->sitemaps_given));
	if (!c->sitemaps_given)
		return URL_NOMEM;
	for (size_t i = 0; i < c->cfg.nsitemaps; i++) {
		enum url_status st = crawl_seed_normalize(c->cfg.sitemaps[i],
							  &c->sitemaps_given[i]);

		if (st != URL_OK) {
			if (st != URL_NOMEM)
				snprintf(err, errlen, "bad --sitemap URL '%s': %s",
					 c->cfg.sitemaps[i], url_strerror(st));
			return st;
		}
		c->nsitemaps_given++;
	}
	return URL_OK;
}

void crawl_sitemaps_release(struct crawl *c)
{
	for (size_t i = 0; i < c->nsitemaps_given; i++)
		free(c->sitemaps_given[i]);
	free(c->sitemaps_given);
	c->sitemaps_given = NULL;
	c->nsitemaps_given = 0;
}

void crawl_sitemaps_admit_given(struct crawl *c)
{
	struct batch b = { .links = c->sitemaps_given, .n = c->nsitemaps_given,
			   .entry_flags = ENTRY_SITEMAP, .via = RECORD_VIA_SITEMAP };

	crawl_admit(c, &b);
}

/* The Sitemap: lines of the robots.txt of origin (o its answer), admitted
 * as links of that robots.txt. Fetch thread. */
void crawl_sitemaps_of_robots(struct crawl *c, const char *origin,
			      const struct origin *o)
{
	const char *const *raw;
	size_t n = o && c->cfg.robots_sitemaps ? origin_sitemap_urls(o, &raw) : 0;
	size_t len = strlen(origin) + sizeof("/robots.txt"), k = 0;
	char *robots_url, **urls;
	struct batch b = { .depth = 0, .entry_flags = ENTRY_SITEMAP,
			   .via = RECORD_VIA_SITEMAP };

	if (!n)
		return;
	robots_url = malloc(len);
	urls = calloc(n, sizeof(*urls));
	if (robots_url && urls) {
		snprintf(robots_url, len, "%s/robots.txt", origin);
		for (size_t i = 0; i < n; i++)
			if (url_resolve(robots_url, raw[i], &urls[k]) == URL_OK)
				k++;
		b.parent = robots_url;
		b.links = urls;
		b.n = k;
		crawl_admit(c, &b);
	}
	for (size_t i = 0; i < k; i++)
		free(urls[i]);
	free(urls);
	free(robots_url);
}

/* Why a sitemap's reading stopped early, for its record. */
static void note_limits(struct record *r, const struct sitemap_result *sr,
			enum sitemap_status st)
{
	char msg[160];

	if (st == SITEMAP_NOMEM || st == SITEMAP_FAILED) {
		record_set_err(r, RECORD_ERR_INTERNAL, st == SITEMAP_NOMEM ?
			       "out of memory while reading the sitemap" :
			       "the XML reader could not start");
		return;
	}
	if (!sr->too_many && !sr->too_large)
		return;
	snprintf(msg, sizeof(msg), "sitemap past %s: the rest was not read",
		 sr->too_many ? "50,000 URLs" : "50 MB uncompressed");
	record_set_err(r, RECORD_ERR_TOO_LARGE, msg);
}

/* The entries of sr, from the sitemap of record r (entry flags flags),
 * admitted: pages one deeper, sitemaps of an index at its depth and one
 * level further in, unless that passes SITEMAP_MAX_NESTING. */
static void admit_entries(struct crawl *c, struct record *r, unsigned flags,
			  const struct sitemap_result *sr)
{
	unsigned nest = ENTRY_NESTING(flags) + 1;
	struct batch b = { .parent = r->url, .depth = r->depth + 1,
			   .links = sr->urls, .lastmods = sr->lastmods,
			   .n = sr->nurls, .via = RECORD_VIA_SITEMAP };
	enum admit_status rc;

	if (sr->kind == SITEMAP_INDEX) {
		if (nest >= SITEMAP_MAX_NESTING) {
			atomic_fetch_add(&c->skipped[CRAWL_SKIP_SITEMAP_NESTING],
					 sr->nurls);
			return;
		}
		b.depth = r->depth;
		b.entry_flags = ENTRY_SITEMAP | nest << ENTRY_NESTING_SHIFT;
	}
	rc = crawl_admit(c, &b);
	if (rc != ADMIT_OK && r->err == RECORD_ERR_NONE)
		crawl_admit_failed(r, rc, "the sitemap's URLs were not all queued");
}

/* A parser thread reads a sitemap page; its record gets sitemap_urls
 * (when it is one: a body that is neither urlset nor sitemapindex keeps
 * null) and goes on like a page's. Takes pg. */
struct record *crawl_sitemap_read(struct crawl *c, struct page *pg)
{
	struct record *r = pg->rec;
	struct sitemap_result sr = { 0 };
	enum sitemap_status st = sitemap_read(pg->resp->body, pg->resp->body_len,
					      r->url, &sr);

	note_limits(r, &sr, st);
	if (sr.kind != SITEMAP_NONE) {
		atomic_fetch_add(&c->sitemaps, 1);
		r->sitemap_urls = (long)sr.listed;
		admit_entries(c, r, pg->flags, &sr);
	}
	sitemap_result_release(&sr);
	response_free(pg->resp);
	free(pg);
	return r;
}
