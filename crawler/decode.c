/* decode: Content-Encoding undone as bytes arrive (see decode.h).
 *
 * A decoder is a chain of stages, one per coding, in decoding order (the
 * last coding listed first). Each coding is a row of ops: a step takes
 * what input it can and fills one output buffer; the driver hands that
 * buffer to the next stage, or to the sink after the last. Output buffers
 * are on the stack (DECODE_CHUNK per stage), so a decoder holds only the
 * codecs' own state between calls. */
#include "decode.h"

#include <brotli/decode.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#define ZLIB_CONST /* next_in takes const bytes */
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

/* What one step of a codec came to. */
enum step {
	STEP_MORE,  /* all input taken; more is needed to go on */
	STEP_FULL,  /* the output buffer is full: step again */
	STEP_END,   /* the stream ended */
	STEP_ERR,   /* corrupt input */
	STEP_NOMEM,
};

struct stage;

struct codec {
	const char *name;
	enum decode_status (*init)(struct stage *s);
	/* Takes from *in (*in_len bytes, both advanced), fills out (cap
	 * bytes) to *got. */
	enum step (*step)(struct stage *s, const unsigned char **in, size_t *in_len,
			  unsigned char *out, size_t cap, size_t *got);
	/* After STEP_END, with input left that starts with next: whether a
	 * new stream starts there. NULL: what follows the end is ignored. */
	bool (*again)(struct stage *s, unsigned char next);
	void (*release)(struct stage *s);
};

struct stage {
	const struct codec *codec;
	bool ended;                 /* the stream ended */
	bool trailing;              /* and what came after it started no new
				       one: the rest is ignored */
	union {
		z_stream z;         /* gzip, deflate: must not move once set up */
		BrotliDecoderState *br;
		ZSTD_DStream *zs;
	} u;
	/* deflate: the first two bytes say which wrapper, if any; zstd: the
	 * first four of each frame say it is one of RFC 8878's. */
	unsigned char head[4];
	size_t nhead;
	bool zinit;                 /* u.z is set up */
	bool in_frame;              /* zstd: a frame's magic number is passed */
};

struct decoder {
	decode_sink sink;
	void *arg;
	enum decode_status status;  /* sticky once not DECODE_OK */
	size_t n;                   /* stages */
	struct stage stages[DECODE_MAX_CODINGS];
};

/* ---- zlib: gzip and deflate --------------------------------------------- */

static enum decode_status z_init(struct stage *s, int window_bits)
{
	if (inflateInit2(&s->u.z, window_bits) != Z_OK)
		return DECODE_NOMEM;
	s->zinit = true;
	return DECODE_OK;
}

static enum decode_status gzip_init(struct stage *s)
{
	return z_init(s, 16 + MAX_WBITS);
}

/* deflate is set up once its first two bytes are in (deflate_step). */
static enum decode_status deflate_init(struct stage *s)
{
	(void)s;
	return DECODE_OK;
}

static enum step z_step(struct stage *s, const unsigned char **in, size_t *in_len,
			unsigned char *out, size_t cap, size_t *got)
{
	z_stream *z = &s->u.z;
	/* A uInt holds 4 GiB; more input is taken on the next step. */
	uInt avail = *in_len > UINT_MAX ? UINT_MAX : (uInt)*in_len;
	int rc;

	z->next_in = *in;
	z->avail_in = avail;
	z->next_out = out + *got;
	z->avail_out = (uInt)(cap - *got);
	rc = inflate(z, Z_NO_FLUSH);
	*in += avail - z->avail_in;
	*in_len -= avail - z->avail_in;
	*got = cap - z->avail_out;
	switch (rc) {
	case Z_STREAM_END:
		return STEP_END;
	case Z_OK:
	case Z_BUF_ERROR: /* no progress possible: out of input or room */
		return z->avail_out ? (*in_len ? STEP_FULL : STEP_MORE) : STEP_FULL;
	case Z_MEM_ERROR:
		return STEP_NOMEM;
	default:
		return STEP_ERR;
	}
}

/* RFC 1950 2.2: method 8 with a window of at most 32 KiB, and a check sum
 * that makes the first two bytes a multiple of 31. */
static bool zlib_header(const unsigned char h[2])
{
	return (h[0] & 0x0f) == 8 && (h[0] >> 4) <= 7 && ((h[0] << 8) | h[1]) % 31 == 0;
}

/* RFC 9110 names the zlib format for deflate, but some servers send raw
 * deflate, which browsers (and libcurl) take: a body that does not start
 * with a zlib header is read as raw deflate, as Chromium does. */
static enum step deflate_step(struct stage *s, const unsigned char **in,
			      size_t *in_len, unsigned char *out, size_t cap,
			      size_t *got)
{
	const unsigned char *h = s->head;
	size_t n = 2;
	enum step r;

	if (s->zinit)
		return z_step(s, in, in_len, out, cap, got);
	while (s->nhead < 2 && *in_len) {
		s->head[s->nhead++] = **in;
		(*in)++;
		(*in_len)--;
	}
	if (s->nhead < 2)
		return STEP_MORE;
	if (z_init(s, zlib_header(s->head) ? MAX_WBITS : -MAX_WBITS) != DECODE_OK)
		return STEP_NOMEM;
	/* Two bytes decode to far less than a buffer. */
	r = z_step(s, &h, &n, out, cap, got);
	if (r != STEP_MORE)
		return r;
	return z_step(s, in, in_len, out, cap, got);
}

