/* buf: a byte buffer that grows by doubling, for text built a piece at a
 * time (a WARC record, a JSON line). The caller owns p (free it). */
#ifndef CRAWLER_BUF_H
#define CRAWLER_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap;
};

/* Room for n more bytes; false (b unchanged) when out of memory. */
bool buf_reserve(struct buf *b, size_t n);
/* Append n bytes at p (n 0: nothing, p may be NULL). */
bool buf_add(struct buf *b, const void *p, size_t n);

#endif
