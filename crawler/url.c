/* url: resolve links against a page and put URLs in canonical form.
 *
 * The general path: every reference is prepared here (whitespace, fragment,
 * scheme check, RFC 3986 section 5.2 merge with the base, percent-encoding
 * of the path and query) into one absolute URL, which libcurl's URL API
 * (CURLU) parses: it removes dot segments, lowercases the scheme, writes an
 * empty path as "/" and drops the default port; the host is lowercased and
 * made punycode here. Most links on a page are plain paths or URLs on the
 * page's own origin, and those take a shortcut (resolve_fast) that does the
 * same in one buffer without CURLU, at a third of the cost. Nothing is
 * shared between calls, so threads may resolve concurrently.
 */
#include "url.h"

#include <curl/curl.h>
#include <idn2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct url_base {
	char *str; /* the base in canonical form */
	/* Where str's parts end: the origin ("scheme://authority"), the
	 * directory (through the path's last '/') and the path (before any
	 * '?'). A relative reference keeps one of them (RFC 3986 5.2.2). */
	size_t origin, dir, path;
	bool shortcut; /* resolve_fast may take references against it */
};

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

static unsigned char to_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

/* RFC 3986 section 2.3. */
static bool is_unreserved(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/* Case-insensitive in ASCII only, whatever the locale. */
static bool ascii_case_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (to_lower(a[i]) != to_lower(b[i]))
			return false;
	return true;
}

/* Length of the RFC 3986 section 3.1 scheme s starts with (without the ':'),
 * 0 if it has none. Checked here rather than by curl 7.88, which also takes
 * "1a:b" for a scheme and gives up on schemes longer than 40 bytes. */
static size_t scheme_len(const char *s)
{
	size_t i = 0;

	if (!is_alpha(s[0]))
		return 0;
	while (is_alpha(s[++i]) || is_digit(s[i]) || s[i] == '+' ||
	       s[i] == '-' || s[i] == '.')
		;
	return s[i] == ':' ? i : 0;
}

static bool is_http_scheme(const char *s, size_t n)
{
	return (n == 4 && ascii_case_eq(s, "http", 4)) ||
	       (n == 5 && ascii_case_eq(s, "https", 5));
}

/* The WHATWG URL parser strips leading and trailing C0 controls and spaces
 * from an href, as browsers do: where ref starts and how long it is then;
 * false if it is over URL_MAX_LEN. */
static bool trim_space(const char **ref, size_t *n)
{
	const char *r = *ref;
	size_t len = strnlen(r, URL_MAX_LEN + 1);

	if (len > URL_MAX_LEN)
		return false;
	while (len > 0 && (unsigned char)r[len - 1] <= ' ')
		len--;
	while (len > 0 && (unsigned char)*r <= ' ') {
		r++;
		len--;
	}
	*ref = r;
	*n = len;
	return true;
}

/* ref trimmed, then with tabs and newlines removed anywhere (WHATWG again)
 * and the fragment cut: the canonical form has none, and curl 7.88
 * resolves "#x" to the base's directory instead of the base. */
static enum url_status strip_ref(const char *ref, char **out)
{
	size_t n, j = 0;
	char *s;

	if (!trim_space(&ref, &n))
		return URL_TOO_LONG;
	s = malloc(n + 1);
	if (!s)
		return URL_NOMEM;
	for (size_t i = 0; i < n && ref[i] != '#'; i++)
		if (ref[i] != '\t' && ref[i] != '\n' && ref[i] != '\r')
			s[j++] = ref[i];
	s[j] = '\0';
	*out = s;
	return URL_OK;
}

/* Decide whether the stripped s may be handed to curl: *skip is set to how
 * much of s to drop and *relative to whether the rest is a relative
 * reference. base is the canonical base, or NULL if s must be absolute. */
static enum url_status check_scheme(const char *s, const char *base,
				    size_t *skip, bool *relative)
{
	size_t n = scheme_len(s);

	*skip = 0;
	*relative = n == 0;
	if (n == 0)
		return base ? URL_OK : URL_MALFORMED;
	if (!is_http_scheme(s, n))
		return URL_SCHEME;
	/* RFC 3986 section 5.2.2 non-strict mode, as browsers do it: "http:g"
	 * against an http base is the relative "g". curl 7.88 rejects it. */
	if (base && base[n] == ':' && ascii_case_eq(s, base, n) &&
	    strncmp(s + n + 1, "//", 2) != 0) {
		*skip = n + 1;
		*relative = true;
	}
	return URL_OK;
}

