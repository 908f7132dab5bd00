/* url_parse: the WHATWG basic URL parser for http(s) (url_parse.h).
 *
 * The standard's state machine (section 4.4), one function for a state or
 * two, named after them, with two shortcuts that hold for special schemes:
 * the fragment is cut off first (every state ends at '#' as it does at the
 * end of input, and the fragment is not kept), and the authority is read
 * at once (it ends at the first '/', '\' or '?'; its last '@' ends the
 * userinfo) instead of being buffered and read again.
 *
 * The URL is written as it is parsed, in the order it is serialised
 * (scheme, userinfo, host, port, path, query), into one buffer. The path is
 * a run of "/segment"s there, so shortening it cuts at its last '/'.
 * Nothing is shared between calls: threads may parse concurrently.
 *
 * Written here because no C library Debian packages parses by the WHATWG
 * standard (libcurl and uriparser follow RFC 3986).
 */
#include "url_parse.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

/* The URL being written. A failed allocation is kept as a flag and
 * reported once at the end, as curl's dynbuf does. */
struct obuf {
	char *s;
	size_t len, cap;
	bool nomem;
};

struct parser {
	const char *s; /* the input, as prepare leaves it */
	size_t n;
	const struct url_parsed *base; /* NULL: none */
	bool https;
	struct obuf out;
	size_t path;  /* where the path starts in out */
	size_t query; /* where '?' is in out; 0: no query */
};

/* Section 1.3's percent-encode sets, the ones special URLs use. */
enum pct_set { SET_SPECIAL_QUERY, SET_PATH, SET_USERINFO };

static bool in_set(unsigned char c, enum pct_set set)
{
	/* The C0 control percent-encode set, then the query set's own. */
	if (c < 0x20 || c > 0x7e || c == ' ' || c == '"' || c == '#' ||
	    c == '<' || c == '>')
		return true;
	if (set == SET_SPECIAL_QUERY)
		return c == '\'';
	if (c == '?' || c == '^' || c == '`' || c == '{' || c == '}')
		return true;
	return set == SET_USERINFO &&
	       (c == '/' || c == ':' || c == ';' || c == '=' || c == '@' ||
		(c >= '[' && c <= ']') || c == '|');
}

/* Room for extra more bytes and a NUL, or o->nomem. */
static void reserve(struct obuf *o, size_t extra)
{
	size_t cap;
	char *s;

	if (o->nomem || o->len + extra < o->cap)
		return;
	cap = o->cap * 2 > o->len + extra ? o->cap * 2 : o->len + extra + 1;
	s = realloc(o->s, cap);
	if (!s) {
		o->nomem = true;
		return;
	}
	o->s = s;
	o->cap = cap;
}

static void put(struct obuf *o, const char *s, size_t n)
{
	reserve(o, n);
	if (o->nomem)
		return;
	memcpy(o->s + o->len, s, n);
	o->len += n;
}

static void put_char(struct obuf *o, char c)
{
	put(o, &c, 1);
}

/* s (n bytes) with the bytes of set percent-encoded. Byte by byte: UTF-8
 * comes out as the standard's UTF-8 percent-encoding, and bytes that are
 * not UTF-8 as they were sent (a browser would have decoded the page and
 * made them U+FFFD first; a Location header or a seed has no charset). A
 * '%' is never encoded: an escape, or a stray '%', stays as written. */
static void put_encoded(struct obuf *o, const char *s, size_t n,
			enum pct_set set)
{
	static const char hex[] = "0123456789ABCDEF";

	reserve(o, 3 * n);
	if (o->nomem)
		return;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (in_set(c, set)) {
			o->s[o->len++] = '%';
			o->s[o->len++] = hex[c >> 4];
			o->s[o->len++] = hex[c & 15];
		} else {
			o->s[o->len++] = (char)c;
		}
	}
}

static bool is_slash(char c)
{
	return c == '/' || c == '\\';
}

static bool is_tab_or_newline(char c)
{
	return c == '\t' || c == '\n' || c == '\r';
}

/* Section 4.4, steps 1-3 of the basic URL parser: no C0 controls or spaces
 * at either end, no tabs or newlines anywhere; then cut at the fragment.
 * *copy is what to free when the input had to be copied. */
