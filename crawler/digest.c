/* digest: SHA-1 (nettle) printed as WARC's "sha1:" + RFC 4648 base32. */
#include "digest.h"

#include <stdint.h>
#include <string.h>

void digest_init(struct digest *d)
{
	sha1_init(&d->sha1);
}

void digest_update(struct digest *d, const void *p, size_t n)
{
	sha1_update(&d->sha1, n, p);
}

/* RFC 4648 section 6: 20 bytes are exactly 32 groups of 5 bits, so no
 * padding. */
static void base32(const uint8_t in[SHA1_DIGEST_SIZE], char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned bits = 0, acc = 0, o = 0;

	for (size_t i = 0; i < SHA1_DIGEST_SIZE; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = alphabet[(acc >> bits) & 31];
		}
	}
	out[o] = '\0';
}

void digest_final(struct digest *d, char out[DIGEST_SHA1_LEN])
{
	uint8_t raw[SHA1_DIGEST_SIZE];

	sha1_digest(&d->sha1, sizeof(raw), raw);
	/* base32 adds the NUL after the prefix. */
	memcpy(out, "sha1:", 5); // NOLINT(bugprone-not-null-terminated-result)
	base32(raw, out + 5);
}

void digest_sha1(const void *p, size_t n, char out[DIGEST_SHA1_LEN])
{
	struct digest d;

	digest_init(&d);
	digest_update(&d, p, n);
	digest_final(&d, out);
}
