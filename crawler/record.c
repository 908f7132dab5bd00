/* record: a fetched URL's result and its JSON line, written by jsonw
 * (which makes any string valid UTF-8: a page's title or a server's header
 * can be anything). */
#include "record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uthash.h>

#include "jsonw.h"
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

static void put_time(struct jsonw *w, int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char buf[40], out[48];

	gmtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, sizeof(out), "%s.%03dZ", buf, (int)(ms % 1000));
	jsonw_str(w, out);
}

static void put_error(struct jsonw *w, const struct record *r)
{
	if (r->err == RECORD_ERR_NONE) {
		jsonw_null(w);
		return;
	}
	jsonw_begin(w, '{');
	jsonw_key(w, "kind");
	jsonw_str(w, record_err_name(r->err));
	jsonw_key(w, "message");
	jsonw_str(w, r->err_msg ? r->err_msg : record_err_text(r->err));
	jsonw_end(w, '}');
}

static void put_links(struct jsonw *w, const struct record *r)
{
	jsonw_begin(w, '[');
	for (size_t i = 0; i < r->noutlinks; i++)
		jsonw_str(w, r->outlinks[i]);
	jsonw_end(w, ']');
}

/* Where the response record is: "dd skip=offset count=length" of file is
 * one gzip member. */
static void put_warc(struct jsonw *w, const struct record *r)
{
	if (!r->warc_file) {
		jsonw_null(w);
		return;
	}
	jsonw_begin(w, '{');
	jsonw_key(w, "file");
	jsonw_str(w, r->warc_file);
	jsonw_key(w, "offset");
	jsonw_int(w, (int64_t)r->warc_offset);
	jsonw_key(w, "length");
	jsonw_int(w, (int64_t)r->warc_length);
	jsonw_end(w, '}');
}

static void put_version(struct jsonw *w, int v)
{
	char buf[24];

	if (!v) {
		jsonw_null(w);
		return;
	}
	/* HTTP/2 and HTTP/3 have no minor version (RFC 9113 3). */
	if (v < 20 || v % 10)
		snprintf(buf, sizeof(buf), "%d.%d", v / 10, v % 10);
	else
		snprintf(buf, sizeof(buf), "%d", v / 10);
	jsonw_str(w, buf);
}

/* An empty string is as good as none. */
static void put_nonempty(struct jsonw *w, const char *s)
{
	jsonw_str(w, s && *s ? s : NULL);
}

static void put_count(struct jsonw *w, long n)
{
	if (n >= 0)
		jsonw_int(w, n);
	else
		jsonw_null(w);
}

/* Milliseconds with their microseconds, as a JSON number. */
static void put_ms(struct jsonw *w, const char *key, int64_t us)
{
	jsonw_key(w, key);
	jsonw_real(w, (double)us / 1000.0);
}

static void put_timings(struct jsonw *w, const struct record *r)
{
	const struct record_timings *t = &r->timings;

	if (!r->attempts) {
		jsonw_null(w);
		return;
	}
	jsonw_begin(w, '{');
	put_ms(w, "dns_ms", t->dns_us);
	put_ms(w, "connect_ms", t->connect_us);
	put_ms(w, "tls_ms", t->tls_us);
	put_ms(w, "ttfb_ms", t->ttfb_us);
	put_ms(w, "total_ms", t->total_us);
	jsonw_end(w, '}');
}

static void put_strs(struct jsonw *w, const struct record_strs *l)
{
	if (!l->len) {
		jsonw_null(w);
		return;
	}
	jsonw_begin(w, '[');
	for (const char *s = record_strs_next(l, NULL); s; s = record_strs_next(l, s))
		jsonw_str(w, s);
	jsonw_end(w, ']');
}

static void put_hreflang(struct jsonw *w, const struct record_strs *l)
{
	const char *lang, *url;

	if (!l->len) {
		jsonw_null(w);
		return;
	}
	jsonw_begin(w, '[');
	for (lang = record_strs_next(l, NULL); lang; lang = record_strs_next(l, url)) {
		if (!(url = record_strs_next(l, lang)))
			break;
		jsonw_begin(w, '{');
		jsonw_key(w, "lang");
		jsonw_str(w, lang);
		jsonw_key(w, "url");
		jsonw_str(w, url);
		jsonw_end(w, '}');
	}
	jsonw_end(w, ']');
}

/* One header field, chained to the next of its name. */
struct field_ref {
	const char *name, *value;
	size_t next;        /* the next field of this name, if not last */
	size_t last;        /* on a name's first field: its chain's end */
	bool later;         /* not the first of its name */
	UT_hash_handle hh;
};

/* Each name's fields chained from its first, in one pass: a hostile
 * server's thousands of headers cost no more than they weigh. */
static struct field_ref *header_refs(const struct record_strs *l, size_t *n)
{
	struct field_ref *refs = NULL, *names = NULL, *first;
	size_t cap = 0;
	const char *name, *value;

