/* digest: SHA-1 in the form WARC and the records print it: "sha1:" and
 * the 20 bytes in RFC 4648 base32 (32 characters, no padding needed).
 * nettle does the hashing; a struct digest is the running state of one
 * hash, held by the caller. */
#ifndef CRAWLER_DIGEST_H
#define CRAWLER_DIGEST_H

#include <stddef.h>

#include <nettle/sha1.h>

/* "sha1:" + 32 base32 characters + NUL. */
#define DIGEST_SHA1_LEN (5 + 32 + 1)

struct digest {
	struct sha1_ctx sha1;
};

void digest_init(struct digest *d);
void digest_update(struct digest *d, const void *p, size_t n);
/* Writes "sha1:<base32>" into out; d must be initialised again to reuse. */
void digest_final(struct digest *d, char out[DIGEST_SHA1_LEN]);

/* The digest of n bytes at p, at once. */
void digest_sha1(const void *p, size_t n, char out[DIGEST_SHA1_LEN]);

#endif
