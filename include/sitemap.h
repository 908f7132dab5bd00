/* sitemap: read one sitemap file (sitemaps.org protocol 0.9): a <urlset>
 * of page URLs or a <sitemapindex> of further sitemaps, each entry's <loc>
 * with its <lastmod>.
 *
 * Pure: the crawl hands a fetched body here and admits what comes back.
 * The body is gzip when its bytes say so (1f 8b), whatever the
 * Content-Type: libcurl only undoes a Content-Encoding, not a .gz file,
 * so this inflates it (decode.h). The XML goes through libxml2's streaming
 * reader (no tree), without network or DTD loading. The protocol's limits
 * are ours: 50,000 entries and 50 MB uncompressed per file; reading stops
 * there and the result says so, keeping what came before. An XML error
 * also ends reading with what came before kept.
 *
 * Elements count in the sitemap namespace (any namespace URI holding
 * "/schemas/sitemap/", as sitemaps.org's and Google's old ones do) or in
 * none; extensions (image:loc, xhtml:link) are not entries. A <loc> is
 * trimmed of white space, entity references are decoded by the XML
 * reader, and it is resolved against the sitemap's URL and normalised;
 * only http(s) URLs are kept. Thread-safe (parse_global_init first). */
#ifndef CRAWLER_SITEMAP_H
#define CRAWLER_SITEMAP_H

#include <stdbool.h>
#include <stddef.h>

#define SITEMAP_MAX_URLS 50000
#define SITEMAP_MAX_BYTES (50u * 1024 * 1024) /* uncompressed */

enum sitemap_kind {
	SITEMAP_NONE = 0,  /* the root is neither: not a sitemap */
	SITEMAP_URLSET,    /* entries are pages */
	SITEMAP_INDEX,     /* entries are sitemaps */
};

struct sitemap_result {
	enum sitemap_kind kind;
	char **urls;          /* malloc'd canonical URLs, in file order */
	char **lastmods;      /* urls[i]'s <lastmod> as written (trimmed), or
				 NULL; malloc'd */
	size_t nurls;         /* entries in urls and lastmods */
	size_t cap;           /* allocated entries */
	size_t listed;        /* entries with a <loc>, kept or not */
	bool too_many;        /* stopped at SITEMAP_MAX_URLS entries */
	bool too_large;       /* stopped at SITEMAP_MAX_BYTES uncompressed */
	bool malformed;       /* an XML or gzip error ended reading early */
};

enum sitemap_status {
	SITEMAP_OK = 0,
	SITEMAP_NOMEM = 1,  /* out holds what was read before */
	SITEMAP_FAILED = 2, /* libxml2 could not set up a reader */
};

/* Read body (len bytes, need not be NUL-terminated) fetched from url
 * (canonical) into *out, the caller's (sitemap_result_release, also on
 * error). Not a sitemap at all is SITEMAP_OK with kind SITEMAP_NONE. */
enum sitemap_status sitemap_read(const char *body, size_t len, const char *url,
				 struct sitemap_result *out);

/* Frees what r holds; r is left zeroed. Accepts NULL. */
void sitemap_result_release(struct sitemap_result *r);

#endif
