/* warc: the web archive of a crawl, ISO 28500 WARC/1.1, gzipped one member
 * per record (a reader can seek to any record and inflate it alone).
 *
 * FILE names the series: a trailing ".warc.gz" (or ".warc") is taken off
 * and each file is FILE-NNNNN.warc.gz, numbered from 00000; a FILE that
 * ends in ".warc" makes FILE-NNNNN.warc files instead, records as they
 * are, with no gzip (wget's --no-warc-compression: no CPU for deflate). A file opens
 * with a warcinfo record; the next one starts when an exchange would take
 * the file past max_bytes (a file holds at least one exchange whatever its
 * size).
 *
 * An exchange is a request record and its response record (linked both
 * ways by WARC-Concurrent-To on the request), or a revisit record instead
 * of the response when its payload is one already archived in this crawl
 * (identical-payload-digest profile). Payloads are remembered by digest,
 * up to max_digests of them (then new payloads are archived in full and
 * not remembered): a record id, a URL and a date each, about 200 bytes
 * plus the URL.
 *
 * One thread owns a struct warc (the writer). Errors are errnos. */
#ifndef CRAWLER_WARC_H
#define CRAWLER_WARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"

#define WARC_DEFAULT_MAX_BYTES (1024ULL * 1024 * 1024)
#define WARC_DEFAULT_MAX_DIGESTS 1000000

struct warc_config {
	const char *path;       /* FILE, as above; borrowed */
	uint64_t max_bytes;     /* per file; 0: no limit */
	size_t max_digests;     /* payloads remembered; 0: the default */
	const char *info;       /* more warcinfo fields, "name: value\r\n"
				   lines (robots, user agent); copied, or NULL */
	bool resume;            /* start after the files of the series that
				   exist, instead of at 00000 */
};

/* A response record's block (status line, headers, payload) and the
 * record's end, packed ahead by warc_pack on any thread (a parser, while
 * the page is in its cache), so the writer only frames it: deflated at
 * level 1, or stored when the payload is compressed already. */
struct warc_block {
	char *packed;            /* raw deflate blocks, the last final; malloc'd */
	size_t packed_len;
	uint64_t len;            /* bytes before packing */
	uint32_t crc;            /* their CRC-32 */
	uint64_t payload_len;
	char digest[DIGEST_SHA1_LEN];         /* WARC-Block-Digest */
	char payload_digest[DIGEST_SHA1_LEN]; /* WARC-Payload-Digest */
};

/* A thread's compressor; NULL for lack of memory. */
struct warc_packer;
struct warc_packer *warc_packer_new(void);
void warc_packer_free(struct warc_packer *p);

/* Pack head (as received) and payload (as received) into *b, which then
 * owns what it points to (warc_block_release). payload_digest: the
 * payload's, as the fetch hashed it, or NULL: hashed here. 0 or an
 * errno. */
int warc_pack(struct warc_packer *p, const char *head, size_t head_len,
	      const char *payload, size_t payload_len,
	      const char *payload_digest, bool compressed, struct warc_block *b);
void warc_block_release(struct warc_block *b);

struct warc;

/* The records of w are gzip members, so a block packed ahead is of use
 * (in a .warc series it is not: the writer must be given the payload). */
bool warc_packs(const struct warc *w);
/* Whether path names a gzipped series (it does not end in ".warc"). */
bool warc_path_gzipped(const char *path);

/* Only b's digests (no packing), for a record written as it is. */
void warc_digests(struct warc_block *b, const char *head, size_t head_len,
		  const char *payload, size_t payload_len, const char *payload_digest);

/* Whether a payload is compressed already: a Content-Encoding other than
 * identity, or a compressed media type (mediatype_compressed). Deflating
 * it again would cost a page's CPU and save nothing. */
bool warc_compressed_already(const char *content_encoding, const char *content_type);

/* One HTTP exchange, borrowed for the call. */
struct warc_exchange {
	const char *uri;         /* WARC-Target-URI */
	const char *ip;          /* WARC-IP-Address; NULL or "": none */
	int64_t date_ms;         /* when the request started, ms since the epoch */
	const char *request;     /* request line and headers as sent (CRLF, the
				    blank line included); NULL: no request record */
	size_t request_len;
	const char *head;        /* status line and headers as received */
	size_t head_len;
	const struct warc_block *block; /* head and payload packed, or NULL:
				    packed from what follows */
	const char *payload;     /* body as received (Content-Encoding kept) */
	size_t payload_len;
	bool compressed;         /* warc_compressed_already said so */
	const char *payload_digest; /* payload's "sha1:...", as the fetch hashed
				       it; NULL: hashed here */
	const char *truncated;   /* WARC-Truncated reason ("length"), or NULL */
};

/* Where a record is: its gzip member in its file. */
struct warc_ref {
	const char *file;        /* borrowed until warc_free */
	uint64_t offset;         /* bytes */
	uint64_t length;         /* bytes of the gzip member */
	bool revisit;            /* the record is a revisit */
};


/* NULL on failure, with the reason in err. */
struct warc *warc_new(const struct warc_config *cfg, char *err, size_t errlen);
/* Close the file and free w; NULL is accepted. 0 or the errno of close. */
int warc_free(struct warc *w);

/* Append x's records; *ref says where its response (or revisit) record
 * is. 0, or an errno: the file is then cut back to its last whole record. */
int warc_write(struct warc *w, const struct warc_exchange *x, struct warc_ref *ref);

/* A resumed crawl's archive: cut the series of path back to the record
 * the output names last (file, end: offset + length; file NULL: none),
 * so what an earlier run archived without its line is not there twice:
 * file is cut at end, and the files after it removed. 0 or an errno. */
int warc_cut(const char *path, const char *file, uint64_t end);

/* The name of file number n of the series of path, malloc'd; NULL when
 * out of memory. */
char *warc_file_name(const char *path, unsigned n);

#endif
