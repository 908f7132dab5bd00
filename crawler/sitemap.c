/* sitemap: a sitemap file's entries, from gzip'd or plain XML (see
 * sitemap.h). One pass of libxml2's text reader; the only buffer that
 * grows with the input is the inflated copy (decode.h), capped at
 * SITEMAP_MAX_BYTES (a gzip bomb stops there). */
#include "sitemap.h"

#include <libxml/xmlreader.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "url.h"

#define LASTMOD_MAX 64    /* a W3C datetime is at most 35 bytes */
#define INFLATE_STEP (256 * 1024)

static bool is_gzip(const char *body, size_t len)
{
	return len >= 2 && (unsigned char)body[0] == 0x1f &&
	       (unsigned char)body[1] == 0x8b;
}

/* The inflated copy, doubling from INFLATE_STEP up to SITEMAP_MAX_BYTES. */
struct plain {
	char *p;
	size_t len, cap;
	bool too_large;           /* more came than SITEMAP_MAX_BYTES */
	bool nomem;
};

static bool plain_add(void *arg, const char *p, size_t n)
{
	struct plain *pl = arg;

	if (pl->len + n > SITEMAP_MAX_BYTES) {
		pl->too_large = true;
		n = SITEMAP_MAX_BYTES - pl->len;
	}
	if (pl->len + n > pl->cap) {
		size_t cap = pl->cap ? pl->cap : INFLATE_STEP;
		char *q;

		while (cap < pl->len + n)
			cap *= 2;
		if (cap > SITEMAP_MAX_BYTES)
			cap = SITEMAP_MAX_BYTES;
		if (!(q = realloc(pl->p, cap))) {
			pl->nomem = true;
			return false;
		}
		pl->p = q;
		pl->cap = cap;
	}
	memcpy(pl->p + pl->len, p, n);
	pl->len += n;
	return !pl->too_large;
}

/* Inflate a gzip body into *pl (a gzip bomb stops at SITEMAP_MAX_BYTES),
 * with what came before a broken stream kept (out->malformed).
 * Concatenated members are read as one file, as gunzip does. false: no
 * memory. */
static bool inflate_capped(const char *body, size_t len, struct plain *pl,
			   struct sitemap_result *out)
{
	enum decode_status st;
	struct decoder *d = decode_new("gzip", plain_add, pl, &st);

	if (!d)
		return false;
	st = decode_feed(d, body, len);
	if (st == DECODE_OK)
		st = decode_finish(d);
	decode_free(d);
	if (pl->nomem)
		return false;
	out->too_large = pl->too_large;
	out->malformed = st == DECODE_CORRUPT || st == DECODE_TRUNCATED;
	return true;
}

/* The part of the reader's walk this pass is in. */
struct walk {
	const char *base;         /* the sitemap's URL */
	const char *entry;        /* "url" or "sitemap", from the root */
	char *loc, *lastmod;      /* the current entry's, trimmed; malloc'd */
	struct sitemap_result *out;
};

static bool in_sitemap_ns(xmlTextReaderPtr rd)
{
	const xmlChar *ns = xmlTextReaderConstNamespaceUri(rd);

	return !ns || strstr((const char *)ns, "/schemas/sitemap/");
}

static bool named(xmlTextReaderPtr rd, const char *name)
{
	const xmlChar *n = xmlTextReaderConstLocalName(rd);

	return n && !strcmp((const char *)n, name) && in_sitemap_ns(rd);
}

/* The text of the element the reader is on, trimmed; NULL when empty or
 * out of memory (*nomem). */
static char *element_text(xmlTextReaderPtr rd, bool *nomem)
{
	xmlChar *s = xmlTextReaderReadString(rd);
	const char *p = (const char *)s;
	size_t n;
	char *t;

	if (!s)
		return NULL;
	p += strspn(p, " \t\r\n");
	n = strlen(p);
	while (n && strchr(" \t\r\n", p[n - 1]))
		n--;
	t = n ? strndup(p, n) : NULL;
	if (n && !t)
		*nomem = true;
	xmlFree(s);
	return t;
}

static enum sitemap_status add_url(struct sitemap_result *r, char *url,
				   char *lastmod)
{
	if (r->nurls == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		char **u = realloc(r->urls, cap * sizeof(*u)), **l;

		if (!u)
			return SITEMAP_NOMEM;
		r->urls = u;
		l = realloc(r->lastmods, cap * sizeof(*l));
		if (!l)
			return SITEMAP_NOMEM;
		r->lastmods = l;
		r->cap = cap;
	}
	r->urls[r->nurls] = url;
	r->lastmods[r->nurls++] = lastmod;
	return SITEMAP_OK;
}

/* An entry ends: its <loc> counts, and is kept when it is an http(s) URL. */
static enum sitemap_status end_entry(struct walk *w)
{
	char *url = NULL, *lastmod = w->lastmod;
	enum url_status st;

