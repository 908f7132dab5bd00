/* Tests for decode: each coding undone, in one piece and a byte at a
 * time, a list of codings, corrupt and truncated input, trailing bytes,
 * and a bomb stopped by its sink. The encoded bytes come from the
 * libraries' encoders (tests/support/testgz.c). */
#include "decode.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testgz.h"

/* What a sink was given, up to a cap; over it, the sink says stop. */
struct out {
	char *p;
	size_t len, cap, calls;
	size_t max_chunk;   /* largest piece handed over */
};

static bool collect(void *arg, const char *p, size_t n)
{
	struct out *o = arg;

	o->calls++;
	if (n > o->max_chunk)
		o->max_chunk = n;
	if (o->len + n > o->cap)
		return false;
	memcpy(o->p + o->len, p, n);
	o->len += n;
	return true;
}

static struct out out_new(size_t cap)
{
	struct out o = { .p = malloc(cap ? cap : 1), .cap = cap };

	cr_assert(o.p);
	return o;
}

/* A text long enough to take several output buffers. */
static char *sample(size_t *n)
{
	size_t cap = 200000, len = 0;
	char *s = malloc(cap);

	cr_assert(s);
	for (unsigned i = 0; len + 64 < cap; i++)
		len += (size_t)snprintf(s + len, cap - len,
					"<p>line %u of the sample page</p>\n", i * 7919u);
	*n = len;
	return s;
}

/* Decode enc in pieces of step bytes (0: all at once) into o. */
static enum decode_status run(const char *coding, const char *enc, size_t len,
			      size_t step, struct out *o)
{
	enum decode_status st;
	struct decoder *d = decode_new(coding, collect, o, &st);

	cr_assert_not_null(d, "a decoder for %s", coding);
	cr_assert_eq(st, DECODE_OK);
	for (size_t at = 0; at < len && st == DECODE_OK;) {
		size_t n = step && len - at > step ? step : len - at;

		st = decode_feed(d, enc + at, n);
		at += n;
	}
	if (st == DECODE_OK)
		st = decode_finish(d);
	decode_free(d);
	return st;
}

static void round_trip(const char *coding, const char *encoder, size_t step)
{
	size_t n, elen;
	char *plain = sample(&n);
	char *enc = testenc(encoder, plain, n, &elen);
	struct out o = out_new(n);

	cr_expect_eq(run(coding, enc, elen, step, &o), DECODE_OK, "%s", coding);
	cr_expect_eq(o.len, n, "%s: %zu bytes, not %zu", coding, o.len, n);
	cr_expect_eq(memcmp(o.p, plain, n < o.len ? n : o.len), 0, "%s", coding);
	cr_expect_leq(o.max_chunk, DECODE_CHUNK);
	free(o.p);
	free(enc);
	free(plain);
}

struct pair {
	const char *coding, *encoder;
};

/* Parameters are indices into this: Criterion runs each test in a
 * process of its own, where a pointer from the parent may not hold. */
static const struct pair codings[] = {
	{ "gzip", "gzip" },  { "x-gzip", "gzip" },  { "deflate", "deflate" },
	{ "deflate", "rawdeflate" }, { "br", "br" }, { "zstd", "zstd" },
	{ "GZip", "gzip" },  { " br ", "br" },
};

#define NCODINGS (sizeof(codings) / sizeof(codings[0]))
/* The first six have an encoder each. */
#define NENCODERS 6

static size_t indices[NCODINGS] = { 0, 1, 2, 3, 4, 5, 6, 7 };

ParameterizedTestParameters(decode, each_coding_is_undone)
{
	return cr_make_param_array(size_t, indices, NCODINGS);
}

ParameterizedTest(const size_t *i, decode, each_coding_is_undone)
{
	const struct pair *p = &codings[*i];

	round_trip(p->coding, p->encoder, 0);
}

