/* record: a fetched URL's result and its JSON line.
 *
 * jansson does the escaping; it refuses strings that are not UTF-8, and a
 * page's title or a server's header can be anything, so every string goes
 * through utf8_repair first (each byte that does not start a well-formed
 * sequence becomes U+FFFD, as WHATWG's decoder does). */
#include "record.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const err_names[] = {
#define RECORD_ERR_NAME(name, json, text) json,
	RECORD_ERR_MAP(RECORD_ERR_NAME)
#undef RECORD_ERR_NAME
};

static const char *const err_texts[] = {
#define RECORD_ERR_TEXT(name, json, text) text,
	RECORD_ERR_MAP(RECORD_ERR_TEXT)
#undef RECORD_ERR_TEXT
};

const char *record_err_name(enum record_err err)
{
	return err < RECORD_ERR_COUNT ? err_names[err] : "internal";
}

const char *record_err_text(enum record_err err)
{
	return err < RECORD_ERR_COUNT ? err_texts[err] : "unknown error";
}

int64_t record_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct record *record_new(const char *url, const char *parent, unsigned depth)
{
	struct record *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->url = strdup(url);
	r->parent = parent ? strdup(parent) : NULL;
	r->depth = depth;
	r->nlinks = -1;
	r->sitemap_urls = -1;
	if (!r->url || (parent && !r->parent)) {
		record_free(r);
		return NULL;
	}
	return r;
}

void record_free(struct record *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->noutlinks; i++)
		free(r->outlinks[i]);
	free(r->outlinks);
	free(r->url);
	free(r->parent);
	free(r->content_type);
	free(r->title);
	free(r->lastmod);
	free(r->location);
	free(r->err_msg);
	free(r);
}

void record_set_err(struct record *r, enum record_err err, const char *msg)
{
	r->err = err;
	free(r->err_msg);
	r->err_msg = msg ? strdup(msg) : NULL;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t left)
{
	size_t n;
	unsigned char lo = 0x80, hi = 0xBF;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4;
	else
		return 0;
	if (left < n)
		return 0;
	/* Overlongs and surrogates show up in the second byte's range. */
	if (s[0] == 0xE0)
		lo = 0xA0;
	else if (s[0] == 0xED)
		hi = 0x9F;
	else if (s[0] == 0xF0)
		lo = 0x90;
	else if (s[0] == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

/* A JSON string for s: valid UTF-8 as is, anything else repaired. */
static json_t *json_text(const char *s)
{
	size_t len, out = 0;
	char *fixed;
	json_t *j;

	if (!s)
		return json_null();
	len = strlen(s);
	j = json_stringn(s, len);
	if (j)
		return j;
	fixed = malloc(len * 3 + 1); /* each bad byte becomes 3 bytes */
	if (!fixed)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len((const unsigned char *)s + i, len - i);

		if (n) {
			memcpy(fixed + out, s + i, n);
			out += n;
			i += n;
		} else {
			/* U+FFFD; the result is counted, not NUL-terminated. */
			memcpy(fixed + out, "\xEF\xBF\xBD", 3); // NOLINT(bugprone-not-null-terminated-result)
			out += 3;
			i++;
		}
	}
	j = json_stringn(fixed, out);
	free(fixed);
	return j;
}

static json_t *json_time(int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char buf[40], out[48];

	gmtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, sizeof(out), "%s.%03dZ", buf, (int)(ms % 1000));
	return json_string(out);
}

static json_t *json_error(const struct record *r)
{
	if (r->err == RECORD_ERR_NONE)
		return json_null();
	return json_pack("{s:s, s:o}", "kind", record_err_name(r->err),
			 "message",
			 json_text(r->err_msg ? r->err_msg : record_err_text(r->err)));
}

static json_t *json_links(const struct record *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->noutlinks; i++)
		if (json_array_append_new(a, json_text(r->outlinks[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *record_json(const struct record *r, bool outlinks)
{
	json_t *o = json_pack(
		"{s:o, s:o, s:o, s:I, s:i, s:o, s:o, s:o}",
		"url", json_text(r->url),
		"status", r->status ? json_integer(r->status) : json_null(),
		"content_type", json_text(r->content_type),
		"bytes", (json_int_t)r->bytes,
		"depth", (int)r->depth,
		"parent", json_text(r->parent),
		"title", json_text(r->title),
		"links", r->nlinks >= 0 ? json_integer(r->nlinks) : json_null());

	if (!o)
		return NULL;
	if (outlinks && r->nlinks >= 0 &&
	    json_object_set_new(o, "outlinks", json_links(r)))
		goto fail;
	if (json_object_set_new(o, "location", json_text(r->location)) ||
	    json_object_set_new(o, "fetched_at", json_time(r->fetched_at_ms)) ||
	    json_object_set_new(o, "elapsed_ms", json_integer(r->elapsed_ms)) ||
	    json_object_set_new(o, "attempts", json_integer(r->attempts)) ||
	    (r->noindex && json_object_set_new(o, "noindex", json_true())) ||
	    json_object_set_new(o, "lastmod", json_text(r->lastmod)) ||
	    json_object_set_new(o, "sitemap_urls", r->sitemap_urls >= 0 ?
				json_integer(r->sitemap_urls) : json_null()) ||
	    json_object_set_new(o, "error", json_error(r)))
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

char *record_to_json(const struct record *r, bool outlinks, size_t *len)
{
	json_t *o = record_json(r, outlinks);
	char *line, *text;

	if (!o)
		return NULL;
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text)
		return NULL;
	*len = strlen(text);
	line = realloc(text, *len + 2);
	if (!line) {
		free(text);
		return NULL;
	}
	line[(*len)++] = '\n';
	line[*len] = '\0';
	return line;
}
