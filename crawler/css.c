/* css: what a stylesheet, a <style> or a style="" links to (see css.h).
 * A cursor walks the text once; a URL being read is decoded into a buffer
 * that grows to at most URL_MAX_LEN bytes (a longer one is read to its end
 * and dropped), so the work and the memory are bounded by the input. The
 * rules are CSS Syntax Level 3, section 4 ("Tokenization"), cut down to
 * what tells a URL from everything else. */
#include "css.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

struct cursor {
	const char *p;
	const char *end;
};

/* The URL being read. */
struct urlbuf {
	char *data; /* malloc'd, NUL-terminated when handed out */
	size_t len;
	size_t cap;
	bool too_long; /* over URL_MAX_LEN: read on, then dropped */
	bool nomem;
};

struct scan {
	struct cursor c;
	struct urlbuf buf;
	css_url_fn fn;
	void *arg;
	enum css_status status;
};

/* How a string or an unquoted url ended. */
enum token_end {
	END_OK,  /* at its closing quote or ")" */
	END_BAD, /* a newline in a string, a quote in url(): no URL */
	END_EOF, /* the input ended first: no URL (css.h) */
};

static bool at_end(const struct cursor *c, size_t ahead)
{
	return (size_t)(c->end - c->p) <= ahead;
}

static bool is_css_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool is_newline(unsigned char c)
{
	return c == '\n' || c == '\r' || c == '\f';
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static unsigned hex_value(unsigned char c)
{
	if (c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

/* CSS's "ident code point"; every byte of a non-ASCII character is one. */
static bool is_name_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c >= 0x80;
}

/* CSS's "non-printable code point", which makes an unquoted url bad. */
static bool is_non_printable(unsigned char c)
{
	return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F;
}

static bool ascii_ieq(const char *s, const char *lit, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((s[i] | 0x20) != lit[i])
			return false;
	return true;
}

static void buf_put(struct urlbuf *b, const char *bytes, size_t n)
{
	if (b->too_long || b->nomem)
		return;
	if (b->len + n > URL_MAX_LEN) {
		b->too_long = true;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *data;

		while (cap < b->len + n + 1)
			cap *= 2;
		data = realloc(b->data, cap);
		if (!data) {
			b->nomem = true;
			return;
		}
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->len, bytes, n);
	b->len += n;
}

/* U+0000, a surrogate or anything past U+10FFFF is U+FFFD (CSS Syntax
 * 4.3.7), so no NUL reaches a URL. */
static void buf_put_code_point(struct urlbuf *b, uint32_t cp)
{
	char u[4];

	if (!cp || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		cp = 0xFFFD;
	if (cp < 0x80) {
		u[0] = (char)cp;
		buf_put(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		buf_put(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		buf_put(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		buf_put(b, u, 4);
	}
}

/* Whether the cursor is at a backslash that starts an escape: one before a
 * newline or at the end is none (CSS Syntax 4.3.8). */
static bool at_escape(const struct cursor *c)
{
	return !at_end(c, 1) && c->p[0] == '\\' && !is_newline((unsigned char)c->p[1]);
}

/* Past an escape (the cursor at its backslash, at_escape true), decoded
 * into b when b is set: up to six hex digits and one white space after
 * them (CR LF counting as one), or any other character as itself. */
static void consume_escape(struct cursor *c, struct urlbuf *b)
{
	uint32_t cp = 0;
	int digits = 0;

	c->p++;
	if (!is_hex((unsigned char)*c->p)) {
		/* An escaped NUL is U+0000 too, and so U+FFFD. */
		if (b && *c->p)
			buf_put(b, c->p, 1);
		else if (b)
			buf_put_code_point(b, 0);
		c->p++;
		return;
	}
	while (digits < 6 && !at_end(c, 0) && is_hex((unsigned char)*c->p)) {
		cp = cp * 16 + hex_value((unsigned char)*c->p++);
		digits++;
	}
	if (!at_end(c, 0) && is_css_space((unsigned char)*c->p)) {
		if (!at_end(c, 1) && c->p[0] == '\r' && c->p[1] == '\n')
			c->p++;
		c->p++;
	}
	if (b)
		buf_put_code_point(b, cp);
}

/* A string, the cursor just past its opening quote; decoded into b when b
 * is set. A newline ends it bad and is left for the caller. */
static enum token_end consume_string(struct cursor *c, char quote,
				     struct urlbuf *b)
{
	while (!at_end(c, 0)) {
		unsigned char ch = (unsigned char)*c->p;

		if (ch == (unsigned char)quote) {
			c->p++;
			return END_OK;
		}
		if (is_newline(ch))
			return END_BAD;
		if (ch == '\\') {
			if (at_escape(c)) {
				consume_escape(c, b);
				continue;
			}
			/* An escaped newline continues the string. */
			c->p++;
			if (!at_end(c, 1) && c->p[0] == '\r' && c->p[1] == '\n')
				c->p++;
			if (!at_end(c, 0))
				c->p++;
			continue;
		}
		if (b) {
			if (ch)
				buf_put(b, c->p, 1);
			else
				buf_put_code_point(b, 0);
		}
		c->p++;
	}
	return END_EOF;
}

/* What is left of a bad url, up to its ")" (CSS Syntax 4.3.14). */
static enum token_end consume_bad_url(struct cursor *c)
{
	while (!at_end(c, 0)) {
		if (*c->p == ')') {
			c->p++;
			return END_BAD;
		}
		if (at_escape(c))
			consume_escape(c, NULL);
		else
			c->p++;
	}
	return END_EOF;
}

/* An unquoted url(, the cursor past its white space (CSS Syntax 4.3.6). */
static enum token_end consume_unquoted(struct cursor *c, struct urlbuf *b)
{
	while (!at_end(c, 0)) {
		unsigned char ch = (unsigned char)*c->p;

		if (ch == ')') {
			c->p++;
			return END_OK;
		}
		if (is_css_space(ch)) {
			while (!at_end(c, 0) && is_css_space((unsigned char)*c->p))
				c->p++;
			if (!at_end(c, 0) && *c->p == ')') {
				c->p++;
				return END_OK;
			}
			return at_end(c, 0) ? END_EOF : consume_bad_url(c);
		}
		if (ch == '"' || ch == '\'' || ch == '(' || is_non_printable(ch))
			return consume_bad_url(c);
		if (ch == '\\') {
			if (!at_escape(c))
				return consume_bad_url(c);
			consume_escape(c, b);
			continue;
		}
		buf_put(b, c->p, 1);
		c->p++;
	}
	return END_EOF;
}

static void emit(struct scan *s, enum token_end how)
{
	struct urlbuf *b = &s->buf;

	if (b->nomem) {
		s->status = CSS_NOMEM;
		return;
	}
	if (how == END_OK && b->len && !b->too_long) {
		b->data[b->len] = '\0';
		s->status = s->fn(s->arg, b->data, b->len);
	}
}

static void url_begin(struct scan *s)
{
	s->buf.len = 0;
	s->buf.too_long = false;
}

/* After "url(": a quoted URL is a function's string argument (what
 * follows it up to ")" is read on as ordinary CSS), an unquoted one a url
 * token of its own. Whether the function's ")" is still ahead (quoted). */
static bool consume_url(struct scan *s)
{
	struct cursor *c = &s->c;
	bool quoted;

	while (!at_end(c, 0) && is_css_space((unsigned char)*c->p))
		c->p++;
	if (at_end(c, 0))
		return false;
	url_begin(s);
	quoted = *c->p == '"' || *c->p == '\'';
	if (quoted)
		emit(s, consume_string(c, *c->p++, &s->buf));
	else
		emit(s, consume_unquoted(c, &s->buf));
	return quoted;
}

/* After "@import": a string there is the URL of a stylesheet. */
static void consume_import(struct scan *s)
{
	struct cursor *c = &s->c;

	while (!at_end(c, 0) && is_css_space((unsigned char)*c->p))
		c->p++;
	if (at_end(c, 0) || (*c->p != '"' && *c->p != '\''))
		return;
	url_begin(s);
	emit(s, consume_string(c, *c->p++, &s->buf));
}

static void skip_comment(struct cursor *c)
{
	const char *close = memmem(c->p + 2, (size_t)(c->end - c->p - 2), "*/", 2);

	c->p = close ? close + 2 : c->end;
}

/* Past an identifier, read whole (so "myurl(" is another function than
 * url(); its length. */
static size_t consume_ident(struct cursor *c)
{
	const char *name = c->p;

	while (!at_end(c, 0) && is_name_byte((unsigned char)*c->p))
		c->p++;
	return (size_t)(c->p - name);
}

/* Whether the identifier just read (name, len bytes) is the function fn
 * (lowercase): the cursor is at its "(". */
static bool is_function(const struct cursor *c, const char *name, size_t len,
			const char *fn)
{
	return !at_end(c, 0) && *c->p == '(' && strlen(fn) == len &&
	       ascii_ieq(name, fn, len);
}

static void consume_image_set(struct scan *s);

/* The functions whose arguments hold URLs: url(), and image-set() with
 * its prefixed form, which Chrome and Safari still read. Inside an
 * image-set (in_set) another one is just a function: no recursion, so
 * hostile nesting costs no stack. Whether a function's ")" is still ahead
 * (url("x"), for an image-set counting its parentheses). */
static bool consume_name(struct scan *s, bool in_set)
{
	struct cursor *c = &s->c;
	const char *name = c->p;
	size_t len = consume_ident(c);

	if (is_function(c, name, len, "url")) {
		c->p++;
		return consume_url(s);
	}
	if (!in_set && (is_function(c, name, len, "image-set") ||
			is_function(c, name, len, "-webkit-image-set"))) {
		c->p++;
		consume_image_set(s);
	}
	return false;
}

/* A string argument of image-set() at its top level is the URL of an
 * image; one nested in a function (type("image/avif")) is not. */
static void consume_set_string(struct scan *s, size_t depth)
{
	struct cursor *c = &s->c;
	char quote = *c->p++;

	if (depth) {
		consume_string(c, quote, NULL);
		return;
	}
	url_begin(s);
	emit(s, consume_string(c, quote, &s->buf));
}

/* After "image-set(" (CSS Images 4, section 2.4): each option is an image
 * (a url(), or a string naming one) with its resolution and type(). Read
 * to the set's ")" or the end of the input. */
static void consume_image_set(struct scan *s)
{
	struct cursor *c = &s->c;
	size_t depth = 0; /* parentheses open inside the set */

	while (s->status == CSS_OK && !at_end(c, 0)) {
		unsigned char ch = (unsigned char)*c->p;

		if (ch == '/' && !at_end(c, 1) && c->p[1] == '*') {
			skip_comment(c);
		} else if (ch == '"' || ch == '\'') {
			consume_set_string(s, depth);
		} else if (at_escape(c)) {
			consume_escape(c, NULL);
		} else if (is_name_byte(ch)) {
			depth += consume_name(s, true);
		} else if (ch == ')' && !depth) {
			c->p++;
			return;
		} else {
			depth += ch == '(';
			depth -= ch == ')';
			c->p++;
		}
	}
}

static void step(struct scan *s)
{
	struct cursor *c = &s->c;
	unsigned char ch = (unsigned char)*c->p;

	if (ch == '/' && !at_end(c, 1) && c->p[1] == '*') {
		skip_comment(c);
	} else if (ch == '"' || ch == '\'') {
		c->p++;
		consume_string(c, (char)ch, NULL);
	} else if (at_escape(c)) {
		consume_escape(c, NULL);
	} else if (ch == '@' && (size_t)(c->end - c->p) > 7 &&
		   ascii_ieq(c->p + 1, "import", 6) &&
		   !is_name_byte((unsigned char)c->p[7])) {
		c->p += 7;
		consume_import(s);
	} else if (is_name_byte(ch)) {
		(void)consume_name(s, false);
	} else {
		c->p++;
	}
}

enum css_status css_scan(const char *css, size_t len, css_url_fn fn, void *arg)
{
	struct scan s = { .fn = fn, .arg = arg, .status = CSS_OK };

	/* css may be NULL when len is 0 (an empty <style>): NULL + 0 is no
	 * pointer arithmetic C allows. */
	if (!len)
		return CSS_OK;
	s.c = (struct cursor){ .p = css, .end = css + len };
	while (s.status == CSS_OK && !at_end(&s.c, 0))
		step(&s);
	free(s.buf.data);
	return s.status;
}

struct sheet {
	struct url_base *base;
	struct parse_result *out;
};

static enum css_status add_url(void *arg, const char *url, size_t len)
{
	struct sheet *sh = arg;
	enum url_status us;
	char *abs;

	(void)len;
	us = url_base_resolve(sh->base, url, &abs);
	if (us == URL_NOMEM)
		return CSS_NOMEM;
	if (us != URL_OK)
		return CSS_OK;
	if (parse_result_add(sh->out, abs, PARSE_LINK_RESOURCE | PARSE_LINK_CSS))
		return CSS_NOMEM;
	return CSS_OK;
}

enum css_status css_parse(const char *css, size_t len, const char *sheet_url,
			  struct parse_result *out)
{
	struct sheet sh = { .out = out };
	enum css_status st;
	enum url_status us;

	memset(out, 0, sizeof(*out));
	sh.base = url_base_canonical(sheet_url, &us);
	if (!sh.base)
		return us == URL_NOMEM ? CSS_NOMEM : CSS_FAILED;
	/* Decoding a stylesheet drops a UTF-8 byte order mark (CSS Syntax 3.2,
	 * the Encoding standard's "decode"); left in, its bytes would start an
	 * identifier, and a url( right after it would be none. */
	if (len >= 3 && !memcmp(css, "\xEF\xBB\xBF", 3)) {
		css += 3;
		len -= 3;
	}
	st = css_scan(css, len, add_url, &sh);
	url_base_free(sh.base);
	return st;
}
