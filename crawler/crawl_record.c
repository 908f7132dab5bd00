/* crawl_record: the record of a leased URL, from its response. On the fetch
 * thread, once per transfer: what the transfer measured, and one pass over
 * the header block for the fields the record names (Content-Encoding,
 * ETag, Last-Modified, Link rel=canonical, X-Robots-Tag), plus every field
 * with --headers. What the page itself says comes later, on the parser
 * thread (crawl_record_page). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crawl_impl.h"
#include "frontier.h"
#include "parse.h"
#include "record.h"
#include "response.h"
#include "url.h"

/* A hostile header or page names thousands of directives: the first ones
 * are kept (the list is searched linearly). */
#define ROBOTS_MAX 32

/* The X-Robots-Tag directives that carry a value after a colon; any other
 * word before a colon names a user agent (Google's documentation of the
 * header). */
static const char *const valued[] = {
	"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview",
};

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *n)
{
	while (*n && is_ows(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_ows((*s)[*n - 1]))
		(*n)--;
}

static bool ieq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !strncasecmp(s, lit, n);
}

/* RFC 9110 5.6.2: the characters of a token, which header names are. */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void lower(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
}

static size_t strs_count(const struct record_strs *l)
{
	size_t n = 0;

	for (const char *s = record_strs_next(l, NULL); s; s = record_strs_next(l, s))
		n++;
	return n;
}

/* One directive, its name lowercased ("max-snippet: 20" keeps its value);
 * a repeat is kept once. */
static int robots_add_one(struct record_strs *l, const char *d, size_t n)
{
	char buf[256];
	const char *colon;

	trim(&d, &n);
	if (!n || n >= sizeof(buf) || memchr(d, '\0', n))
		return 0;
	memcpy(buf, d, n);
	buf[n] = '\0';
	colon = memchr(buf, ':', n);
	lower(buf, colon ? (size_t)(colon - buf) : n);
	if (record_strs_has(l, buf) || strs_count(l) >= ROBOTS_MAX)
		return 0;
	return record_strs_add(l, buf, n);
}

int crawl_robots_add(struct record_strs *l, const char *list, size_t n)
{
	while (n) {
		const char *comma = memchr(list, ',', n);
		size_t len = comma ? (size_t)(comma - list) : n;

		if (robots_add_one(l, list, len))
			return -1;
		if (!comma)
			break;
		list += len + 1;
		n -= len + 1;
	}
	return 0;
}

/* "googlebot: noindex" speaks to googlebot only; "noindex" and
 * "unavailable_after: ..." to every crawler. */
static int x_robots_tag(const struct crawl *c, struct record *r,
			const char *v, size_t n)
{
	const char *colon = memchr(v, ':', n);
	const char *word = v;
	size_t wlen = colon ? (size_t)(colon - v) : 0;

	trim(&word, &wlen);
	if (colon && wlen && !memchr(word, ',', wlen)) {
		bool directive = false;

		for (size_t i = 0; i < sizeof(valued) / sizeof(valued[0]); i++)
			directive |= ieq(word, wlen, valued[i]);
		if (!directive) {
			if (!ieq(word, wlen, c->agent))
				return 0;
			n -= (size_t)(colon + 1 - v);
			v = colon + 1;
		}
	}
	return crawl_robots_add(&r->robots, v, n);
}

/* Whether a Link header's parameters (after the <URI>, up to the comma
 * that ends the link-value) have a rel naming "canonical" (RFC 8288 3.3:
 * rel is a space-separated list, quoted or a token). */
static bool rel_canonical(const char *p, const char *end)
{
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *stop = semi ? semi : end, *eq, *val;
		size_t nlen, vlen;

		eq = memchr(p, '=', (size_t)(stop - p));
		if (eq) {
			nlen = (size_t)(eq - p);
			trim(&p, &nlen);
			val = eq + 1;
			vlen = (size_t)(stop - val);
			trim(&val, &vlen);
			if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
				val++;
				vlen -= 2;
			}
			while (ieq(p, nlen, "rel") && vlen) {
				size_t t = strcspn(val, " \t\"");

				if (t > vlen)
					t = vlen;
				if (ieq(val, t, "canonical"))
					return true;
				val += t;
				vlen -= t;
				while (vlen && is_ows(*val)) {
					val++;
					vlen--;
				}
			}
		}
		p = stop + 1;
	}
	return false;
}

/* The first canonical link of a Link header, resolved against the page;
 * only the first one counts. */
static int link_header(struct record *r, const char *v, size_t n)
{
	const char *end = v + n, *lt, *gt, *q;
	bool quoted = false;
	char *ref, *abs = NULL;

	while (!r->canonical && (lt = memchr(v, '<', (size_t)(end - v))) &&
	       (gt = memchr(lt, '>', (size_t)(end - lt)))) {
		for (q = gt + 1; q < end && (quoted || *q != ','); q++)
			quoted ^= *q == '"';
		if (rel_canonical(gt + 1, q)) {
			if (!(ref = strndup(lt + 1, (size_t)(gt - lt - 1))))
				return -1;
			if (url_resolve(r->url, ref, &abs) == URL_OK)
				r->canonical = abs;
			free(ref);
			return 0;
		}
		v = q;
	}
	return 0;
}

