/* exchange: the wire form of one HTTP exchange (struct warc_exchange), as
 * a worker of a distributed crawl sends it to the collector in the `x`
 * field of a results stream entry (docs/DISTRIBUTED.md), for the
 * collector's WARC writer.
 *
 * The form is a version byte, a flags byte, date_ms, then seven fields in
 * a fixed order (uri, ip, request, head, payload, payload_digest,
 * truncated), each an 8-byte length and its bytes and a NUL. Numbers are
 * little-endian; a length of EXCHANGE_NONE is a NULL field (no bytes, no
 * NUL). The NULs let an unpacked exchange point into the buffer. */
#ifndef CRAWLER_EXCHANGE_H
#define CRAWLER_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>

#include "warc.h"

#define EXCHANGE_VERSION 1

/* x as bytes, malloc'd, *len set; x->block is ignored: the payload goes as
 * received. A NULL uri, head or payload goes as empty. NULL when out of
 * memory. */
char *exchange_pack(const struct warc_exchange *x, size_t *len);

/* The exchange p holds, into *x: its strings point into p, which must
 * outlive it (x->block is NULL). False, *x unspecified, when p is not
 * one: another version, truncated, a length past its end, bytes left
 * over, a string with a NUL, CR or LF in it (they would break the WARC
 * record's fields), a digest not of the length a SHA-1's takes, or a
 * date outside years 1970 to 9999. Reads no byte outside p[0, len). */
bool exchange_unpack(const char *p, size_t len, struct warc_exchange *x);

#endif
