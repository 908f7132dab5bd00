/* url_parse: the WHATWG URL Standard's basic URL parser (section 4.4) for
 * the two schemes a crawler follows, http and https, as browsers parse an
 * href: against a base, with backslashes read as slashes, tabs and newlines
 * removed, the path's dot segments ("." "..", "%2e" included) resolved,
 * each part percent-encoded with its own set and escapes kept as written.
 * The host is host_parse's.
 *
 * What comes out is the standard's serialisation without the fragment,
 * which is never sent to a server. It is url.h's canonical form. */
#ifndef CRAWLER_URL_PARSE_H
#define CRAWLER_URL_PARSE_H

#include <stddef.h>

#include "url.h"

/* A parsed http(s) URL: its serialisation, where its parts start. */
struct url_parsed {
	char *str;         /* "scheme://[userinfo@]host[:port]/path[?query]" */
	size_t len;        /* strlen(str) */
	size_t scheme_len; /* 4 (http) or 5 (https) */
	size_t path;       /* offset of the path's first '/' */
	size_t query;      /* offset of '?', or len when there is no query */
};

/* Parse in (n bytes) against base (NULL: in must be an absolute URL) into
 * *out, whose str is malloc'd and then owned by the caller. URL_SCHEME when
 * in is a URL of another scheme, URL_MALFORMED when the standard calls it a
 * failure. Any length goes; the caller bounds it. */
enum url_status url_parse(const char *in, size_t n,
			  const struct url_parsed *base,
			  struct url_parsed *out);

/* Fill u's offsets from u->str, a serialisation url_parse made (a canonical
 * URL), without parsing it again; URL_MALFORMED if it is not http(s) with
 * a host and a path. */
enum url_status url_parse_split(struct url_parsed *u);

#endif
