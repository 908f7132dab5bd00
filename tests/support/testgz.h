/* testgz: compressed bytes for a test's server or reader to serve (a .gz
 * file, or a body with a Content-Encoding), made by the libraries' own
 * encoders: zlib, libbrotlienc, libzstd. */
#ifndef CRAWLER_TESTGZ_H
#define CRAWLER_TESTGZ_H

#include <stddef.h>

/* n bytes of in, gzipped at level 9 with a gzip wrapper; *outlen bytes,
 * malloc'd, the caller frees. Fails the test on any zlib error. */
char *testgz(const void *in, size_t n, size_t *outlen);

/* n bytes of in in coding: "gzip", "deflate" (zlib wrapper), "rawdeflate"
 * (no wrapper), "br" or "zstd"; *outlen bytes, malloc'd, the caller
 * frees. Fails the test on an encoder's error or an unknown coding. */
char *testenc(const char *coding, const void *in, size_t n, size_t *outlen);

#endif
