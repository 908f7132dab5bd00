/* handler: which code reads a response's body, picked from a table after
 * the response is in (the fetch layer decides nothing about content).
 *
 * A handler says, from the headers alone, whether it wants a body (so a
 * body nobody reads is never kept), and reads the body into links and the
 * fields of the record. Today: HTML, and CSS (a stylesheet's url()s and
 * @imports). A sitemap is not in the table: it is known by how its URL was
 * found (robots.txt, --sitemap, an index), not by its headers, and
 * crawl_sitemap.c reads it. A handler's read runs on a parser thread and
 * keeps no state between calls. */
#ifndef CRAWLER_HANDLER_H
#define CRAWLER_HANDLER_H

#include <stdbool.h>

#include "parse.h"
#include "response.h"

enum handler_status {
	HANDLER_OK = 0,
	HANDLER_NOT_MINE = 1, /* the body is not what the headers said */
	HANDLER_NOMEM = 2,    /* out holds what was read before */
	HANDLER_FAILED = 3,   /* the reader could not start */
};

struct content_handler {
	const char *name;
	/* Whether it also reads a body fetched as a resource: a stylesheet
	 * is one, and what it links to is found only by reading it. */
	bool reads_resources;
	/* Whether this handler reads a 2xx body with these headers. */
	bool (*accepts)(const struct response *resp);
	/* Read resp's body, fetched from url (canonical), into *out (the
	 * caller's: parse_result_release, also on error). */
	enum handler_status (*read)(const struct response *resp, const char *url,
				    struct parse_result *out);
};

/* The handler for a 2xx response with these headers, or NULL when none
 * reads it. */
const struct content_handler *handler_for(const struct response *resp);

#endif
