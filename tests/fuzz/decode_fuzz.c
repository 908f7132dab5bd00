/* Fuzz target for decode: the first byte picks the coding, the second the
 * size of the pieces the rest is fed in. Whatever the bytes, the decoder
 * ends with a status of its list, never hands the sink more than
 * DECODE_CHUNK at once, stops when the sink says so, and says the same
 * and makes the same (up to an error) fed in pieces as fed at once. Corpus: tests/fuzz/corpus/decode,
 * made with Python's zlib, the zstd command and libbrotlienc. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define OUT_CAP (1024 * 1024) /* what the sink takes before it says stop */

static const char *const codings[] = {
	"gzip", "deflate", "br", "zstd", "gzip, br", "deflate, zstd",
};

struct out {
	char *p;
	size_t len;
};

static bool take(void *arg, const char *p, size_t n)
{
	struct out *o = arg;

	FUZZ_CHECK(n > 0 && n <= DECODE_CHUNK);
	if (o->len + n > OUT_CAP)
		return false;
	memcpy(o->p + o->len, p, n);
	o->len += n;
	return true;
}

static enum decode_status run(const char *coding, const uint8_t *in, size_t n,
			      size_t step, struct out *o)
{
	enum decode_status st;
	struct decoder *d = decode_new(coding, take, o, &st);

	FUZZ_CHECK(d != NULL && st == DECODE_OK);
	for (size_t at = 0; at < n && st == DECODE_OK; at += step)
		st = decode_feed(d, in + at, n - at < step ? n - at : step);
	if (st == DECODE_OK)
		st = decode_finish(d);
	decode_free(d);
	FUZZ_CHECK(st <= DECODE_TRUNCATED);
	return st;
}

/* libzstd passes on a raw block's bytes as they come when fed in pieces,
 * but checks the block whole when it has all of it: near the cap one run
 * may stop there and the other find the corruption first, short of the
 * cap by less than a block (128 KiB). Either way the body is refused. */
static bool cap_or_corrupt(enum decode_status a, const struct out *oa,
			   enum decode_status b, const struct out *ob)
{
	const struct out *corrupt = a == DECODE_CORRUPT ? oa : ob;

	if (!((a == DECODE_STOPPED && b == DECODE_CORRUPT) ||
	      (a == DECODE_CORRUPT && b == DECODE_STOPPED)))
		return false;
	return corrupt->len + 128 * 1024 >= OUT_CAP;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct out whole, pieces;
	const char *coding;
	size_t step;
	enum decode_status a, b;

	if (size < 2)
		return 0;
	if (!whole.p && (!(whole.p = malloc(OUT_CAP)) || !(pieces.p = malloc(OUT_CAP))))
		return 0;
	coding = codings[data[0] % (sizeof(codings) / sizeof(codings[0]))];
	step = (size_t)data[1] + 1;
	whole.len = pieces.len = 0;
	a = run(coding, data + 2, size - 2, size, &whole);
	b = run(coding, data + 2, size - 2, step, &pieces);
	FUZZ_CHECK(a == b || cap_or_corrupt(a, &whole, b, &pieces));
	/* Stopped at the cap, each run stops at a piece of its own; at an
	 * error, what the call that found it made may be lost (libzstd does
	 * not count it): then one output starts the other. */
	if (a == DECODE_OK || a == DECODE_TRUNCATED)
		FUZZ_CHECK(whole.len == pieces.len);
	FUZZ_CHECK(memcmp(whole.p, pieces.p,
			  whole.len < pieces.len ? whole.len : pieces.len) == 0);
	return 0;
}
