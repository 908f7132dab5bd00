/* response: the one struct a transfer fills in (see response.h). */
#include "response.h"

#include "warc.h"

#include <stdlib.h>
#include <string.h>

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool field_of(const char *line, size_t len, struct response_field *f)
{
	const char *colon = memchr(line, ':', len);
	const char *v, *end = line + len;

	if (!colon || colon == line || is_ows(line[0]))
		return false;
	v = colon + 1;
	while (v < end && is_ows(*v))
		v++;
	while (end > v && (is_ows(end[-1]) || end[-1] == '\r'))
		end--;
	*f = (struct response_field){ .name = line, .name_len = (size_t)(colon - line),
				      .value = v, .value_len = (size_t)(end - v) };
	return true;
}

bool response_next_field(const struct response *r, size_t *pos,
			 struct response_field *f)
{
	while (r->headers && *pos < r->headers_len) {
		const char *line = r->headers + *pos;
		const char *nl = memchr(line, '\n', r->headers_len - *pos);
		size_t len = nl ? (size_t)(nl - line) : r->headers_len - *pos;
		bool first = *pos == 0;

		*pos += len + (nl != NULL);
		if (!first && field_of(line, len, f))
			return true;
	}
	return false;
}

void response_free(struct response *r)
{
	if (!r)
		return;
	free(r->content_type);
	free(r->location);
	free(r->headers);
	free(r->body);
	free(r->request);
	free(r->raw);
	if (r->packed) {
		warc_block_release(r->packed);
		free(r->packed);
	}
	free(r->final_url);
	free(r->err_msg);
	free(r);
}