static int keep_first(char **dst, const struct response_field *f)
{
	if (*dst)
		return 0;
	*dst = strndup(f->value, f->value_len);
	return *dst ? 0 : -1;
}

/* --headers: the field as a lowercased name and its value. */
static int keep_field(struct record *r, const struct response_field *f)
{
	size_t at = r->headers.len;

	for (size_t i = 0; i < f->name_len; i++)
		if (!is_tchar((unsigned char)f->name[i]))
			return 0;
	if (memchr(f->value, '\0', f->value_len))
		return 0;
	if (record_strs_add(&r->headers, f->name, f->name_len))
		return -1;
	lower(r->headers.buf + at, f->name_len);
	return record_strs_add(&r->headers, f->value, f->value_len);
}

static int read_field(const struct crawl *c, struct record *r,
		      const struct response_field *f)
{
	const char *n = f->name;
	size_t len = f->name_len;

	if (r->with_headers && keep_field(r, f))
		return -1;
	if (ieq(n, len, "content-encoding"))
		return keep_first(&r->content_encoding, f);
	if (ieq(n, len, "etag"))
		return keep_first(&r->etag, f);
	if (ieq(n, len, "last-modified"))
		return keep_first(&r->last_modified, f);
	if (ieq(n, len, "link"))
		return link_header(r, f->value, f->value_len);
	if (ieq(n, len, "x-robots-tag"))
		return x_robots_tag(c, r, f->value, f->value_len);
	return 0;
}

bool crawl_robots_says(const struct record *r, const char *directive)
{
	return record_strs_has(&r->robots, directive) ||
	       record_strs_has(&r->robots, "none");
}

static enum record_via via_of(const struct frontier_lease *e)
{
	unsigned via = (e->flags & ENTRY_VIA_MASK) >> ENTRY_VIA_SHIFT;

	return via < RECORD_VIA_COUNT ? (enum record_via)via : RECORD_VIA_LINK;
}

struct record *crawl_record_new(const struct crawl *c,
				const struct frontier_lease *e)
{
	struct record *r = record_new(e->url, e->parent, e->depth);

	if (!r)
		return NULL;
	r->via = via_of(e);
	r->ticket = e->ticket;
	r->with_headers = c->cfg.record_headers;
	return r;
}

_Static_assert(RECORD_DIGEST_SIZE == DIGEST_SHA1_LEN,
	       "a record's digest is the response's, copied");

static void copy_transfer(struct record *r, const struct response *resp)
{
	const struct response_timings *t = &resp->timings;

	r->status = resp->status;
	r->bytes = resp->bytes;
	r->wire_bytes = resp->wire_bytes;
	r->http_version = resp->http_version;
	memcpy(r->ip, resp->ip, sizeof(r->ip));
	r->ip[sizeof(r->ip) - 1] = '\0';
	r->fetched_at_ms = resp->fetched_at_ms;
	r->elapsed_ms = t->total_us / 1000;
	r->timings = (struct record_timings){
		.dns_us = t->dns_us, .connect_us = t->connect_us,
		.tls_us = t->tls_us, .ttfb_us = t->ttfb_us,
		.total_us = t->total_us,
	};
}

struct record *crawl_record_of(const struct crawl *c,
			       const struct frontier_lease *e,
			       struct response *resp)
{
	struct record *r = crawl_record_new(c, e);
	struct response_field f;
	size_t pos = 0;

	if (!r)
		return NULL;
	copy_transfer(r, resp);
	if (resp->content_type && !(r->content_type = strdup(resp->content_type)))
		goto fail;
	while (response_next_field(resp, &pos, &f))
		if (read_field(c, r, &f))
			goto fail;
	r->noindex = crawl_robots_says(r, "noindex");
	r->err = resp->err;
	r->err_msg = resp->err_msg;
	resp->err_msg = NULL;
	/* The digest is of the whole body as received: one cut short (at
	 * --max-size or by an error) has none. */
	if (!resp->truncated && r->err == RECORD_ERR_NONE)
		memcpy(r->digest, resp->digest, sizeof(r->digest));
	return r;
fail:
	record_free(r);
	return NULL;
}

/* The page's own word on its canonical URL beats the Link header's. */
int crawl_record_page(struct record *r, struct parse_result *pr)
{
	r->title = pr->title;
	pr->title = NULL;
	r->description = pr->description;
	pr->description = NULL;
	r->lang = pr->lang;
	pr->lang = NULL;
	if (pr->canonical) {
		free(r->canonical);
		r->canonical = pr->canonical;
		pr->canonical = NULL;
	}
	r->hreflang = (struct record_strs){ .buf = pr->hreflang,
					    .len = pr->hreflang_len };
	pr->hreflang = NULL;
	pr->hreflang_len = 0;
	r->nlinks = (long)pr->nlinks;
	if (pr->robots && crawl_robots_add(&r->robots, pr->robots, strlen(pr->robots)))
		return -1;
	r->noindex = pr->noindex || crawl_robots_says(r, "noindex");
	return 0;
}