	w->lastmod = NULL;
	if (!w->loc)
		goto drop;
	w->out->listed++;
	st = url_resolve(w->base, w->loc, &url);
	free(w->loc);
	w->loc = NULL;
	if (st == URL_NOMEM) {
		free(lastmod);
		return SITEMAP_NOMEM;
	}
	if (st != URL_OK)
		goto drop;
	if (add_url(w->out, url, lastmod) == SITEMAP_OK)
		return SITEMAP_OK;
	free(url);
	free(lastmod);
	return SITEMAP_NOMEM;
drop:
	free(lastmod);
	return SITEMAP_OK;
}

/* The root says what the file is; anything else is not a sitemap. */
static bool root(struct walk *w, xmlTextReaderPtr rd)
{
	if (named(rd, "urlset")) {
		w->out->kind = SITEMAP_URLSET;
		w->entry = "url";
	} else if (named(rd, "sitemapindex")) {
		w->out->kind = SITEMAP_INDEX;
		w->entry = "sitemap";
	}
	return w->entry != NULL;
}

/* One element start inside the root: an entry's <loc> or <lastmod>. */
static enum sitemap_status child(struct walk *w, xmlTextReaderPtr rd, int depth)
{
	bool nomem = false;
	char **field;

	if (depth != 2 || !(named(rd, "loc") || named(rd, "lastmod")))
		return SITEMAP_OK;
	field = named(rd, "loc") ? &w->loc : &w->lastmod;
	free(*field);
	*field = element_text(rd, &nomem);
	if (field == &w->lastmod && *field && strlen(*field) > LASTMOD_MAX) {
		free(*field);
		*field = NULL;
	}
	return nomem ? SITEMAP_NOMEM : SITEMAP_OK;
}

/* One node of the walk; SITEMAP_OK to go on, *stop when the file is done
 * with (not a sitemap, or the entry limit). */
static enum sitemap_status step(struct walk *w, xmlTextReaderPtr rd, bool *stop)
{
	int type = xmlTextReaderNodeType(rd), depth = xmlTextReaderDepth(rd);

	if (type == XML_READER_TYPE_ELEMENT && depth == 0) {
		*stop = !root(w, rd);
		return SITEMAP_OK;
	}
	if (!w->entry) /* nothing but the prolog comes before the root */
		return SITEMAP_OK;
	if (type == XML_READER_TYPE_ELEMENT && depth == 1 && named(rd, w->entry)) {
		if (w->out->listed >= SITEMAP_MAX_URLS) {
			w->out->too_many = true;
			*stop = true;
		}
		return SITEMAP_OK;
	}
	if (type == XML_READER_TYPE_ELEMENT)
		return child(w, rd, depth);
	if (type == XML_READER_TYPE_END_ELEMENT && depth == 1 && named(rd, w->entry))
		return end_entry(w);
	return SITEMAP_OK;
}

static void quiet(void *arg, const char *msg, xmlParserSeverities severity,
		  xmlTextReaderLocatorPtr locator)
{
	(void)arg, (void)msg, (void)severity, (void)locator;
}

static enum sitemap_status read_xml(const char *xml, size_t len, const char *url,
				    struct sitemap_result *out)
{
	struct walk w = { .base = url, .out = out };
	enum sitemap_status rc = SITEMAP_OK;
	xmlTextReaderPtr rd;
	bool stop = false;
	int r = 0;

	/* No XML_PARSE_NOENT or DTDLOAD: no external entity is fetched or
	 * expanded; libxml2 caps internal entity amplification itself. */
	rd = xmlReaderForMemory(xml, (int)len, url, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR |
				XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (!rd)
		return SITEMAP_FAILED;
	xmlTextReaderSetErrorHandler(rd, quiet, NULL);
	while (rc == SITEMAP_OK && !stop && (r = xmlTextReaderRead(rd)) == 1)
		rc = step(&w, rd, &stop);
	if (rc == SITEMAP_OK && !stop && r < 0)
		out->malformed = true;
	free(w.loc);
	free(w.lastmod);
	xmlFreeTextReader(rd);
	return rc;
}

enum sitemap_status sitemap_read(const char *body, size_t len, const char *url,
				 struct sitemap_result *out)
{
	struct plain plain = { 0 };
	size_t n = len;
	enum sitemap_status rc;

	if (is_gzip(body, len)) {
		if (!inflate_capped(body, len, &plain, out)) {
			free(plain.p);
			return SITEMAP_NOMEM;
		}
		body = plain.p;
		n = plain.len;
	} else if (len > SITEMAP_MAX_BYTES) {
		n = SITEMAP_MAX_BYTES;
		out->too_large = true;
	}
	rc = n ? read_xml(body ? body : "", n, url, out) : SITEMAP_OK;
	free(plain.p);
	return rc;
}

void sitemap_result_release(struct sitemap_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nurls; i++) {
		free(r->urls[i]);
		free(r->lastmods[i]);
	}
	free(r->urls);
	free(r->lastmods);
	memset(r, 0, sizeof(*r));
}
