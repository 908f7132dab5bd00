/* crawl_results: what becomes of a response. On the fetch thread: a
 * transient failure is queued again, a redirect's target is admitted like
 * a link, and the record goes to the writer, or, with the body, to a
 * parser thread when a content handler reads it (through the outboxes:
 * the fetch thread never waits on a channel). On a parser thread: the
 * handler reads the page, its links are admitted, its record goes on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "crawl_impl.h"
#include "frontier.h"
#include "handler.h"
#include "mediatype.h"
#include "parse.h"
#include "record.h"
#include "response.h"
#include "retry.h"
#include "url.h"
#include "visited.h"
#include "warc.h"

/* From a parser thread, which may wait for the writer (the fetch thread
 * uses records_out instead). No ctx: a fetched result is never dropped,
 * and the writer drains until the channel is closed, so this cannot block
 * for ever. */
static void send_record(struct crawl *c, struct record *r)
{
	chan_send(c->results, r, NULL);
}

static bool in_chain(const struct frontier_lease *e, uint64_t fp)
{
	for (unsigned i = 0; i < e->redirects; i++)
		if (e->chain[i] == fp)
			return true;
	return false;
}

/* The statuses that send the client elsewhere (not 300 Multiple Choices
 * or 304 Not Modified, which need no Location). */
static bool moved(int status)
{
	return status == 301 || status == 302 || status == 303 ||
	       status == 307 || status == 308;
}

/* A 3xx: record its target, and queue it like a link of the same depth,
 * carrying the chain so a loop or an over-long chain ends on this URL. */
static void follow_redirect(struct crawl *c, const struct frontier_lease *e,
			    struct record *r, const char *raw)
{
	char *target = NULL, msg[160];
	uint64_t chain[e->redirects + 1];
	enum url_status st;
	enum admit_status rc;
	/* A resource's target is the resource: fetched, not parsed. */
	static const unsigned char resource = PARSE_LINK_RESOURCE;
	/* So is a sitemap's, at its nesting (http to https, most often). */
	struct batch b = { .parent = r->url, .depth = r->depth, .n = 1,
			   .redirects = e->redirects + 1, .chain = chain,
			   .flags = e->flags & ENTRY_NO_PARSE ? &resource : NULL,
			   .via = RECORD_VIA_REDIRECT,
			   .entry_flags = e->flags & ~(unsigned)ENTRY_NO_PARSE };

	st = url_resolve(r->url, raw, &target);
	/* A redirect off the web (mailto:, ftp:) has nothing to follow and
	 * nothing wrong; one that is no URL at all is the server's error. */
	if (st == URL_SCHEME)
		return;
	if (st != URL_OK) {
		snprintf(msg, sizeof(msg), "Location is not a URL (%s): %.100s",
			 url_strerror(st), raw);
		record_set_err(r, st == URL_NOMEM ? RECORD_ERR_INTERNAL :
						    RECORD_ERR_HTTP, msg);
		return;
	}
	r->location = target;
	if (!strcmp(target, e->url) || in_chain(e, visited_fingerprint(target))) {
		record_set_err(r, RECORD_ERR_REDIRECT_LOOP, NULL);
		return;
	}
	if (e->redirects >= c->cfg.max_redirects) {
		record_set_err(r, RECORD_ERR_TOO_MANY_REDIRECTS, NULL);
		return;
	}
	if (e->redirects)
		memcpy(chain, e->chain, e->redirects * sizeof(*chain));
	chain[e->redirects] = visited_fingerprint(e->url);
	b.links = &r->location;
	rc = crawl_admit(c, &b);
	if (rc != ADMIT_OK)
		crawl_admit_failed(r, rc, "the redirect's target was not queued");
}

/* A transfer's lease ends: its URL is fetched, or goes back to the queue
 * to be fetched again. Either frees the crawl's copy. */
static void lease_done(struct crawl *c, struct frontier_lease *e)
{
	frontier_done(c->frontier, e);
	free(e);
}

static void lease_retry(struct crawl *c, struct frontier_lease *e,
			int64_t not_before_ns)
{
	frontier_retry(c->frontier, e, not_before_ns);
	free(e);
}

/* A transient failure with tries left, and time for another before the
 * crawl's deadline: queue it again (the lease ends). The record waits for
 * the last try. */
static bool retry_later(struct crawl *c, struct frontier_lease *e,
			const struct response *res)
{
	struct retry_policy p = { .retries = c->cfg.retries,
				  .base_ms = c->cfg.retry_base_ms,
				  .max_delay_ms = c->cfg.max_delay_ms };
	int64_t deadline = ctx_deadline_ns(&c->ctx), at;

	if (e->attempts >= p.retries || ctx_done(&c->ctx) ||
	    !retry_transient(res->err, res->status) ||
	    (c->cfg.max_pages && c->started >= c->cfg.max_pages))
		return false;
	at = ctx_now_ns() + retry_backoff_ms(&p, e->attempts + 1,
					     res->retry_after_ms, &c->seed) * 1000000;
	if (deadline && at >= deadline)
		return false;
	lease_retry(c, e, at);
	return true;
}