/* Where the absolute s's path starts: after the scheme and the authority.
 * The authority is left to curl (host names may be IDN). */
static size_t path_start(const char *s)
{
	size_t i = scheme_len(s) + 1;

	if (s[i] == '/' && s[i + 1] == '/')
		i += 2 + strcspn(s + i + 2, "/?");
	return i;
}

static size_t put_escape(char *dst, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";

	dst[0] = '%';
	dst[1] = hex[c >> 4];
	dst[2] = hex[c & 15];
	return 3;
}

/* RFC 3986 section 6.2.2.1-2, done before curl removes dot segments so
 * that "%2E%2E" goes too. Spaces, controls and non-ASCII bytes are
 * percent-encoded as browsers do; curl 7.88 rejects them in absolute URLs
 * and escapes them in lowercase hex in relative ones. */
size_t url_escape_path(char *dst, const char *src, size_t n)
{
	const unsigned char *p = (const unsigned char *)src, *end = p + n;
	size_t j = 0;

	for (; p < end; p++) {
		if (*p == '%' && end - p > 2 && is_hex(p[1]) && is_hex(p[2])) {
			unsigned char c = hex_value(p[1]) << 4;

			c |= hex_value(p[2]);
			p += 2;
			if (is_unreserved(c))
				dst[j++] = c;
			else
				j += put_escape(dst + j, c);
		} else if (*p <= ' ' || *p >= 0x7f || *p == '%') {
			/* A '%' that starts no escape is written %25, so that
			 * decoding cannot make a new escape ("%4%42" is not
			 * "%4B"): the canonical form stays canonical. */
			j += put_escape(dst + j, *p);
		} else {
			dst[j++] = *p;
		}
	}
	dst[j] = '\0';
	return j;
}

/* The absolute s with its path and query through put_tail. */
static enum url_status encode(const char *s, char **out)
{
	size_t head = path_start(s);
	char *d = malloc(head + 3 * strlen(s + head) + 1);

	if (!d)
		return URL_NOMEM;
	memcpy(d, s, head);
	url_escape_path(d + head, s + head, strlen(s + head));
	*out = d;
	return URL_OK;
}

/* How much of b's canonical form the relative reference s keeps (RFC 3986
 * section 5.2.2): all of it for "", its scheme for "//host", its origin
 * for "/path", its path for "?query", its directory for a relative path. */
static size_t base_kept(const struct url_base *b, const char *s)
{
	if (s[0] == '\0')
		return strlen(b->str);
	if (s[0] == '/' && s[1] == '/')
		return scheme_len(b->str) + 1;
	if (s[0] == '/')
		return b->origin;
	if (s[0] == '?')
		return b->path;
	return b->dir;
}

/* The target of the relative s as one absolute URL, dot segments left for
 * curl to remove. Merged here because curl 7.88 merges a relative
 * reference differently from RFC 3986 ("./?x" loses its '/', "" and "#x"
 * give the directory, "1a:b" reads as a scheme). */
static enum url_status merge(const struct url_base *b, const char *s,
			     char **out)
{
	size_t keep = base_kept(b, s), n = strlen(s) + 1;

	*out = malloc(keep + n);
	if (!*out)
		return URL_NOMEM;
	memcpy(*out, b->str, keep);
	memcpy(*out + keep, s, n);
	return URL_OK;
}

/* Turn ref into the absolute URL curl is to parse (see strip_ref,
 * check_scheme, merge, encode). b is the base, or NULL if ref must be
 * absolute. */
static enum url_status prepare(const char *ref, const struct url_base *b,
			       char **out)
{
	size_t skip;
	bool relative;
	char *s, *abs = NULL;
	enum url_status st;

	*out = NULL;
	st = strip_ref(ref, &s);
	if (st != URL_OK)
		return st;
	st = check_scheme(s, b ? b->str : NULL, &skip, &relative);
	/* check_scheme calls a reference relative only when there is a base;
	 * the test says so to the static analysers. */
	if (st == URL_OK && relative)
		st = b ? merge(b, s + skip, &abs) : URL_MALFORMED;
	if (st == URL_OK)
		st = encode(abs ? abs : s, out);
	free(abs);
	free(s);
	return st;
}

