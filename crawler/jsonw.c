/* jsonw: JSON text into a buffer (see jsonw.h). */
#include "jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* The first failure is kept: later steps do nothing. */
static void put(struct jsonw *w, const void *s, size_t n)
{
	if (!w->failed && !buf_add(&w->b, s, n))
		w->failed = true;
}

static void put_char(struct jsonw *w, char c)
{
	put(w, &c, 1);
}

/* A value (or key) starts: after another, a comma. */
static void next_item(struct jsonw *w)
{
	if (w->comma)
		put_char(w, ',');
	w->comma = true;
}

void jsonw_begin(struct jsonw *w, char bracket)
{
	next_item(w);
	put_char(w, bracket);
	w->comma = false;
}

void jsonw_end(struct jsonw *w, char bracket)
{
	put_char(w, bracket);
	w->comma = true;
}

void jsonw_key(struct jsonw *w, const char *key)
{
	next_item(w);
	put_char(w, '"');
	put(w, key, strlen(key));
	put(w, "\":", 2);
	w->comma = false;
}

/* The escape of an ASCII byte that needs one, into out; its length. */
static size_t escape(unsigned char c, char out[8])
{
	static const char hex[] = "0123456789ABCDEF";
	const char *short_form = NULL;

	switch (c) {
	case '"': short_form = "\\\""; break;
	case '\\': short_form = "\\\\"; break;
	case '\b': short_form = "\\b"; break;
	case '\f': short_form = "\\f"; break;
	case '\n': short_form = "\\n"; break;
	case '\r': short_form = "\\r"; break;
	case '\t': short_form = "\\t"; break;
	default: break;
	}
	if (short_form) {
		memcpy(out, short_form, 2);
		return 2;
	}
	out[0] = '\\';
	out[1] = 'u';
	out[2] = '0';
	out[3] = '0';
	out[4] = hex[c >> 4];
	out[5] = hex[c & 15];
	return 6;
}

static bool plain_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

void jsonw_strn(struct jsonw *w, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	next_item(w);
	put_char(w, '"');
	while (i < n && !w->failed) {
		size_t run = i, k;
		char esc[8];

		while (run < n && plain_ascii(u[run]))
			run++;
		put(w, s + i, run - i);
		if ((i = run) == n)
			break;
		if (u[i] < 0x80) {
			put(w, esc, escape(u[i], esc));
			i++;
		} else {
			bool ok;

			k = utf8_char(u + i, n - i, &ok);
			if (ok)
				put(w, s + i, k);
			else
				put(w, "\xEF\xBF\xBD", 3); /* U+FFFD */
			i += k;
		}
	}
	put_char(w, '"');
}

void jsonw_str(struct jsonw *w, const char *s)
{
	if (s)
		jsonw_strn(w, s, strlen(s));
	else
		jsonw_null(w);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%" PRId64, v);

	next_item(w);
	put(w, buf, (size_t)n);
}

void jsonw_real(struct jsonw *w, double v)
{
	char buf[40];
	int n = snprintf(buf, sizeof(buf) - 2, "%.15g", v);

	if (!strpbrk(buf, ".eninf")) {
		memcpy(buf + n, ".0", 3);
		n += 2;
	}
	next_item(w);
	put(w, buf, (size_t)n);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	next_item(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_null(struct jsonw *w)
{
	next_item(w);
	put(w, "null", 4);
}

char *jsonw_take_line(struct jsonw *w, size_t *len)
{
	char *line;

	put(w, "\n", 2);
	if (w->failed) {
		jsonw_release(w);
		return NULL;
	}
	line = w->b.p;
	*len = w->b.len - 1;
	*w = (struct jsonw)JSONW_INIT;
	return line;
}

void jsonw_release(struct jsonw *w)
{
	free(w->b.p);
	*w = (struct jsonw)JSONW_INIT;
}
