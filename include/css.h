/* css: the URLs a stylesheet refers to, for --resources: url(...) (quoted
 * or not), @import "x" (@import url(x) is a url() like any other), and the
 * strings of image-set() and -webkit-image-set() ("a.png" 1x, "b.png" 2x).
 *
 * The bytes are read as ASCII-compatible whatever the sheet's charset: the
 * URL syntax is ASCII, and a UTF-8 or Latin-1 sheet's non-ASCII bytes only
 * ever fall inside identifiers and strings. So an @charset rule is a rule
 * like any other, skipped with its string; css_parse drops a UTF-8 byte
 * order mark. A UTF-16 sheet (rare: CSS Syntax tells authors not to) yields
 * nothing.
 *
 * A tokenizer in the spirit of CSS Syntax Level 3, kept to what finds
 * URLs: comments and strings are skipped so that a url( inside them is no
 * URL; escapes (\41, \", a backslash before a newline in a string) are
 * decoded; a url( inside an identifier (myurl(...)) is not url(; a bad url
 * (url(a b), url(a"b)) yields nothing. One pass, each byte looked at a
 * bounded number of times, whatever the input: hostile CSS costs no more
 * than its length. A URL the input ends inside (url(x with no ")", or an
 * unclosed string) is left out: a body cut at --max-size ends that way,
 * and the URL would be cut too.
 *
 * css_scan finds the URLs as written (decoded, not resolved), for parse.c
 * (<style>, style=""); css_parse is the stylesheet reader of the content
 * handler table, resolving each against the stylesheet's URL. Both
 * reentrant. */
#ifndef CRAWLER_CSS_H
#define CRAWLER_CSS_H

#include <stddef.h>

#include "parse.h"

enum css_status {
	CSS_OK = 0,
	CSS_NOMEM = 1,
	CSS_FAILED = 2, /* css_parse: sheet_url is no absolute http(s) URL */
};

/* Called for each URL found, in order: url is NUL-terminated, len bytes
 * (never empty, no NUL inside), borrowed for the call. Anything but CSS_OK
 * stops the scan, which returns it. */
typedef enum css_status (*css_url_fn)(void *arg, const char *url, size_t len);

/* Each URL of css (len bytes, need not be NUL-terminated; NULL when len
 * is 0) to fn. */
enum css_status css_scan(const char *css, size_t len, css_url_fn fn, void *arg);

/* The URLs of a stylesheet fetched from sheet_url (canonical), resolved
 * against it and normalised, appended to *out as PARSE_LINK_RESOURCE |
 * PARSE_LINK_CSS (the caller's: parse_result_release, also on error, when
 * it holds what was found before). */
enum css_status css_parse(const char *css, size_t len, const char *sheet_url,
			  struct parse_result *out);

#endif
