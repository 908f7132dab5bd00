/* rawsrv: a raw-socket HTTP responder for the broken behaviour a compliant
 * server will not produce (in the spirit of curl's tests/server/sws.c).
 *
 * It listens on 127.0.0.x, port 0 (rawsrv_port reads the port back): one
 * thread accepts, one thread serves each connection. For each request (read
 * up to "\r\n\r\n", or RAWSRV_REQUEST_MAX bytes) the path of its request
 * line is looked up in a table of cases, and the case's action is played
 * with its bytes, byte for byte: nothing is added, checked or fixed. A path
 * the table does not name gets a 404 and the connection is closed. Every
 * request is logged by path under a mutex, so tests assert what was asked
 * for.
 *
 * Everything stops in rawsrv_stop, which wakes the threads blocked in a
 * read, a write or a wait (it shuts the sockets down), and by itself after
 * RAWSRV_LIFETIME_MS, so no test can leave a server running. */
#ifndef CRAWLER_RAWSRV_H
#define CRAWLER_RAWSRV_H

#include <stddef.h>

#define RAWSRV_REQUEST_MAX 16384  /* request bytes read before answering */
#ifndef RAWSRV_LIFETIME_MS
#define RAWSRV_LIFETIME_MS (60 * 1000)
#endif

enum rawsrv_action {
	RAWSRV_SEND,        /* bytes, then close */
	RAWSRV_SEND_KEEP,   /* bytes, then read the next request */
	RAWSRV_DRIP,        /* `burst` bytes at once, then the rest one byte
			     * every `param` ms, then close */
	RAWSRV_NEVER,       /* read the request, never answer (until stop) */
	RAWSRV_ENDLESS,     /* bytes, then filler of kind `param` for ever */
	RAWSRV_CLOSE_AFTER, /* the first `param` bytes, then close (FIN) */
	RAWSRV_RESET,       /* the first `param` bytes, then an RST */
};

/* The filler of RAWSRV_ENDLESS, its param. */
enum rawsrv_fill {
	RAWSRV_FILL_RAW,     /* 'x' for ever: a body read to the close, or a
			      * header line that never ends */
	RAWSRV_FILL_CHUNKS,  /* "1000\r\n", 4096 'x', "\r\n" for ever: a
			      * chunked body that never ends */
	RAWSRV_FILL_HEADERS, /* "X-Fill-N: xxx...\r\n" lines for ever */
};

struct rawsrv_case {
	const char *path;          /* exact match on the request-target */
	enum rawsrv_action action;
	const char *bytes;         /* what to send; NULL: nothing */
	size_t len;                /* 0: strlen(bytes) */
	unsigned param;            /* see the action */
	size_t burst;              /* RAWSRV_DRIP: bytes sent at once first */
};

struct rawsrv;

/* Serve cases (borrowed until rawsrv_stop) on ip ("127.0.0.1", ...).
 * Aborts the test on failure. */
struct rawsrv *rawsrv_start(const char *ip, const struct rawsrv_case *cases,
			    size_t ncases);
void rawsrv_stop(struct rawsrv *s);

unsigned short rawsrv_port(const struct rawsrv *s);
/* "http://IP:PORT" followed by path; malloc'd. */
char *rawsrv_url(const struct rawsrv *s, const char *path);

/* How many requests for path arrived. */
size_t rawsrv_hits(struct rawsrv *s, const char *path);
/* Requests so far, whatever their path. */
size_t rawsrv_nrequests(struct rawsrv *s);

#endif
