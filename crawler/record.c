/* record: a fetched URL's result and its JSON line.
 *
 * jansson does the escaping; it refuses strings that are not UTF-8, and a
 * page's title or a server's header can be anything, so every string goes
 * through utf8_repair first (each byte that does not start a well-formed
 * sequence becomes U+FFFD, as WHATWG's decoder does). */
#include "record.h"

#include "digest.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digest.h"
#include "response.h"

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

static const char *const via_names[] = {
#define RECORD_VIA_NAME(name, json) json,
	RECORD_VIA_MAP(RECORD_VIA_NAME)
#undef RECORD_VIA_NAME
};

const char *record_via_name(enum record_via via)
{
	return via < RECORD_VIA_COUNT ? via_names[via] : "link";
}

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
	free(r->warc_file);
	response_free(r->archive);
	free(r->content_encoding);
	free(r->etag);
	free(r->last_modified);
	free(r->canonical);
	free(r->description);
	free(r->lang);
	record_strs_release(&r->hreflang);
	record_strs_release(&r->robots);
	record_strs_release(&r->headers);
	free(r);
}

int record_strs_add(struct record_strs *l, const char *s, size_t n)
{
	char *buf = realloc(l->buf, l->len + n + 1);

	if (!buf)
		return ENOMEM;
	memcpy(buf + l->len, s, n);
	buf[l->len + n] = '\0';
	l->buf = buf;
	l->len += n + 1;
	return 0;
}

const char *record_strs_next(const struct record_strs *l, const char *s)
{
	if (!s)
		return l->len ? l->buf : NULL;
	s += strlen(s) + 1;
	return s < l->buf + l->len ? s : NULL;
}

bool record_strs_has(const struct record_strs *l, const char *s)
{
	for (const char *p = record_strs_next(l, NULL); p; p = record_strs_next(l, p))
		if (!strcmp(p, s))
			return true;
	return false;
}

void record_strs_release(struct record_strs *l)
{
	free(l->buf);
	l->buf = NULL;
	l->len = 0;
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

/* Where the response record is: "dd skip=offset count=length" of file is
 * one gzip member. */
static json_t *json_warc(const struct record *r)
{
	if (!r->warc_file)
		return json_null();
	return json_pack("{s:o, s:I, s:I}", "file", json_text(r->warc_file),
			 "offset", (json_int_t)r->warc_offset,
			 "length", (json_int_t)r->warc_length);
}

static json_t *json_version(int v)
{
	char buf[24];

	if (!v)
		return json_null();
	/* HTTP/2 and HTTP/3 have no minor version (RFC 9113 3). */
	if (v < 20 || v % 10)
		snprintf(buf, sizeof(buf), "%d.%d", v / 10, v % 10);
	else
		snprintf(buf, sizeof(buf), "%d", v / 10);
	return json_string(buf);
}

static json_t *json_or_null(const char *s)
{
	return s && *s ? json_text(s) : json_null();
}

/* Milliseconds with their microseconds, as a JSON number. */
static json_t *json_ms(int64_t us)
{
	return json_real((double)us / 1000.0);
}

static json_t *json_timings(const struct record *r)
{
	const struct record_timings *t = &r->timings;

	if (!r->attempts)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:o, s:o}",
			 "dns_ms", json_ms(t->dns_us),
			 "connect_ms", json_ms(t->connect_us),
			 "tls_ms", json_ms(t->tls_us),
			 "ttfb_ms", json_ms(t->ttfb_us),
			 "total_ms", json_ms(t->total_us));
}

