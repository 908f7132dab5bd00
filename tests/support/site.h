/* site: a deterministic generated web site, the same for the integration
 * tests, `make demo` and the benchmark server.
 *
 * Page i (0 <= i < pages) lives at /p/<i>.html ("/" is page 0). Its links
 * are a pure function of (seed, i): relative ("3.html"), root-relative
 * ("/p/3.html"), absolute (origin + "/p/3.html", when origin is set),
 * fragment ("#top", "5.html#x") and dot-segment forms ("../p/./7.html"),
 * plus, on some pages, links to special paths:
 *   /missing/<k>.html  404
 *   /r/<k>             301 to /r2/<k>, which 302s to /p/<k % pages>.html
 *   /loop/a            301 to /loop/b, which 301s back to /loop/a
 *   /files/<k>.bin     200, application/octet-stream, not HTML
 * With assets, every page has a stylesheet and the images it names are
 * there:
 *   /css/<k>.css       200, text/css, url()s of /img/bg<k>.png and /img/<k>.png
 *   /img/<k>.png, /img/logo.png, /img/bg<k>.png   200, image/png
 * With encodings, a request whose Accept-Encoding names gzip or br gets
 * some pages and stylesheets in that Content-Encoding: page i in gzip when
 * i % 3 == 1, in br when i % 3 == 2; stylesheet k in gzip when k is odd.
 * Every page is reachable from page 0 (page i links to i+1) and the links
 * make cycles (pages link back to lower numbers).
 *
 * site_links gives the graph to the tests, which compute what a correct
 * crawl fetches by their own breadth-first walk over it. */
#ifndef CRAWLER_SITE_H
#define CRAWLER_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "testsrv.h"

struct site {
	uint64_t seed;
	size_t pages;       /* number of /p/ pages */
	size_t links;       /* links per page (at least 2) */
	size_t page_bytes;  /* approximate body size of a page */
	bool specials;      /* include 404s, redirects, the loop, binaries */
	bool assets;        /* stylesheets, and the images pages name */
	bool encodings;     /* gzip and br bodies (see above) */
	const char *origin; /* "http://IP:PORT" for absolute links; NULL: none */
};
/* With testsrv the port is known only once it runs: set origin after
 * testsrv_start and before the first request. */

/* Answer path for site (a testsrv_handler; arg is a struct site *). */
bool site_handler(void *arg, const char *path, struct testsrv_reply *reply,
		  void **free_body);

/* The targets of the links on page i, as root-relative paths with no
 * fragment and no dot segments (what a correct crawler resolves them to),
 * in document order. Returns the count; paths are written into out[]
 * (each at most 64 bytes) up to max entries. */
size_t site_links(const struct site *site, size_t i, char (*out)[64],
		  size_t max);

/* What path answers without fetching it: status (200, 301, 302, 404) and,
 * for a redirect, the target path in location (at most 64 bytes). */
unsigned site_status(const struct site *site, const char *path,
		     char *location);

#endif