ParameterizedTestParameters(decode, each_coding_is_undone_fed_a_byte_at_a_time)
{
	return cr_make_param_array(size_t, indices, NCODINGS);
}

ParameterizedTest(const size_t *i, decode,
		  each_coding_is_undone_fed_a_byte_at_a_time)
{
	const struct pair *p = &codings[*i];

	round_trip(p->coding, p->encoder, 1);
}

Test(decode, identity_none_and_unknown_codings_have_no_decoder)
{
	static const char *const none[] = {
		NULL, "", "identity", " identity , ", "compress", "gzip, sdch",
		"gzip, gzip, gzip, gzip, gzip",
	};
	enum decode_status st;
	struct out o = out_new(1);

	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		st = DECODE_NOMEM;
		cr_expect_null(decode_new(none[i], collect, &o, &st), "%s",
			       none[i] ? none[i] : "NULL");
		cr_expect_eq(st, DECODE_OK);
	}
	free(o.p);
}

Test(decode, a_list_of_codings_is_undone_from_the_last)
{
	size_t n, glen, blen;
	char *plain = sample(&n);
	char *gz = testenc("gzip", plain, n, &glen);
	char *both = testenc("br", gz, glen, &blen); /* "gzip, br" */
	struct out o = out_new(n);

	cr_expect_eq(run("gzip, identity, br", both, blen, 7, &o), DECODE_OK);
	cr_expect_eq(o.len, n);
	cr_expect_eq(memcmp(o.p, plain, n), 0);
	free(o.p);
	free(both);
	free(gz);
	free(plain);
}

/* Two streams of coding one after the other decode as one body. */
static void expect_two_streams_one_body(const char *coding)
{
	size_t alen, blen;
	char *a = testenc(coding, "first ", 6, &alen), *b = testenc(coding, "second", 6, &blen);
	char *both = malloc(alen + blen);
	struct out o = out_new(64);

	cr_assert(both);
	memcpy(both, a, alen);
	memcpy(both + alen, b, blen);
	cr_expect_eq(run(coding, both, alen + blen, 1, &o), DECODE_OK);
	cr_expect_eq(o.len, 12);
	cr_expect_eq(memcmp(o.p, "first second", 12), 0);
	free(o.p);
	free(both);
	free(a);
	free(b);
}

Test(decode, gzip_members_one_after_another_are_one_body)
{
	expect_two_streams_one_body("gzip");
}

Test(decode, bytes_after_the_end_of_a_stream_are_ignored)
{
	static const char *const encoders[] = { "gzip", "deflate", "br" };

	for (size_t i = 0; i < sizeof(encoders) / sizeof(encoders[0]); i++) {
		size_t len;
		char *enc = testenc(encoders[i], "hello", 5, &len);
		char *more = realloc(enc, len + 4);
		struct out o = out_new(16);

		cr_assert(more);
		memcpy(more + len, "junk", 4);
		cr_expect_eq(run(encoders[i], more, len + 4, 0, &o), DECODE_OK,
			     "%s", encoders[i]);
		cr_expect_eq(o.len, 5, "%s", encoders[i]);
		free(o.p);
		free(more);
	}
}

/* Raw deflate (index 3) has no check sum to catch a changed byte. */
static size_t checked[] = { 0, 1, 2, 4, 5 };

ParameterizedTestParameters(decode, corrupt_input_is_an_error)
{
	return cr_make_param_array(size_t, checked, sizeof(checked) / sizeof(checked[0]));
}

/* The stream's middle overwritten: each coding's own checks (a CRC or
 * Adler-32, brotli's and zstd's structure) catch it. */
ParameterizedTest(const size_t *i, decode, corrupt_input_is_an_error)
{
	const struct pair *p = &codings[*i];
	size_t n, len;
	char *plain = sample(&n);
	char *enc = testenc(p->encoder, plain, n, &len);
	struct out o = out_new(2 * n); /* a corrupt stream can say more */

	memset(enc + len / 2, 0x55, len / 4 > 8 ? 8 : len / 4);
	cr_expect_eq(run(p->coding, enc, len, 0, &o), DECODE_CORRUPT, "%s",
		     p->encoder);
	free(o.p);
	free(enc);
	free(plain);
}