/* --state: a transfer the stop cut off (canceled) is no answer, and a
 * record would be taken for one: every recorded URL is done for a resumed
 * run. Its URL goes back to the frontier instead (this run counts it as not
 * fetched) and stays pending in the journal, for the next run to fetch.
 * So does a worker's stopped by a signal: the shared crawl goes on, and
 * another worker fetches it (the crawl's --max-time stops every worker,
 * and the records say so). Without either there is no next run, and the
 * record says what became of the URL. */
static bool unanswered(struct crawl *c, struct frontier_lease *e,
		       const struct response *res)
{
	bool resumable = c->cfg.journal ||
			 (c->cfg.cluster && ctx_err(&c->ctx) != CTX_DEADLINE);

	if (res->err != RECORD_ERR_CANCELED || !resumable)
		return false;
	lease_retry(c, e, 0);
	return true;
}

/* Whether a handler reads this response's body; a resource is fetched,
 * not read, unless it is a stylesheet (content_handler.reads_resources). */
static const struct content_handler *reader_of(const struct frontier_lease *e,
					       const struct response *resp)
{
	const struct content_handler *h;

	if (e->flags & ENTRY_SITEMAP || resp->status < 200 || resp->status >= 300)
		return NULL;
	h = handler_for(resp);
	if (h && e->flags & ENTRY_NO_PARSE && !h->reads_resources)
		return NULL;
	return h;
}

/* A 2xx sitemap is read whatever its Content-Type says (a .gz file comes
 * as anything from application/x-gzip to application/octet-stream). */
static bool sitemap_body(const struct frontier_lease *e,
			 const struct response *resp)
{
	return e->flags & ENTRY_SITEMAP && resp->status >= 200 && resp->status < 300;
}

/* What --accept-type and --reject-type say of a response: only a 2xx is
 * judged (a redirect is followed and an error status recorded whatever
 * their type). */
static enum mediatype_verdict type_verdict(const struct crawl *c,
					   const struct response *resp)
{
	if (resp->status < 200 || resp->status >= 300)
		return MEDIATYPE_PASS;
	return mediatype_judge(&c->cfg.types, resp->content_type);
}

/* fetch_config.keep_body: a page of a type refused is not downloaded at
 * all (robots.txt is never judged); of the rest, only a body something
 * reads is kept. */
enum fetch_body crawl_keep_body(void *arg, void *tag, unsigned kind,
				const struct response *resp)
{
	if (kind == JOB_ROBOTS || sitemap_body(tag, resp))
		return FETCH_BODY_KEEP;
	if (type_verdict(arg, resp) != MEDIATYPE_PASS)
		return FETCH_BODY_REFUSE;
	return reader_of(tag, resp) ? FETCH_BODY_KEEP : FETCH_BODY_DROP;
}

/* The record of a body refused for its type says which list refused it. */
static void record_type_refused(const struct crawl *c, struct record *r,
				const struct response *resp)
{
	char msg[160];
	const char *type = resp->content_type;

	snprintf(msg, sizeof(msg), "%.100s%s: %s", type ? type : "no Content-Type",
		 type ? "" : " (application/octet-stream)",
		 type_verdict(c, resp) == MEDIATYPE_REJECTED ?
			 "refused by --reject-type" : "not in --accept-type");
	record_set_err(r, RECORD_ERR_TYPE_REJECTED, msg);
}

static void on_page(struct crawl *c, struct frontier_lease *e,
		    struct response *resp)
{
	const struct content_handler *h = resp->body ? reader_of(e, resp) : NULL;
	bool read = h || (resp->body && sitemap_body(e, resp));
	unsigned flags = e->flags;
	struct record *r;
	struct page *pg;

	if (unanswered(c, e, resp) || retry_later(c, e, resp)) {
		response_free(resp);
		return;
	}
	r = crawl_record_of(c, e, resp);
	if (!r) {
		unsigned depth = e->depth;
		uint64_t ticket = e->ticket;

		lease_done(c, e); /* the lease ends before the URL completes */
		crawl_url_finished(c, depth, ticket);
		response_free(resp);
		return;
	}
	r->attempts = e->attempts + 1;
	r->lastmod = crawl_lastmod_take(c, e->url);
	if (resp->refused && r->err == RECORD_ERR_NONE)
		record_type_refused(c, r, resp);
	if (resp->location && r->err == RECORD_ERR_NONE)
		follow_redirect(c, e, r, resp->location);
	else if (moved(resp->status) && r->err == RECORD_ERR_NONE)
		record_set_err(r, RECORD_ERR_HTTP, "redirect without a Location");
	lease_done(c, e);
	if (read && (pg = malloc(sizeof(*pg)))) {
		*pg = (struct page){ .rec = r, .resp = resp, .handler = h,
				     .flags = flags };
		outbox_send(&c->pages_out, pg);
		return;
	}
	/* Its links would be lost without a trace: the record says so. */
	if (read)
		record_set_err(r, RECORD_ERR_INTERNAL,
			       "out of memory: the page was not read");
	crawl_keep_exchange(c, r, resp);
	outbox_send(&c->records_out, r);
}

