/* origin: one origin's robots.txt answer turned into a policy for its URLs
 * (see origin.h for the table). */
#include "origin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "robots.h"
#include "url.h"

struct origin {
	struct robots *robots;  /* the rules; never NULL */
	enum record_err refuse; /* error of a refused URL */
	char *why;              /* message of a refused URL, or NULL */
};

static struct robots *rules_for(int status, enum record_err err,
				const char *body, size_t len, const char *agent)
{
	if (err == RECORD_ERR_NONE && status >= 200 && status < 300)
		return robots_parse(body ? body : "", len, agent);
	/* RFC 9309 2.3.1.2: past 5 redirects robots.txt is "unavailable",
	 * like a 4xx. */
	if ((err == RECORD_ERR_NONE && status >= 300 && status < 500) ||
	    err == RECORD_ERR_TOO_MANY_REDIRECTS)
		return robots_allow_all();
	return robots_disallow_all();
}

struct origin *origin_new(int status, enum record_err err, const char *err_msg,
			  const char *body, size_t len, const char *agent)
{
	struct origin *o = calloc(1, sizeof(*o));
	char why[256] = "";

	if (!o)
		return NULL;
	o->robots = rules_for(status, err, body, len, agent);
	o->refuse = RECORD_ERR_ROBOTS;
	if (err != RECORD_ERR_NONE && err != RECORD_ERR_TOO_MANY_REDIRECTS) {
		o->refuse = err;
		snprintf(why, sizeof(why), "robots.txt unreachable: %s",
			 err_msg ? err_msg : record_err_text(err));
	} else if (err == RECORD_ERR_NONE && status >= 500) {
		snprintf(why, sizeof(why),
			 "robots.txt answered %d: the origin is off limits", status);
	}
	if (why[0])
		o->why = strdup(why);
	if (!o->robots || (why[0] && !o->why)) {
		origin_free(o);
		return NULL;
	}
	return o;
}

void origin_free(struct origin *o)
{
	if (!o)
		return;
	robots_free(o->robots);
	free(o->why);
	free(o);
}

enum record_err origin_refuses(const struct origin *o, const char *url,
			       const char **why)
{
	*why = NULL;
	if (robots_allowed(o->robots, url_path(url)))
		return RECORD_ERR_NONE;
	*why = o->why;
	return o->refuse;
}

int64_t origin_crawl_delay_ms(const struct origin *o)
{
	return robots_crawl_delay_ms(o->robots);
}

size_t origin_sitemap_urls(const struct origin *o, const char *const **urls)
{
	return robots_sitemaps(o->robots, urls);
}
