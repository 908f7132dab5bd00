/* decode: undo an HTTP Content-Encoding (RFC 9110 8.4) as the bytes
 * arrive: gzip (and x-gzip), deflate (the zlib wrapper RFC 9110 names, or
 * raw deflate, which browsers take too), br (libbrotli) and zstd (libzstd),
 * the codings libcurl 7.88 can ask for. A list of codings ("gzip, br":
 * gzip applied first) is undone from the last, up to DECODE_MAX_CODINGS.
 *
 * A decoder hands its output to the caller's sink in pieces of at most
 * DECODE_CHUNK bytes; a sink that says stop stops the decoder at once, so
 * a caller's cap bounds what a bomb costs (nothing is decoded ahead of the
 * sink). The caller owns the decoder (decode_new/decode_free); the sink's
 * bytes are borrowed for the call. */
#ifndef CRAWLER_DECODE_H
#define CRAWLER_DECODE_H

#include <stdbool.h>
#include <stddef.h>

#define DECODE_MAX_CODINGS 4
#define DECODE_CHUNK (16 * 1024) /* bytes handed to the sink at most */

enum decode_status {
	DECODE_OK = 0,
	DECODE_STOPPED = 1,   /* the sink said stop */
	DECODE_CORRUPT = 2,   /* the input is not the coding it claims */
	DECODE_TRUNCATED = 3, /* decode_finish: the input ended inside a stream */
	DECODE_NOMEM = 4,
};

/* Takes n decoded bytes at p; false stops the decoder (DECODE_STOPPED). */
typedef bool (*decode_sink)(void *arg, const char *p, size_t n);

struct decoder;

/* A decoder for the Content-Encoding value coding (case does not matter;
 * "identity" entries are passed over). NULL with *st DECODE_OK when there
 * is nothing to undo: no coding, identity, or one we do not know (the
 * body is then passed on as it came); NULL with DECODE_NOMEM on failure. */
struct decoder *decode_new(const char *coding, decode_sink sink, void *arg,
			   enum decode_status *st);

/* n more input bytes. After a status other than DECODE_OK the decoder
 * takes no more input (each later call returns that status). */
enum decode_status decode_feed(struct decoder *d, const void *p, size_t n);

/* The input is over: DECODE_OK if every stream ended, DECODE_TRUNCATED if
 * one had not, or the status that stopped it. Bytes after the end of a
 * gzip, deflate or br stream are ignored (libcurl and browsers do the same
 * for gzip), unless they start another gzip member; after a zstd frame
 * they are read as the next frame. */
enum decode_status decode_finish(struct decoder *d);

/* Frees d and its codec state; accepts NULL. */
void decode_free(struct decoder *d);

#endif
