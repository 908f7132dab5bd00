/* testgz: see testgz.h. */
#include "testgz.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

char *testgz(const void *in, size_t n, size_t *outlen)
{
	z_stream z = { 0 };
	size_t cap;
	char *out;

	cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9,
				  Z_DEFAULT_STRATEGY), Z_OK);
	cap = deflateBound(&z, (uLong)n);
	out = malloc(cap);
	cr_assert(out);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	*outlen = z.total_out;
	deflateEnd(&z);
	return out;
}
