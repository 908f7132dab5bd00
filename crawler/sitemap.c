/* sitemap: a sitemap file's entries, from gzip'd or plain XML (see
 * sitemap.h). One pass of libxml2's text reader; the only buffer that
 * grows with the input is the inflated copy, capped at SITEMAP_MAX_BYTES
 * (a gzip bomb stops there). */
#include "sitemap.h"

#include <libxml/xmlreader.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST /* next_in is const: the body is only read */
#include <zlib.h>

#include "url.h"

#define LASTMOD_MAX 64    /* a W3C datetime is at most 35 bytes */
#define INFLATE_STEP (256 * 1024)

static bool is_gzip(const char *body, size_t len)
{
	return len >= 2 && (unsigned char)body[0] == 0x1f &&
	       (unsigned char)body[1] == 0x8b;
}

/* Inflate a gzip body into *out (malloc'd, *outlen bytes), stopping at
 * SITEMAP_MAX_BYTES (*too_large) or at a broken stream (*broken), with
 * what came before kept. Concatenated members are read as one file, as
 * gunzip does. Z_OK, or Z_MEM_ERROR. */
static int inflate_capped(const char *body, size_t len, char **out,
			  size_t *outlen, bool *too_large, bool *broken)
{
	z_stream z = { .next_in = (const Bytef *)body, .avail_in = (uInt)len };
	size_t cap = 0, n = 0;
	char *buf = NULL;
	int zr;

	/* A body is at most --max-size, which a uInt holds unless it is
	 * over 4 GiB: then the first 4 GiB are more than the cap anyway. */
	if (len > UINT32_MAX)
		z.avail_in = UINT32_MAX;
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return Z_MEM_ERROR;
	do {
		if (n == cap) {
			size_t grow = cap ? cap : INFLATE_STEP;
			char *p;

			if (cap >= SITEMAP_MAX_BYTES) {
				*too_large = true;
				break;
			}
			if (cap + grow > SITEMAP_MAX_BYTES)
				grow = SITEMAP_MAX_BYTES - cap;
			p = realloc(buf, cap + grow);
			if (!p) {
				inflateEnd(&z);
				free(buf);
				return Z_MEM_ERROR;
			}
			buf = p;
			cap += grow;
		}
		z.next_out = (Bytef *)buf + n;
		z.avail_out = (uInt)(cap - n);
		zr = inflate(&z, Z_NO_FLUSH);
		n = cap - z.avail_out;
		if (zr == Z_STREAM_END && z.avail_in && is_gzip((const char *)z.next_in, z.avail_in))
			zr = inflateReset(&z);
	} while (zr == Z_OK || (zr == Z_BUF_ERROR && n == cap));
	if (zr != Z_STREAM_END && !*too_large)
		*broken = true;
	inflateEnd(&z);
	*out = buf;
	*outlen = n;
	return Z_OK;
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
	char *plain = NULL;
	size_t n = len;
	enum sitemap_status rc;

	if (is_gzip(body, len)) {
		if (inflate_capped(body, len, &plain, &n, &out->too_large,
				   &out->malformed) != Z_OK)
			return SITEMAP_NOMEM;
		body = plain;
	} else if (len > SITEMAP_MAX_BYTES) {
		n = SITEMAP_MAX_BYTES;
		out->too_large = true;
	}
	rc = n ? read_xml(body ? body : "", n, url, out) : SITEMAP_OK;
	free(plain);
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