	*n = 0;
	for (name = record_strs_next(l, NULL); name; name = record_strs_next(l, value)) {
		if (!(value = record_strs_next(l, name)))
			break;
		if (*n == cap) {
			struct field_ref *more;

			cap = cap ? cap * 2 : 16;
			if (!(more = realloc(refs, cap * sizeof(*refs))))
				goto nomem;
			refs = more;
		}
		refs[(*n)++] = (struct field_ref){ .name = name, .value = value };
	}
	for (size_t i = 0; i < *n; i++) {
		struct field_ref *f = &refs[i];

		HASH_FIND_STR(names, f->name, first);
		if (first) {
			refs[first->last].next = i;
			first->last = i;
			f->later = true;
		} else {
			f->last = i;
			HASH_ADD_KEYPTR(hh, names, f->name, strlen(f->name), f);
		}
	}
	HASH_CLEAR(hh, names);
	return refs ? refs : calloc(1, sizeof(*refs));
nomem:
	free(refs);
	return NULL;
}

/* A repeated header becomes an array of its values in the order sent, at
 * the place of its first. Names are tokens (RFC 9110 5.1), lowercased
 * ASCII: whoever fills the list keeps no other. */
static void put_headers(struct jsonw *w, const struct record *r)
{
	struct field_ref *refs;
	size_t n;

	if (!r->status) {
		jsonw_null(w);
		return;
	}
	if (!(refs = header_refs(&r->headers, &n))) {
		w->failed = true;
		return;
	}
	jsonw_begin(w, '{');
	for (size_t i = 0; i < n; i++) {
		const struct field_ref *f = &refs[i];

		if (f->later)
			continue;
		jsonw_key(w, f->name);
		if (f->last == i) {
			jsonw_str(w, f->value);
			continue;
		}
		jsonw_begin(w, '[');
		for (size_t k = i;; k = refs[k].next) {
			jsonw_str(w, refs[k].value);
			if (k == f->last)
				break;
		}
		jsonw_end(w, ']');
	}
	jsonw_end(w, '}');
	free(refs);
}

static void put_transfer(struct jsonw *w, const struct record *r)
{
	jsonw_key(w, "url");
	jsonw_str(w, r->url);
	jsonw_key(w, "via");
	jsonw_str(w, record_via_name(r->via));
	jsonw_key(w, "status");
	put_count(w, r->status ? r->status : -1);
	jsonw_key(w, "http_version");
	put_version(w, r->http_version);
	jsonw_key(w, "ip");
	put_nonempty(w, r->ip);
	jsonw_key(w, "content_type");
	jsonw_str(w, r->content_type);
	jsonw_key(w, "bytes");
	jsonw_int(w, (int64_t)r->bytes);
	jsonw_key(w, "wire_bytes");
	jsonw_int(w, (int64_t)r->wire_bytes);
	jsonw_key(w, "digest");
	put_nonempty(w, r->digest);
	jsonw_key(w, "content_encoding");
	jsonw_str(w, r->content_encoding);
	jsonw_key(w, "etag");
	jsonw_str(w, r->etag);
	jsonw_key(w, "last_modified");
	jsonw_str(w, r->last_modified);
	jsonw_key(w, "depth");
	jsonw_int(w, r->depth);
	jsonw_key(w, "parent");
	jsonw_str(w, r->parent);
}

static void put_page(struct jsonw *w, const struct record *r, bool outlinks)
{
	jsonw_key(w, "title");
	jsonw_str(w, r->title);
	jsonw_key(w, "description");
	jsonw_str(w, r->description);
	jsonw_key(w, "lang");
	jsonw_str(w, r->lang);
	jsonw_key(w, "canonical");
	jsonw_str(w, r->canonical);
	jsonw_key(w, "hreflang");
	put_hreflang(w, &r->hreflang);
	jsonw_key(w, "robots");
	put_strs(w, &r->robots);
	jsonw_key(w, "links");
	put_count(w, r->nlinks);
	if (outlinks && r->nlinks >= 0) {
		jsonw_key(w, "outlinks");
		put_links(w, r);
	}
	jsonw_key(w, "location");
	jsonw_str(w, r->location);
}

static void put_outcome(struct jsonw *w, const struct record *r)
{
	jsonw_key(w, "fetched_at");
	put_time(w, r->fetched_at_ms);
	jsonw_key(w, "elapsed_ms");
	jsonw_int(w, r->elapsed_ms);
	jsonw_key(w, "timings");
	put_timings(w, r);
	jsonw_key(w, "attempts");
	jsonw_int(w, r->attempts);
	if (r->noindex) {
		jsonw_key(w, "noindex");
		jsonw_bool(w, true);
	}
	jsonw_key(w, "lastmod");
	jsonw_str(w, r->lastmod);
	jsonw_key(w, "sitemap_urls");
	put_count(w, r->sitemap_urls);
	if (r->with_headers) {
		jsonw_key(w, "headers");
		put_headers(w, r);
	}
	jsonw_key(w, "error");
	put_error(w, r);
	jsonw_key(w, "warc");
	put_warc(w, r);
}

/* Each field in the documented order (man/crawler.1 OUTPUT). */
char *record_to_json(const struct record *r, bool outlinks, size_t *len)
{
	struct jsonw w = JSONW_INIT;

	jsonw_begin(&w, '{');
	put_transfer(&w, r);
	put_page(&w, r, outlinks);
	put_outcome(&w, r);
	jsonw_end(&w, '}');
	return jsonw_take_line(&w, len);
}
