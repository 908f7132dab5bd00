/* record: what the crawl learned about one fetched URL, the unit that flows
 * from the fetch and parse stages to the writer, and its JSON form (one line
 * of the output; man/crawler.1 OUTPUT is the reference).
 *
 * A record owns all its strings. Once sent on the results channel it
 * belongs to the writer. */
#ifndef CRAWLER_RECORD_H
#define CRAWLER_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct response;

/* Error kinds: the enum, the JSON name and the default message, together. */
#define RECORD_ERR_MAP(X)                                                     \
	X(NONE, "none", "no error")                                           \
	X(TIMEOUT, "timeout", "the request took longer than allowed")         \
	X(DNS, "dns", "the host name could not be resolved")                  \
	X(CONNECT, "connect", "the connection failed")                        \
	X(TLS, "tls", "the TLS handshake or certificate check failed")        \
	X(HTTP, "http", "the server broke the HTTP exchange")                 \
	X(TOO_LARGE, "too_large", "the body is larger than --max-size")       \
	X(CANCELED, "canceled", "the crawl stopped during the transfer")      \
	X(ROBOTS, "robots", "disallowed by robots.txt")                      \
	X(TYPE_REJECTED, "type_rejected",                                     \
	  "the Content-Type is refused by --accept-type or --reject-type")    \
	X(REDIRECT_LOOP, "redirect_loop", "the redirect leads back into its chain") \
	X(TOO_MANY_REDIRECTS, "too_many_redirects",                           \
	  "the redirect chain is longer than --max-redirects")                \
	X(INTERNAL, "internal", "the crawler failed (out of memory?)")

enum record_err {
#define RECORD_ERR_ENUM(name, json, text) RECORD_ERR_##name,
	RECORD_ERR_MAP(RECORD_ERR_ENUM)
#undef RECORD_ERR_ENUM
	RECORD_ERR_COUNT
};

/* How a URL came to the crawl: the enum and the JSON name, together. The
 * values are written to --state journals (in the entry flags): a new one
 * goes at the end. */
#define RECORD_VIA_MAP(X)                                                     \
	X(SEED, "seed")         /* given on the command line or by -i */      \
	X(LINK, "link")         /* a link of a page it was found on */        \
	X(REDIRECT, "redirect") /* the target of a 3xx */                     \
	X(SITEMAP, "sitemap")   /* listed in a sitemap */                     \
	X(RESOURCE, "resource") /* embedded by a page (--resources) */        \
	X(CSS, "css")           /* named by a stylesheet */

enum record_via {
#define RECORD_VIA_ENUM(name, json) RECORD_VIA_##name,
	RECORD_VIA_MAP(RECORD_VIA_ENUM)
#undef RECORD_VIA_ENUM
	RECORD_VIA_COUNT
};

/* Microseconds from the start of the transfer to the end of each phase
 * (cumulative, as libcurl measures them; 0 for a phase that did not
 * happen). */
struct record_timings {
	int64_t dns_us;
	int64_t connect_us;
	int64_t tls_us;
	int64_t ttfb_us;      /* first byte of the response */
	int64_t total_us;
};

/* Strings packed one after the other, each with its NUL, in one
 * allocation: a record's lists are short and live briefly. */
struct record_strs {
	char *buf;            /* malloc'd, or NULL when empty */
	size_t len;           /* bytes used, NULs included */
};

/* "sha1:" and the 32 letters of RFC 4648 base32 of a SHA-1, and a NUL. */
#define RECORD_DIGEST_SIZE 38

struct record {
	char *url;            /* canonical URL */
	enum record_via via;  /* how url was found */
	char *parent;         /* page that linked here; NULL for a seed */
	unsigned depth;       /* hops from a seed */
	uint64_t ticket;      /* its lease's fencing token in a crawl shared
				 through Redis (frontier_lease.ticket), to
				 publish it with; 0 otherwise */
	int status;           /* HTTP status; 0 when no response arrived */
	char *content_type;   /* Content-Type as sent, or NULL */
	uint64_t bytes;       /* body bytes received, after decoding */
	char *title;          /* page title, or NULL */
	long nlinks;          /* http(s) links found; -1 when not parsed */
	char **outlinks;      /* the links, when kept for --links */
	size_t noutlinks;     /* entries in outlinks */
	char *location;       /* canonical redirect target, or NULL */
	int64_t fetched_at_ms; /* wall clock at request start, ms since epoch */
	int64_t elapsed_ms;   /* request duration */
	unsigned attempts;    /* fetches tried (retries + 1); 0: not fetched */
	bool noindex;         /* the page asked not to be indexed */
	int http_version;     /* 10, 11, 20 or 30; 0 when no response */
	char ip[48];          /* the server's address, or "" */
	uint64_t wire_bytes;  /* body bytes received, before decoding */
	struct record_timings timings; /* written when attempts > 0 */
	char digest[RECORD_DIGEST_SIZE]; /* of the whole body, or "" */
	char *content_encoding; /* the headers' values as sent, or NULL */
	char *etag;
	char *last_modified;
	char *canonical;      /* resolved, canonical URL, or NULL */
	char *description;    /* <meta name=description>, or NULL */
	char *lang;           /* <html lang>, or NULL */
	struct record_strs hreflang; /* pairs: language, canonical URL */
	struct record_strs robots;   /* directives that apply, lowercased */
	struct record_strs headers;  /* pairs: lowercased name, value */
	bool with_headers;    /* --headers: write the "headers" field */
	char *lastmod;        /* <lastmod> of the sitemap entry that listed
				 this URL, as written, or NULL */
	long sitemap_urls;    /* entries a sitemap listed; -1: not one */
	enum record_err err;
	char *err_msg;        /* detail for err, or NULL for the default text */
	/* --warc: */
	struct response *archive; /* the exchange, for the writer to archive;
				     owned, or NULL (nothing to archive) */
	bool archive_only;    /* robots.txt: archived, no line, not counted */
	char *warc_file;      /* the file of its response record, or NULL */
	uint64_t warc_offset; /* the record's gzip member there, in bytes */
	uint64_t warc_length;
};

/* A zeroed record for url (copied); NULL when out of memory. */
struct record *record_new(const char *url, const char *parent, unsigned depth);
/* Free r and every string it owns; NULL is accepted. */
void record_free(struct record *r);

/* Set the error; msg (copied, may be NULL) adds detail. */
void record_set_err(struct record *r, enum record_err err, const char *msg);

/* Append s (n bytes, no NUL among them) to l. 0 or ENOMEM. */
int record_strs_add(struct record_strs *l, const char *s, size_t n);
/* The string after s in l (s NULL: the first), or NULL past the end. */
const char *record_strs_next(const struct record_strs *l, const char *s);
/* Whether l holds s. */
bool record_strs_has(const struct record_strs *l, const char *s);
void record_strs_release(struct record_strs *l);

const char *record_via_name(enum record_via via);

/* Wall clock in milliseconds since the epoch, as fetched_at_ms holds. */
int64_t record_now_ms(void);

const char *record_err_name(enum record_err err);
const char *record_err_text(enum record_err err);

/* The JSON line for r, '\n' included, as a malloc'd string of *len bytes;
 * NULL when out of memory. Strings that are not valid UTF-8 have each bad
 * byte replaced by U+FFFD. outlinks adds the "outlinks" array. */
char *record_to_json(const struct record *r, bool outlinks, size_t *len);

#endif