/* --warc: a response that came goes with its record to the writer, to be
 * archived; its decoded body is no longer needed. Otherwise it is freed. */
void crawl_keep_exchange(struct crawl *c, struct record *r, struct response *resp)
{
	if (!crawl_archives(c) || !resp->status) {
		response_free(resp);
		return;
	}
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	r->archive = resp;
}

/* fetch_config.done: runs on the fetch thread for every finished
 * transfer. */
void crawl_on_fetched(void *arg, void *tag, unsigned kind, struct response *resp)
{
	if (kind == JOB_ROBOTS)
		crawl_on_robots(arg, tag, resp);
	else
		on_page(arg, tag, resp);
}

/* --warc: the exchange's response block is packed here, on a parser
 * thread while the page is in its cache, and its raw body freed; the
 * writer then only frames it (and packs what came any other way). Without
 * memory it is left to the writer. */
static void pack_exchange(struct warc_packer *pk, const struct record *r,
			  struct response *resp)
{
	struct warc_block *b;

	if (!pk || !resp->status || !(b = malloc(sizeof(*b))))
		return;
	if (warc_pack(pk, resp->headers ? resp->headers : "", resp->headers_len,
		      resp->raw ? resp->raw : "", resp->raw_len,
		      resp->digest[0] ? resp->digest : NULL,
		      warc_compressed_already(r->content_encoding, resp->content_type),
		      b)) {
		free(b);
		return;
	}
	resp->packed = b;
	free(resp->raw);
	resp->raw = NULL;
	resp->raw_len = 0;
}

static void parse_page(struct crawl *c, struct page *pg, struct warc_packer *pk)
{
	struct record *r = pg->rec;
	struct parse_result pr = { 0 };
	struct batch b = { .parent = r->url, .depth = r->depth + 1,
			   .via = RECORD_VIA_LINK };
	enum handler_status hs;

	if (!pg->handler) {
		send_record(c, crawl_sitemap_read(c, pg));
		return;
	}
	hs = pg->handler->read(pg->resp, r->url, &pr);

	/* The links found before a failure still count; the record says
	 * the page was not read to its end. */
	if (hs == HANDLER_NOMEM || hs == HANDLER_FAILED)
		record_set_err(r, RECORD_ERR_INTERNAL, hs == HANDLER_NOMEM ?
			       "out of memory while parsing the page" :
			       "the HTML parser could not start");
	pack_exchange(pk, r, pg->resp);
	crawl_keep_exchange(c, r, pg->resp);
	free(pg);
	if (hs == HANDLER_NOT_MINE) {
		send_record(c, r);
		return;
	}
	if (c->cfg.hook)
		c->cfg.hook(c->cfg.hook_arg, CRAWL_HOOK_PAGE_READ, r->url);
	if (crawl_record_page(r, &pr) && r->err == RECORD_ERR_NONE)
		record_set_err(r, RECORD_ERR_INTERNAL,
			       "out of memory while reading the page's robots directives");
	/* Links lost for lack of memory would leave a record that looks
	 * parsed: it says so instead (and the crawl is failing). The
	 * X-Robots-Tag header's nofollow counts as the <meta>'s. */
	if (!(pr.nofollow || crawl_robots_says(r, "nofollow")) ||
	    c->cfg.follow_nofollow) {
		enum admit_status rc;

		b.links = pr.links;
		b.flags = pr.flags;
		b.n = pr.nlinks;
		rc = crawl_admit(c, &b);
		if (rc != ADMIT_OK && r->err == RECORD_ERR_NONE)
			crawl_admit_failed(r, rc, "the page's links were not all queued");
	}
	if (c->cfg.links) {
		r->outlinks = pr.links;
		r->noutlinks = pr.nlinks;
		pr.links = NULL;
		pr.nlinks = 0;
	}
	parse_result_release(&pr);
	send_record(c, r);
}

void *crawl_parser_main(void *arg)
{
	struct crawl *c = arg;
	struct warc_packer *pk =
		c->cfg.warc && warc_packs(c->cfg.warc) ? warc_packer_new() : NULL;
	void *item;

	/* After a cancel the pages already fetched are still parsed: they are
	 * results, and crawl_admit() queues nothing new by then. */
	while (chan_recv(c->pages, &item, NULL) == CHAN_OK)
		parse_page(c, item, pk);
	warc_packer_free(pk);
	return NULL;
}