static enum url_status prepare(struct parser *p, const char *in, size_t n,
			       char **copy)
{
	size_t i = 0, j = 0;
	const char *hash;

	*copy = NULL;
	while (n > 0 && (unsigned char)in[n - 1] <= ' ')
		n--;
	while (n > 0 && (unsigned char)*in <= ' ') {
		in++;
		n--;
	}
	while (i < n && !is_tab_or_newline(in[i]))
		i++;
	if (i < n) {
		*copy = malloc(n);
		if (!*copy)
			return URL_NOMEM;
		memcpy(*copy, in, n);
		for (j = i; i < n; i++)
			if (!is_tab_or_newline((*copy)[i]))
				(*copy)[j++] = (*copy)[i];
		in = *copy;
		n = j;
	}
	hash = memchr(in, '#', n);
	p->s = in;
	p->n = hash ? (size_t)(hash - in) : n;
	return URL_OK;
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Section 4.4, scheme start and scheme states: the length of the scheme s
 * starts with (without its ':'), or 0 if it starts with none. */
static size_t scheme_len(const char *s, size_t n)
{
	size_t i = 1;

	if (n == 0 || !is_alpha(s[0]))
		return 0;
	while (i < n && (is_alpha(s[i]) || (s[i] >= '0' && s[i] <= '9') ||
			 s[i] == '+' || s[i] == '-' || s[i] == '.'))
		i++;
	return i < n && s[i] == ':' ? i : 0;
}

/* Whether the scheme s (n bytes, any case) is http or https. */
static bool is_http(const char *s, size_t n, bool *https)
{
	static const char name[] = "https";

	if (n != 4 && n != 5)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((s[i] | 0x20) != name[i])
			return false;
	*https = n == 5;
	return true;
}

/* How many dots segment g (len bytes) is made of, each "." or "%2e" in
 * any case (section 4.1: single- and double-dot segments); 0 if anything
 * else is in it. */
static int dots(const char *g, size_t len)
{
	int k = 0;

	for (size_t i = 0; i < len; k++) {
		if (g[i] == '.')
			i++;
		else if (len - i >= 3 && g[i] == '%' && g[i + 1] == '2' &&
			 (g[i + 2] | 0x20) == 'e')
			i += 3;
		else
			return 0;
	}
	return k;
}

/* Section 4.1, shorten a URL's path: its last segment goes. */
static void shorten(struct parser *p)
{
	size_t i = p->out.len;

	if (i == p->path)
		return;
	while (p->out.s[--i] != '/')
		;
	p->out.len = i;
}

/* The segment that starts at out[seg] has ended, at a slash when more
 * follow: "." and ".." (section 4.4, path state, steps 1.2-1.4). */
static void end_segment(struct parser *p, size_t seg, bool more)
{
	int k = dots(p->out.s + seg, p->out.len - seg);

	if (k != 1 && k != 2)
		return;
	p->out.len = seg - 1; /* the segment and its '/' */
	if (k == 2)
		shorten(p);
	if (!more)
		put_char(&p->out, '/');
}

/* Section 4.4, query state, for a special scheme. */
static enum url_status query(struct parser *p, size_t i)
{
	p->query = p->out.len;
	put_char(&p->out, '?');
	put_encoded(&p->out, p->s + i, p->n - i, SET_SPECIAL_QUERY);
	return URL_OK;
}

/* Section 4.4, path state, from s[i]: segments end at '/' or '\', the
 * path at '?' or the end. */
static enum url_status path(struct parser *p, size_t i)
{
	size_t end;

	for (;;) {
		size_t seg;

		for (end = i; end < p->n && !is_slash(p->s[end]) && p->s[end] != '?';)
			end++;
		put_char(&p->out, '/');
		seg = p->out.len;
		put_encoded(&p->out, p->s + i, end - i, SET_PATH);
		if (p->out.nomem)
			return URL_NOMEM;
		end_segment(p, seg, end < p->n && is_slash(p->s[end]));
		if (end == p->n || p->s[end] == '?')
			break;
		i = end + 1;
	}
	return end < p->n ? query(p, end + 1) : URL_OK;
}

/* Section 4.4, port state, on s[from, to): digits, at most 65535; the
 * scheme's default is not written. */
static enum url_status port(struct parser *p, size_t from, size_t to)
{
	unsigned long v = 0;
	char buf[8];

	if (from == to)
		return URL_OK;
	for (size_t i = from; i < to; i++) {
		if (p->s[i] < '0' || p->s[i] > '9')
			return URL_MALFORMED;
		v = v * 10 + (unsigned long)(p->s[i] - '0');
		if (v > 65535)
			return URL_MALFORMED;
	}
	if (v != (p->https ? 443u : 80u))
		put(&p->out, buf, (size_t)snprintf(buf, sizeof(buf), ":%lu", v));
	return URL_OK;
}

/* Section 4.4, host state, on s[from, to): the host ends at a ':' outside
 * brackets, where the port starts. */
static enum url_status host_port(struct parser *p, size_t from, size_t to)
{
	size_t colon = from, len;
	bool brackets = false;
	enum host_status hs;
	char *host;

	for (; colon < to; colon++) {
		if (p->s[colon] == ':' && !brackets)
			break;
		if (p->s[colon] == '[')
			brackets = true;
		else if (p->s[colon] == ']')
			brackets = false;
	}
	if (colon == from)
		return URL_MALFORMED; /* a special URL has a host */
	host = host_parse(p->s + from, colon - from, &len, &hs);
	if (!host)
		return hs == HOST_NOMEM ? URL_NOMEM : URL_MALFORMED;
	put(&p->out, host, len);
	free(host);
	return colon < to ? port(p, colon + 1, to) : URL_OK;
}

/* The userinfo s[from, to), before the authority's last '@': the username
 * up to its first ':', the password after. Empty ones are not written. */
static void userinfo(struct parser *p, size_t from, size_t to)
{
	size_t colon = from, mark = p->out.len;

	while (colon < to && p->s[colon] != ':')
		colon++;
	put_encoded(&p->out, p->s + from, colon - from, SET_USERINFO);
	if (colon + 1 < to) {
		put_char(&p->out, ':');
		put_encoded(&p->out, p->s + colon + 1, to - colon - 1,
			    SET_USERINFO);
	}
	if (p->out.len > mark)
		put_char(&p->out, '@');
}

/* Section 4.4, special authority ignore slashes, authority and host
 * states from s[i], then the path start state, which takes one slash. */
static enum url_status authority(struct parser *p, size_t i)
{
	size_t end, at = SIZE_MAX;
	enum url_status st;

	put(&p->out, p->https ? "https://" : "http://", p->https ? 8 : 7);
	while (i < p->n && is_slash(p->s[i]))
		i++;
	for (end = i; end < p->n && !is_slash(p->s[end]) && p->s[end] != '?'; end++)
		if (p->s[end] == '@')
			at = end;
	if (at != SIZE_MAX) {
		userinfo(p, i, at);
		i = at + 1;
	}
	st = host_port(p, i, end);
	if (st != URL_OK)
		return st;
	p->path = p->out.len;
	return path(p, end < p->n && is_slash(p->s[end]) ? end + 1 : end);
}

/* Section 4.4, relative slash state, from s[i] (after one slash): another
 * one starts an authority; else the base's authority stays. */
static enum url_status relative_slash(struct parser *p, size_t i)
{
	if (i < p->n && is_slash(p->s[i]))
		return authority(p, i);
	put(&p->out, p->base->str, p->base->path);
	p->path = p->out.len;
	return path(p, i);
}

/* Section 4.4, relative state, from s[i]: what does not start with a
 * slash keeps the base's path, less its last segment unless only a query
 * or nothing follows. */
static enum url_status relative(struct parser *p, size_t i)
{
	const struct url_parsed *b = p->base;

	p->https = b->scheme_len == 5;
	if (i < p->n && is_slash(p->s[i]))
		return relative_slash(p, i + 1);
	put(&p->out, b->str, i < p->n ? b->query : b->len);
	p->path = b->path;
	if (i == p->n) {
		p->query = b->query < b->len ? b->query : 0;
		return URL_OK;
	}
	if (p->s[i] == '?')
		return query(p, i + 1);
	shorten(p);
	return path(p, i);
}

/* From the scheme's ':' at s[i - 1]: the special relative or authority
 * state when the base has the same scheme, else the special authority
 * slashes state. Both go to an authority after "//". */
static enum url_status after_scheme(struct parser *p, size_t i)
{
	const struct url_parsed *b = p->base;
	bool slashes = i + 1 < p->n && p->s[i] == '/' && p->s[i + 1] == '/';

	if (b && b->scheme_len == (p->https ? 5u : 4u) && !slashes)
		return relative(p, i);
	return authority(p, i);
}

static enum url_status parse(struct parser *p)
{
	size_t sl = scheme_len(p->s, p->n);

	if (sl == 0)
		return p->base ? relative(p, 0) : URL_MALFORMED;
	if (!is_http(p->s, sl, &p->https))
		return URL_SCHEME;
	return after_scheme(p, sl + 1);
}

enum url_status url_parse(const char *in, size_t n,
			  const struct url_parsed *base,
			  struct url_parsed *out)
{
	struct parser p = { .base = base };
	char *copy;
	enum url_status st = prepare(&p, in, n, &copy);

	memset(out, 0, sizeof(*out));
	if (st == URL_OK)
		reserve(&p.out, (base ? base->len : 0) + 3 * p.n + 16);
	if (st == URL_OK && !p.out.nomem)
		st = parse(&p);
	if (st == URL_OK && p.out.nomem)
		st = URL_NOMEM;
	free(copy);
	if (st != URL_OK) {
		free(p.out.s);
		return st;
	}
	p.out.s[p.out.len] = '\0';
	*out = (struct url_parsed){
		.str = p.out.s, .len = p.out.len, .scheme_len = p.https ? 5 : 4,
		.path = p.path, .query = p.query ? p.query : p.out.len,
	};
	return URL_OK;
}

enum url_status url_parse_split(struct url_parsed *u)
{
	const char *s = u->str, *q;

	if (!strncmp(s, "http://", 7))
		u->scheme_len = 4;
	else if (!strncmp(s, "https://", 8))
		u->scheme_len = 5;
	else
		return URL_MALFORMED;
	u->len = strlen(s);
	u->path = u->scheme_len + 3 + strcspn(s + u->scheme_len + 3, "/?");
	if (s[u->path] != '/')
		return URL_MALFORMED;
	q = strchr(s + u->path, '?');
	u->query = q ? (size_t)(q - s) : u->len;
	return URL_OK;
}