static enum url_status from_curl(CURLUcode rc)
{
	switch (rc) {
	case CURLUE_OK:
		return URL_OK;
	case CURLUE_OUT_OF_MEMORY:
		return URL_NOMEM;
	case CURLUE_UNSUPPORTED_SCHEME:
		return URL_SCHEME;
	default:
		return URL_MALFORMED;
	}
}

static enum url_status dup_str(const char *s, char **out)
{
	size_t n = strlen(s) + 1;

	*out = malloc(n);
	if (!*out)
		return URL_NOMEM;
	memcpy(*out, s, n);
	return URL_OK;
}

/* Copy curl's output with the host lowercased (RFC 3986 section 6.2.2.1);
 * curl 7.88 keeps the host's case. Non-ASCII host bytes are left alone. */
static enum url_status copy_canonical(const char *cs, char **out)
{
	size_t len;
	const char *host;
	enum url_status st;

	if (strlen(cs) > URL_MAX_LEN)
		return URL_TOO_LONG;
	host = url_host(cs, &len);
	if (!host)
		return URL_MALFORMED;
	st = dup_str(cs, out);
	if (st != URL_OK)
		return st;
	for (char *p = *out + (host - cs); len > 0; p++, len--)
		*p = to_lower(*p);
	return URL_OK;
}

/* curl decodes percent-escapes in a host after its own checks: what comes
 * out must not hold control bytes, and a host that now reads as a number
 * ("%342" is "42") must go through curl's IPv4 rules ("0.0.0.42"), or the
 * canonical form would change when normalised again. */
static CURLUcode host_check(CURLU *h, const char *host)
{
	char *url = NULL;
	bool numeric = *host != '[';
	CURLUcode rc;

	for (const unsigned char *p = (const unsigned char *)host; *p; p++) {
		if (*p <= ' ' || *p == 0x7f)
			return CURLUE_MALFORMED_INPUT;
		numeric = numeric && (is_hex(*p) || *p == '.' || *p == 'x' || *p == 'X');
	}
	if (!numeric)
		return CURLUE_OK;
	rc = curl_url_get(h, CURLUPART_URL, &url, 0);
	if (rc == CURLUE_OK)
		rc = curl_url_set(h, CURLUPART_URL, url, 0);
	curl_free(url);
	return rc;
}

/* An internationalised host name becomes its punycode (IDNA 2008, UTS #46
 * non-transitional, as browsers do), so one site has one fingerprint.
 * libidn2 directly: curl 7.88's CURLU_PUNYCODE depends on the process
 * locale being UTF-8. A name that is not valid IDNA is malformed. */
static CURLUcode host_to_ascii(CURLU *h)
{
	char *host = NULL, *ascii = NULL;
	CURLUcode rc = curl_url_get(h, CURLUPART_HOST, &host, 0);
	bool plain = true;

	if (rc != CURLUE_OK)
		return rc;
	rc = host_check(h, host);
	for (const char *p = host; rc == CURLUE_OK && *p; p++)
		plain = plain && (unsigned char)*p < 0x80;
	if (rc == CURLUE_OK && !plain) {
		if (idn2_to_ascii_8z(host, &ascii, IDN2_NONTRANSITIONAL |
					   IDN2_NFC_INPUT) == IDN2_OK)
			rc = curl_url_set(h, CURLUPART_HOST, ascii, 0);
		else
			rc = CURLUE_MALFORMED_INPUT;
		/* IDNA maps "１２．３" to "12.3": a number, once more. */
		if (rc == CURLUE_OK)
			rc = host_check(h, ascii);
		idn2_free(ascii);
	}
	curl_free(host);
	return rc;
}

/* Parse the prepared, absolute s and get it out canonical: curl removes
 * dot segments and drops an empty query ("a?" is "a"), which the canonical
 * form keeps that way. */
static enum url_status parse(const char *s, char **out)
{
	char *cs = NULL;
	CURLU *h = curl_url();
	CURLUcode rc = h ? curl_url_set(h, CURLUPART_URL, s, 0) :
			   CURLUE_OUT_OF_MEMORY;
	enum url_status st;

	if (rc == CURLUE_OK)
		rc = host_to_ascii(h);
	if (rc == CURLUE_OK)
		rc = curl_url_get(h, CURLUPART_URL, &cs, CURLU_NO_DEFAULT_PORT);
	curl_url_cleanup(h);
	if (rc != CURLUE_OK)
		return from_curl(rc);
	st = copy_canonical(cs, out);
	curl_free(cs);
	return st;
}