/* RFC 1952 2.2: a gzip file may hold several members, read as one. */
static bool gzip_again(struct stage *s, unsigned char next)
{
	return next == 0x1f && inflateReset(&s->u.z) == Z_OK;
}

static void z_release(struct stage *s)
{
	if (s->zinit)
		inflateEnd(&s->u.z);
}

/* ---- brotli (RFC 7932) --------------------------------------------------- */

static enum decode_status br_init(struct stage *s)
{
	s->u.br = BrotliDecoderCreateInstance(NULL, NULL, NULL);
	return s->u.br ? DECODE_OK : DECODE_NOMEM;
}

static enum step br_step(struct stage *s, const unsigned char **in, size_t *in_len,
			 unsigned char *out, size_t cap, size_t *got)
{
	size_t avail_out = cap - *got;
	uint8_t *next_out = out + *got;
	BrotliDecoderResult rc = BrotliDecoderDecompressStream(
		s->u.br, in_len, in, &avail_out, &next_out, NULL);
	BrotliDecoderErrorCode e;

	*got = cap - avail_out;
	switch (rc) {
	case BROTLI_DECODER_RESULT_SUCCESS:
		return STEP_END;
	case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
		return STEP_MORE;
	case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
		return STEP_FULL;
	default:
		e = BrotliDecoderGetErrorCode(s->u.br);
		/* The ALLOC_ codes are -30 to -21 (brotli/decode.h). */
		return e >= BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES &&
				       e <= BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES ?
			       STEP_NOMEM : STEP_ERR;
	}
}

static void br_release(struct stage *s)
{
	if (s->u.br)
		BrotliDecoderDestroyInstance(s->u.br);
}

/* ---- zstd (RFC 8878) ----------------------------------------------------- */

/* RFC 8878 3.1.1.1.2 asks decoders for HTTP to support windows up to
 * 8 MB and no more: a frame asking for libzstd's default 128 MB would
 * cost that much memory per transfer. */
#define ZSTD_WINDOW_LOG_MAX 23

static enum decode_status zstd_init(struct stage *s)
{
	s->u.zs = ZSTD_createDStream();
	if (!s->u.zs)
		return DECODE_NOMEM;
	if (ZSTD_isError(ZSTD_DCtx_setParameter(s->u.zs, ZSTD_d_windowLogMax,
						 ZSTD_WINDOW_LOG_MAX)))
		return DECODE_NOMEM;
	return DECODE_OK;
}

static enum step zstd_run(struct stage *s, const unsigned char **in, size_t *in_len,
			  unsigned char *out, size_t cap, size_t *got)
{
	ZSTD_inBuffer ib = { *in, *in_len, 0 };
	ZSTD_outBuffer ob = { out, cap, *got };
	size_t rc = ZSTD_decompressStream(s->u.zs, &ob, &ib);

	*in += ib.pos;
	*in_len -= ib.pos;
	*got = ob.pos;
	if (ZSTD_isError(rc))
		return ZSTD_getErrorCode(rc) == ZSTD_error_memory_allocation ?
			       STEP_NOMEM : STEP_ERR;
	if (rc == 0)
		return STEP_END; /* a frame decoded and flushed */
	return ob.pos == ob.size || *in_len ? STEP_FULL : STEP_MORE;
}

/* RFC 8878 3.1.1 and 3.1.2: a Zstandard frame or a skippable one. Debian's
 * libzstd also decodes the legacy formats of its 0.x versions, which no
 * HTTP coding names (and whose decoders give different bytes for the same
 * corrupt input, cut up differently). */
