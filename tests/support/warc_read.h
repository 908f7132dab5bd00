/* warc_read: a WARC reader of the tests' own, to check what warc.c wrote
 * without trusting it: each gzip member inflated alone, the record's
 * framing asserted (Criterion), digests recomputed with GnuTLS's SHA-1. */
#ifndef TEST_WARC_READ_H
#define TEST_WARC_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct warc_rec {
	uint64_t offset, length;  /* its gzip member in the file */
	size_t nfields;
	char **names, **values;
	char *block;              /* Content-Length bytes, NUL after them */
	size_t block_len;
};

/* Every record of the file, at most max; asserts on bad framing. */
size_t warc_read_file(const char *path, struct warc_rec *out, size_t max);
/* The one record in the member at offset, of length bytes. */
bool warc_read_member(const char *path, uint64_t offset, uint64_t length,
		      struct warc_rec *out);
void warc_recs_free(struct warc_rec *recs, size_t n);
/* The field's value (the first of that name, case-insensitive), or NULL. */
const char *warc_rec_field(const struct warc_rec *r, const char *name);
/* Asserts WARC-Block-Digest and, on a response, WARC-Payload-Digest. */
void warc_rec_check_digests(const struct warc_rec *r);
/* "sha1:" + base32 of n bytes, computed with GnuTLS; out has 38 bytes. */
void warc_sha1(const void *p, size_t n, char out[38]);
/* The warcio command (WARCIO, or build/warcio's), or NULL when absent. */
const char *warc_reader(void);

#endif