/* Find where the canonical str's parts end. An authority with userinfo,
 * escapes or an IPv6 literal gets no shortcut: comparing those without
 * curl is not worth the risk. */
static void split_base(struct url_base *b)
{
	const char *s = b->str, *auth = strstr(s, "://") + 3;
	size_t alen = strcspn(auth, "/?");

	b->origin = (size_t)(auth - s) + alen;
	b->path = b->origin + strcspn(s + b->origin, "?");
	b->dir = b->path;
	while (b->dir > b->origin && s[b->dir - 1] != '/')
		b->dir--;
	b->shortcut = s[b->origin] == '/' && strcspn(auth, "@%[") >= alen;
}

struct url_base *url_base_new(const char *base, enum url_status *status)
{
	struct url_base *b = calloc(1, sizeof(*b));
	enum url_status st = b ? url_normalize(base, &b->str) : URL_NOMEM;

	if (st == URL_OK)
		split_base(b);
	if (st != URL_OK) {
		url_base_free(b);
		b = NULL;
	}
	if (status)
		*status = st;
	return b;
}

struct url_base *url_base_canonical(const char *canonical,
				    enum url_status *status)
{
	struct url_base *b = NULL;
	size_t hlen;
	enum url_status st = URL_OK;

	if (strnlen(canonical, URL_MAX_LEN + 1) > URL_MAX_LEN)
		st = URL_TOO_LONG;
	else if (!url_host(canonical, &hlen))
		st = URL_MALFORMED;
	else if (!(b = calloc(1, sizeof(*b))) || dup_str(canonical, &b->str))
		st = URL_NOMEM;
	if (st == URL_OK) {
		split_base(b);
	} else {
		free(b);
		b = NULL;
	}
	if (status)
		*status = st;
	return b;
}

void url_base_free(struct url_base *b)
{
	if (!b)
		return;
	free(b->str);
	free(b);
}

const char *url_base_str(const struct url_base *b)
{
	return b->str;
}

/* RFC 3986 section 5.2.4 on the absolute path p (n bytes), in place:
 * a segment is written no further right than it was read. Returns the
 * new length. */
static size_t remove_dot_segments(char *p, size_t n)
{
	size_t in = 1, out = 0;

	while (in <= n) {
		size_t len = strcspn(p + in, "/");
		bool last;

		if (in + len > n)
			len = n - in;
		last = in + len >= n;
		if (len == 1 && p[in] == '.') {
			/* skipped */
		} else if (len == 2 && p[in] == '.' && p[in + 1] == '.') {
			while (out > 0 && p[--out] != '/')
				;
		} else {
			p[out] = '/';
			memmove(p + out + 1, p + in, len);
			out += 1 + len;
			last = false;
		}
		if (last)
			p[out++] = '/';
		in += len + 1;
	}
	if (out == 0)
		p[out++] = '/';
	return out;
}

/* Of ref (n bytes), the part after an absolute URL's authority when that
 * authority is the base's own; NULL if ref is no such URL. */
static const char *same_origin_tail(const struct url_base *b,
				    const char *ref, size_t n)
{
	size_t olen = b->origin;

	if (n < olen || !ascii_case_eq(ref, b->str, olen))
		return NULL;
	/* The authority must end where the base's does. */
	if (olen < n && ref[olen] != '/' && ref[olen] != '?')
		return NULL;
	return ref + olen;
}

/* ref without the white space around it and its fragment, as strip_ref
 * has it; false if it holds a tab or a newline to remove. */
static bool trim_ref(const char **ref, size_t *n)
{
	const char *r = *ref;
	size_t len, cut;

	if (!trim_space(&r, &len))
		return false;
	cut = strcspn(r, "#\t\n\r");
	if (cut < len && r[cut] != '#')
		return false;
	*ref = r;
	*n = cut < len ? cut : len;
	return true;
}

/* How much of the base a trimmed, non-empty ref keeps (RFC 3986 section
 * 5.2.2), and where the rest starts in ref; 0 when resolve_fast leaves ref
 * to curl. */
static size_t fast_kept(const struct url_base *b, const char *ref, size_t n,
			const char **tail)
{
	size_t first = strcspn(ref, ":/?");

	*tail = ref;
	if (ref[0] == '/' && n > 1 && ref[1] == '/')
		return 0; /* network-path: another authority */
	if (ref[0] == '/')
		return b->origin;
	if (ref[0] == '?')
		return b->path;
	if (first >= n || ref[first] != ':')
		return b->dir;
	*tail = same_origin_tail(b, ref, n);
	return *tail ? b->origin : 0;
}

