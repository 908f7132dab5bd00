/* utf8: the one UTF-8 check for the text the crawler hands on (a page's
 * title, every string of a record), so all of it is repaired alike. */
#ifndef CRAWLER_UTF8_H
#define CRAWLER_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* How many of the n (at least 1) bytes at s make one character: a
 * well-formed UTF-8 sequence (Unicode table 3-7: no overlong forms, no
 * surrogates, nothing past U+10FFFF), *ok set; or else the maximal
 * ill-formed subpart, which the WHATWG decoder (and Unicode's practice)
 * turns into one U+FFFD, *ok clear. NUL counts as ill-formed: it would end
 * a C string early. */
size_t utf8_char(const unsigned char *s, size_t n, bool *ok);

#endif