static json_t *json_strs(const struct record_strs *l)
{
	json_t *a;

	if (!l->len)
		return json_null();
	a = json_array();
	for (const char *s = record_strs_next(l, NULL); a && s;
	     s = record_strs_next(l, s))
		if (json_array_append_new(a, json_text(s))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *json_hreflang(const struct record_strs *l)
{
	json_t *a;
	const char *lang, *url;

	if (!l->len)
		return json_null();
	a = json_array();
	for (lang = record_strs_next(l, NULL); a && lang;
	     lang = record_strs_next(l, url)) {
		if (!(url = record_strs_next(l, lang)))
			break;
		if (json_array_append_new(a, json_pack("{s:o, s:o}", "lang",
						       json_text(lang), "url",
						       json_text(url)))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* A repeated header becomes an array of its values in the order sent;
 * jansson's hash makes each step constant time. */
static int add_header(json_t *o, const char *name, const char *value)
{
	json_t *v = json_text(value), *old = json_object_get(o, name), *a;

	if (!v)
		return -1;
	if (!old)
		return json_object_set_new(o, name, v);
	if (json_is_array(old))
		return json_array_append_new(old, v);
	a = json_pack("[O, o]", old, v);
	return a ? json_object_set_new(o, name, a) : -1;
}

static json_t *json_headers(const struct record *r)
{
	const struct record_strs *l = &r->headers;
	json_t *o;
	const char *name, *value;

	if (!r->status)
		return json_null();
	o = json_object();
	for (name = record_strs_next(l, NULL); o && name;
	     name = record_strs_next(l, value)) {
		if (!(value = record_strs_next(l, name)))
			break;
		/* Names are tokens (RFC 9110 5.1), ASCII: whoever fills
		 * the list keeps no other. */
		if (add_header(o, name, value)) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* Each field in the documented order (man/crawler.1 OUTPUT); a failed
 * step is out of memory. */
static json_t *record_json(const struct record *r, bool outlinks)
{
	json_t *o = json_pack(
		"{s:o, s:s, s:o, s:o, s:o, s:o, s:I, s:I, s:o}",
		"url", json_text(r->url),
		"via", record_via_name(r->via),
		"status", r->status ? json_integer(r->status) : json_null(),
		"http_version", json_version(r->http_version),
		"ip", json_or_null(r->ip),
		"content_type", json_text(r->content_type),
		"bytes", (json_int_t)r->bytes,
		"wire_bytes", (json_int_t)r->wire_bytes,
		"digest", json_or_null(r->digest));

	if (!o)
		return NULL;
	if (json_object_set_new(o, "content_encoding", json_text(r->content_encoding)) ||
	    json_object_set_new(o, "etag", json_text(r->etag)) ||
	    json_object_set_new(o, "last_modified", json_text(r->last_modified)) ||
	    json_object_set_new(o, "depth", json_integer(r->depth)) ||
	    json_object_set_new(o, "parent", json_text(r->parent)) ||
	    json_object_set_new(o, "title", json_text(r->title)) ||
	    json_object_set_new(o, "description", json_text(r->description)) ||
	    json_object_set_new(o, "lang", json_text(r->lang)) ||
	    json_object_set_new(o, "canonical", json_text(r->canonical)) ||
	    json_object_set_new(o, "hreflang", json_hreflang(&r->hreflang)) ||
	    json_object_set_new(o, "robots", json_strs(&r->robots)) ||
	    json_object_set_new(o, "links", r->nlinks >= 0 ? json_integer(r->nlinks) :
							     json_null()))
		goto fail;
	if (outlinks && r->nlinks >= 0 &&
	    json_object_set_new(o, "outlinks", json_links(r)))
		goto fail;
	if (json_object_set_new(o, "location", json_text(r->location)) ||
	    json_object_set_new(o, "fetched_at", json_time(r->fetched_at_ms)) ||
	    json_object_set_new(o, "elapsed_ms", json_integer(r->elapsed_ms)) ||
	    json_object_set_new(o, "timings", json_timings(r)) ||
	    json_object_set_new(o, "attempts", json_integer(r->attempts)) ||
	    (r->noindex && json_object_set_new(o, "noindex", json_true())) ||
	    json_object_set_new(o, "lastmod", json_text(r->lastmod)) ||
	    json_object_set_new(o, "sitemap_urls", r->sitemap_urls >= 0 ?
				json_integer(r->sitemap_urls) : json_null()) ||
	    (r->with_headers && json_object_set_new(o, "headers", json_headers(r))) ||
	    json_object_set_new(o, "error", json_error(r)) ||
	    json_object_set_new(o, "warc", json_warc(r)))
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
	/* 15 digits: a time in ms with its microseconds and no binary
	 * residue (0.123, not 0.12300000000000001). */
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
			      JSON_REAL_PRECISION(15));
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
