/* testgz: see testgz.h. */
#include "testgz.h"

#include <brotli/encode.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

static char *zlib_enc(int window_bits, const void *in, size_t n, size_t *outlen)
{
	z_stream z = { 0 };
	size_t cap;
	char *out;

	cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, window_bits, 9,
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

char *testgz(const void *in, size_t n, size_t *outlen)
{
	return zlib_enc(16 + MAX_WBITS, in, n, outlen);
}

static char *br_enc(const void *in, size_t n, size_t *outlen)
{
	size_t cap = BrotliEncoderMaxCompressedSize(n);
	char *out = malloc(cap ? cap : 16);

	cr_assert(out);
	*outlen = cap ? cap : 16;
	cr_assert(BrotliEncoderCompress(BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW,
					BROTLI_MODE_TEXT, n, in, outlen,
					(uint8_t *)out));
	return out;
}

static char *zstd_enc(const void *in, size_t n, size_t *outlen)
{
	size_t cap = ZSTD_compressBound(n);
	char *out = malloc(cap);

	cr_assert(out);
	*outlen = ZSTD_compress(out, cap, in, n, 6);
	cr_assert(!ZSTD_isError(*outlen));
	return out;
}

char *testenc(const char *coding, const void *in, size_t n, size_t *outlen)
{
	if (strcmp(coding, "gzip") == 0)
		return testgz(in, n, outlen);
	if (strcmp(coding, "deflate") == 0)
		return zlib_enc(MAX_WBITS, in, n, outlen);
	if (strcmp(coding, "rawdeflate") == 0)
		return zlib_enc(-MAX_WBITS, in, n, outlen);
	if (strcmp(coding, "br") == 0)
		return br_enc(in, n, outlen);
	cr_assert_str_eq(coding, "zstd", "no encoder for %s", coding);
	return zstd_enc(in, n, outlen);
}
