/* handler: the table of content handlers (see handler.h). */
#include "handler.h"

#include "css.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool type_is(const char *content_type, const char *type)
{
	size_t n = strlen(type);

	return content_type && !strncasecmp(content_type, type, n) &&
	       strchr("; \t", content_type[n]);
}

static bool html_accepts(const struct response *resp)
{
	return type_is(resp->content_type, "text/html") ||
	       type_is(resp->content_type, "application/xhtml+xml");
}

static char *charset_of(const char *content_type)
{
	const char *p = content_type ? strcasestr(content_type, "charset=") : NULL;
	size_t n;

	if (!p)
		return NULL;
	p += 8;
	if (*p == '"')
		p++;
	n = strcspn(p, "\"; \t");
	return n ? strndup(p, n) : NULL;
}

static enum handler_status html_read(const struct response *resp, const char *url,
				     struct parse_result *out)
{
	char *charset;
	enum parse_status ps;

	if (parse_looks_binary(resp->body, resp->body_len))
		return HANDLER_NOT_MINE;
	charset = charset_of(resp->content_type);
	ps = parse_html(resp->body, resp->body_len, url, charset, out);
	free(charset);
	return ps == PARSE_OK ? HANDLER_OK : ps == PARSE_NOMEM ? HANDLER_NOMEM :
							       HANDLER_FAILED;
}

static bool css_accepts(const struct response *resp)
{
	return type_is(resp->content_type, "text/css");
}

/* A stylesheet's charset matters only for non-ASCII bytes in a URL, which
 * the url module takes as UTF-8, as most sheets are. */
static enum handler_status css_read(const struct response *resp, const char *url,
				    struct parse_result *out)
{
	enum css_status cs = css_parse(resp->body, resp->body_len, url, out);

	return cs == CSS_OK ? HANDLER_OK : cs == CSS_NOMEM ? HANDLER_NOMEM :
							    HANDLER_FAILED;
}

static const struct content_handler handlers[] = {
	{ .name = "html", .accepts = html_accepts, .read = html_read },
	{ .name = "css", .reads_resources = true, .accepts = css_accepts,
	  .read = css_read },
};

const struct content_handler *handler_for(const struct response *resp)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].accepts(resp))
			return &handlers[i];
	return NULL;
}
