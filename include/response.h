/* response: what one transfer learned, filled in once by the fetch layer
 * and read by everything after it: the record, the content handlers (HTML
 * parser, robots.txt), later the WARC writer and the sitemap reader. A new
 * field touches the place that learns it and the place that prints it.
 *
 * A response owns all its memory; response_free frees it and its strings.
 * Whoever the fetch layer hands it to owns it, and a response crossing a
 * channel belongs to the receiver. */
#ifndef CRAWLER_RESPONSE_H
#define CRAWLER_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "record.h"

struct warc_block;

/* The response's header block is kept up to this size; a server sending
 * more gets the rest dropped (libcurl still parses all of it). */
#define RESPONSE_MAX_HEADER_BYTES (64 * 1024)

/* Microseconds from the start of the transfer to the end of each phase, as
 * libcurl measures them (0 for a phase that did not happen, such as TLS on
 * plain http, or DNS for an IP address). */
struct response_timings {
	int64_t dns_us;
	int64_t connect_us;
	int64_t tls_us;
	int64_t ttfb_us;    /* first byte of the response */
	int64_t total_us;
};

struct response {
	int status;            /* HTTP status; 0 when no response arrived */
	int http_version;      /* 10, 11, 20 or 30; 0 when no response */
	char ip[48];           /* the server's address, or "" */
	char *content_type;    /* Content-Type as sent, or NULL */
	char *location;        /* Location of a 3xx as sent, or NULL */
	char *headers;         /* the final response's status line and header
				  fields as received (CRLF), NUL-terminated;
				  at most RESPONSE_MAX_HEADER_BYTES; or NULL */
	size_t headers_len;
	char *body;            /* decoded body when it was kept, else NULL
				  (decode.c undoes the Content-Encoding) */
	size_t body_len;
	bool truncated;        /* body stops at the size cap; more was sent */
	/* With fetch_config.archive (--warc), the exchange as it went, for
	 * the archive: */
	char *request;         /* request line and headers as sent (CRLF), or NULL */
	size_t request_len;
	char *raw;             /* body as received, Content-Encoding kept (libcurl
				  takes the chunked framing off), up to the cap */
	size_t raw_len;
	bool raw_cut;          /* raw stops short of what the server sent */
	struct warc_block *packed; /* headers and raw packed for the archive
				  (raw is freed then), or NULL */
	char *final_url;       /* the URL the last request went to (robots.txt
				  follows redirects), or NULL */
	bool refused;          /* keep_body refused the body: the transfer
				  ended after the headers, none downloaded */
	uint64_t bytes;        /* body bytes received, decoded */
	uint64_t wire_bytes;   /* body bytes received, before decoding */
	/* sha1 of the body as received (Content-Encoding kept, the chunked
	 * framing off: the WARC payload), of all that was taken (raw, with
	 * --warc), hashed as it came; "" when no body was read (refused). */
	char digest[DIGEST_SHA1_LEN];
	int64_t retry_after_ms; /* Retry-After of the reply; -1 when none */
	int64_t fetched_at_ms; /* wall clock at the start, ms since the epoch */
	struct response_timings timings;
	enum record_err err;   /* RECORD_ERR_NONE, or why the transfer failed */
	char *err_msg;         /* detail for err, or NULL */
};

/* One header field of a response's header block, pointing into it. */
struct response_field {
	const char *name;      /* as sent, not NUL-terminated */
	size_t name_len;
	const char *value;     /* trimmed of white space, not NUL-terminated */
	size_t value_len;
};

/* The header fields of r's block in the order received: *pos starts at 0;
 * each call fills *f and returns true, false past the last. The status
 * line, a continuation line (obsolete folding, RFC 9112 5.2) and a line
 * with no colon are passed over. */
bool response_next_field(const struct response *r, size_t *pos,
			 struct response_field *f);

/* Frees r and everything it holds; accepts NULL. */
void response_free(struct response *r);

#endif