Test(decode, text_that_is_no_coding_at_all_is_an_error)
{
	static const char *const codings_[] = { "gzip", "br", "zstd" };
	static const char text[] = "this is not gzip at all, really!";

	for (size_t i = 0; i < sizeof(codings_) / sizeof(codings_[0]); i++) {
		struct out o = out_new(64);

		cr_expect_eq(run(codings_[i], text, sizeof(text) - 1, 0, &o),
			     DECODE_CORRUPT, "%s", codings_[i]);
		free(o.p);
	}
}

ParameterizedTestParameters(decode, truncated_input_is_an_error_at_the_end)
{
	return cr_make_param_array(size_t, indices, NENCODERS);
}

ParameterizedTest(const size_t *i, decode, truncated_input_is_an_error_at_the_end)
{
	const struct pair *p = &codings[*i];
	size_t n, len;
	char *plain = sample(&n);
	char *enc = testenc(p->encoder, plain, n, &len);
	struct out o = out_new(n);

	/* Cut in the middle, and cut only by its last bytes (gzip's length,
	 * zlib's Adler-32: all the text is out, the stream is not over). */
	cr_expect_eq(run(p->coding, enc, len / 2, 1, &o), DECODE_TRUNCATED, "%s",
		     p->encoder);
	cr_expect_lt(o.len, n, "%s", p->encoder);
	o.len = 0;
	cr_expect_eq(run(p->coding, enc, len - 2, 0, &o), DECODE_TRUNCATED, "%s",
		     p->encoder);
	free(o.p);
	free(enc);
	free(plain);
}

ParameterizedTestParameters(decode, a_bomb_stops_at_the_sinks_cap)
{
	return cr_make_param_array(size_t, indices, NENCODERS);
}

/* 16 MiB of spaces is a few KiB in any of them; the decoder makes no
 * more than a buffer past the cap before it stops. */
ParameterizedTest(const size_t *i, decode, a_bomb_stops_at_the_sinks_cap)
{
	const struct pair *p = &codings[*i];
	size_t n = 16u << 20, len;
	char *plain = malloc(n);
	char *enc;
	struct out o = out_new(64 * 1024);

	cr_assert(plain);
	memset(plain, ' ', n);
	enc = testenc(p->encoder, plain, n, &len);
	free(plain);
	cr_assert_lt(len, 64 * 1024, "%s: %zu bytes", p->encoder, len);
	cr_expect_eq(run(p->coding, enc, len, 0, &o), DECODE_STOPPED, "%s", p->encoder);
	cr_expect_leq(o.len, 64 * 1024);
	cr_expect_leq(o.calls, 64 * 1024 / DECODE_CHUNK + 2, "%s: the sink was called %zu times",
		      p->encoder, o.calls);
	free(o.p);
	free(enc);
}

Test(decode, a_frame_of_a_legacy_zstd_format_is_corrupt)
{
	/* zstd 0.7's magic number (fd2fb527), which libzstd decodes when built
	 * with legacy support, and RFC 8878 does not name. */
	static const char legacy[] = "\x27\xb5\x2f\xfd\x74\x31\x03\xdd\x01\x00\x54\xe2"
				     "\x00\x00\x20\x60\x00\x00\x22\x51\xff\xff\xff\xff";
	struct out o = out_new(64 * 1024);

	cr_expect_eq(run("zstd", legacy, sizeof(legacy) - 1, 1, &o), DECODE_CORRUPT);
	cr_expect_eq(o.len, 0);
	free(o.p);
}

Test(decode, zstd_frames_one_after_another_are_one_body)
{
	expect_two_streams_one_body("zstd");
}