/* The shortcut of url_base_resolve for the references most pages are made
 * of: a path, a query, or an absolute URL on the base's own origin. They
 * resolve by RFC 3986 section 5.2 in one buffer, without curl's URL API and
 * its copies. Whether it takes ref, with *st the result when it does; it
 * leaves anything else (a scheme or ':' in the first segment, tabs or
 * newlines, another authority) to url_base_resolve_general. The two must
 * agree, and a fuzz target checks that they do. */
static bool resolve_fast(const struct url_base *b, const char *ref, char **out,
			 enum url_status *st)
{
	char buf[4 * URL_MAX_LEN];
	const char *tail;
	size_t n, head, tlen, len, q;

	if (!b->shortcut || !trim_ref(&ref, &n))
		return false;
	if (n == 0) { /* "" or "#top": the page itself */
		*st = dup_str(b->str, out);
		return true;
	}
	head = fast_kept(b, ref, n, &tail);
	if (!head)
		return false;
	tlen = n - (size_t)(tail - ref);
	if (head + 1 + 3 * tlen >= sizeof(buf))
		return false;
	memcpy(buf, b->str, head);
	len = head;
	if (head == b->origin && (!tlen || *tail != '/'))
		buf[len++] = '/';
	len += url_escape_path(buf + len, tail, tlen);
	q = head + strcspn(buf + head, "?");
	if (q + 1 == len)
		len = q; /* an empty query is no query */
	head = b->origin + remove_dot_segments(buf + b->origin, q - b->origin);
	memmove(buf + head, buf + q, len - q);
	len = head + len - q;
	if (len > URL_MAX_LEN)
		*st = URL_TOO_LONG;
	else if (!(*out = malloc(len + 1)))
		*st = URL_NOMEM;
	else {
		memcpy(*out, buf, len);
		(*out)[len] = '\0';
		*st = URL_OK;
	}
	return true;
}

enum url_status url_base_resolve(const struct url_base *b, const char *ref,
				 char **out)
{
	enum url_status st;

	*out = NULL;
	if (resolve_fast(b, ref, out, &st))
		return st;
	return url_base_resolve_general(b, ref, out);
}

enum url_status url_base_resolve_general(const struct url_base *b,
					 const char *ref, char **out)
{
	char *s;
	enum url_status st;

	*out = NULL;
	st = prepare(ref, b, &s);
	if (st == URL_OK)
		st = parse(s, out);
	free(s);
	return st;
}

enum url_status url_normalize(const char *url, char **out)
{
	/* An absolute URL is a reference with no base. */
	return url_base_resolve_general(NULL, url, out);
}

enum url_status url_resolve(const char *base, const char *ref, char **out)
{
	enum url_status st;
	struct url_base *b = url_base_new(base, &st);

	*out = NULL;
	if (!b)
		return st;
	st = url_base_resolve(b, ref, out);
	url_base_free(b);
	return st;
}


/* After "http://" or "https://", NULL if canonical starts with neither. */
static const char *after_scheme(const char *canonical)
{
	if (strncmp(canonical, "http://", 7) == 0)
		return canonical + 7;
	if (strncmp(canonical, "https://", 8) == 0)
		return canonical + 8;
	return NULL;
}

const char *url_host(const char *canonical, size_t *len)
{
	const char *p = after_scheme(canonical), *end;

	if (!p)
		return NULL;
	end = p + strcspn(p, "/?#");
	/* The last '@', as the WHATWG parser does; curl never lets one into
	 * the host anyway. */
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			p = q + 1;
	if (*p == '[') {
		const char *close = memchr(p, ']', end - p);

		if (!close)
			return NULL;
		end = close + 1;
	} else {
		const char *colon = memchr(p, ':', end - p);

		if (colon)
			end = colon;
	}
	if (end == p)
		return NULL;
	*len = end - p;
	return p;
}

const char *url_strerror(enum url_status status)
{
	switch (status) {
#define URL_TEXT(name, text) \
	case URL_##name:     \
		return text;
	URL_STATUS_MAP(URL_TEXT)
#undef URL_TEXT
	}
	return "unknown URL status";
}

const char *url_path(const char *canonical)
{
	const char *p = strstr(canonical, "://");

	p = p ? p + 3 : canonical;
	p += strcspn(p, "/?#");
	return *p ? p : "/";
}
