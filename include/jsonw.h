/* jsonw: JSON text written straight into a growing buffer, for the one
 * line of every record. Building a tree first (jansson) cost a node and a
 * hash entry per field and a pass to print it: a third of the writer's
 * time per page.
 *
 * Strings are written as valid UTF-8 whatever they hold: each maximal
 * ill-formed subpart (utf8_char) becomes U+FFFD, so a page with a broken
 * title still gives a line every JSON reader takes. Escapes
 * are the short ones JSON has and \u00XX for other control characters;
 * nothing else is escaped.
 *
 * Keys are the caller's literals: ASCII with nothing to escape. The first
 * failure (no memory) is kept, every later call does nothing, and
 * jsonw_take reports it: a caller checks once, at the end. */
#ifndef CRAWLER_JSONW_H
#define CRAWLER_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct jsonw {
	struct buf b;
	bool comma;        /* a value came last: the next one needs a comma */
	bool failed;       /* out of memory: the text is lost */
};

/* An empty writer (no allocation until the first byte). */
#define JSONW_INIT { { NULL, 0, 0 }, false, false }

void jsonw_begin(struct jsonw *w, char bracket);   /* '{' or '[' */
void jsonw_end(struct jsonw *w, char bracket);     /* '}' or ']' */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_str(struct jsonw *w, const char *s);    /* NULL: null */
void jsonw_strn(struct jsonw *w, const char *s, size_t n);
void jsonw_int(struct jsonw *w, int64_t v);
/* Up to 15 significant digits (0.123, not 0.12300000000000001), with a
 * fraction always (5.0), so every reader sees a real. */
void jsonw_real(struct jsonw *w, double v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);

/* The text with a newline and a NUL after it (*len counts the newline,
 * not the NUL), now the caller's; NULL when a step ran out of memory.
 * Either way w is empty again. */
char *jsonw_take_line(struct jsonw *w, size_t *len);
/* Free what w holds (after a failure, or to drop the text). */
void jsonw_release(struct jsonw *w);

#endif
