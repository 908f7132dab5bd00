/* buf: see buf.h. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

bool buf_reserve(struct buf *b, size_t n)
{
	char *p;
	size_t cap = b->cap ? b->cap : 1024;

	if (b->len + n <= b->cap)
		return true;
	while (cap < b->len + n)
		cap *= 2;
	if (!(p = realloc(b->p, cap)))
		return false;
	b->p = p;
	b->cap = cap;
	return true;
}

bool buf_add(struct buf *b, const void *p, size_t n)
{
	if (!n)
		return true;
	if (!buf_reserve(b, n))
		return false;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return true;
}