static bool zstd_magic(const unsigned char h[4])
{
	static const unsigned char zstd1[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	return memcmp(h, zstd1, 4) == 0 ||
	       ((h[0] & 0xf0) == 0x50 && h[1] == 0x2a && h[2] == 0x4d && h[3] == 0x18);
}

static enum step zstd_step(struct stage *s, const unsigned char **in, size_t *in_len,
			   unsigned char *out, size_t cap, size_t *got)
{
	const unsigned char *h = s->head;
	size_t n = 4;

	if (s->in_frame)
		return zstd_run(s, in, in_len, out, cap, got);
	while (s->nhead < 4 && *in_len) {
		s->head[s->nhead++] = **in;
		(*in)++;
		(*in_len)--;
	}
	if (s->nhead < 4)
		return STEP_MORE;
	if (!zstd_magic(s->head))
		return STEP_ERR;
	s->in_frame = true;
	/* Four bytes of a frame header make no output. */
	if (zstd_run(s, &h, &n, out, cap, got) == STEP_ERR)
		return STEP_ERR;
	return zstd_run(s, in, in_len, out, cap, got);
}

/* RFC 8878 3: a stream is a sequence of frames, each with its magic. */
static bool zstd_again(struct stage *s, unsigned char next)
{
	(void)next;
	s->in_frame = false;
	s->nhead = 0;
	return true;
}

static void zstd_release(struct stage *s)
{
	ZSTD_freeDStream(s->u.zs);
}

static const struct codec codecs[] = {
	{ "gzip", gzip_init, z_step, gzip_again, z_release },
	{ "x-gzip", gzip_init, z_step, gzip_again, z_release }, /* RFC 9110 8.4.1.3 */
	{ "deflate", deflate_init, deflate_step, NULL, z_release },
	{ "br", br_init, br_step, NULL, br_release },
	{ "zstd", zstd_init, zstd_step, zstd_again, zstd_release },
};

/* ---- the chain ----------------------------------------------------------- */

static const struct codec *codec_named(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (strlen(codecs[i].name) == len &&
		    strncasecmp(codecs[i].name, name, len) == 0)
			return &codecs[i];
	return NULL;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* The codings of the list into out, last first. false when one is
 * unknown or there are more than DECODE_MAX_CODINGS; *n may be 0. */
static bool codings_of(const char *list, const struct codec **out, size_t *n)
{
	const struct codec *found[DECODE_MAX_CODINGS];
	size_t k = 0;

	while (*list) {
		size_t len;

		while (is_ows(*list) || *list == ',')
			list++;
		len = strcspn(list, ",");
		while (len && is_ows(list[len - 1]))
			len--;
		if (len && !(len == 8 && strncasecmp(list, "identity", 8) == 0)) {
			if (k == DECODE_MAX_CODINGS ||
			    !(found[k++] = codec_named(list, len)))
				return false;
		}
		list += len;
		while (is_ows(*list))
			list++;
	}
	for (size_t i = 0; i < k; i++)
		out[i] = found[k - 1 - i];
	*n = k;
	return true;
}

struct decoder *decode_new(const char *coding, decode_sink sink, void *arg,
			   enum decode_status *st)
{
	const struct codec *chain[DECODE_MAX_CODINGS];
	struct decoder *d;
	size_t n = 0;

	*st = DECODE_OK;
	if (!coding || !codings_of(coding, chain, &n) || n == 0)
		return NULL;
	if (!(d = calloc(1, sizeof(*d)))) {
		*st = DECODE_NOMEM;
		return NULL;
	}
	d->sink = sink;
	d->arg = arg;
	for (; d->n < n; d->n++) {
		d->stages[d->n].codec = chain[d->n];
		if ((*st = chain[d->n]->init(&d->stages[d->n])) != DECODE_OK) {
			d->n++; /* released with the others */
			decode_free(d);
			return NULL;
		}
	}
	return d;
}

static enum decode_status stage_feed(struct decoder *d, size_t k,
				     const unsigned char *p, size_t n);

/* Stage k's output, to the next stage or the sink. */
static enum decode_status pass_on(struct decoder *d, size_t k,
				  const unsigned char *p, size_t n)
{
	if (k + 1 < d->n)
		return stage_feed(d, k + 1, p, n);
	return d->sink(d->arg, (const char *)p, n) ? DECODE_OK : DECODE_STOPPED;
}

/* Whether input after the end of stage k's stream starts a new one. */
static bool restart(struct stage *s, unsigned char next)
{
	if (!s->codec->again || !s->codec->again(s, next))
		return false;
	s->ended = false;
	return true;
}

/* Runs stage k over n bytes, and what comes of them down the chain. The
 * step is repeated while its buffer fills: a byte of input can be
 * megabytes of output, each buffer passed on before the next is made. */
static enum decode_status stage_feed(struct decoder *d, size_t k,
				     const unsigned char *p, size_t n)
{
	struct stage *s = &d->stages[k];
	unsigned char out[DECODE_CHUNK];
	enum step r;

	do {
		size_t got = 0;
		enum decode_status st;

		if (s->ended && n && (s->trailing || !restart(s, *p))) {
			s->trailing = true; /* however the rest is cut up */
			return DECODE_OK;
		}
		r = s->codec->step(s, &p, &n, out, sizeof(out), &got);
		if (got && (st = pass_on(d, k, out, got)) != DECODE_OK)
			return st;
		if (r == STEP_ERR)
			return DECODE_CORRUPT;
		if (r == STEP_NOMEM)
			return DECODE_NOMEM;
		s->ended = r == STEP_END;
	} while (r == STEP_FULL || n);
	return DECODE_OK;
}

enum decode_status decode_feed(struct decoder *d, const void *p, size_t n)
{
	if (d->status == DECODE_OK && n)
		d->status = stage_feed(d, 0, p, n);
	return d->status;
}

enum decode_status decode_finish(struct decoder *d)
{
	if (d->status != DECODE_OK)
		return d->status;
	for (size_t k = 0; k < d->n; k++)
		if (!d->stages[k].ended)
			return DECODE_TRUNCATED;
	return DECODE_OK;
}

void decode_free(struct decoder *d)
{
	if (!d)
		return;
	for (size_t k = 0; k < d->n; k++)
		d->stages[k].codec->release(&d->stages[k]);
	free(d);
}
