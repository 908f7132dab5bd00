/* testsrv: an HTTP server inside the test process, for integration tests.
 *
 * libmicrohttpd on 127.0.0.x, port 0 (the kernel picks one; testsrv_port
 * reads it back). Answers come from a table of routes and, for paths the
 * table does not name, from an optional handler (a generated site). Every
 * request is logged (path, time, connection) under a mutex, so tests assert
 * which URLs were asked for and how often, and the peak number of
 * connections open at once. The server stops in testsrv_stop, and by
 * itself after a lifetime (default 120 s) so no test can leave one behind.
 *
 * testsrv_start_tls serves the same over HTTPS (libmicrohttpd's GnuTLS),
 * with a certificate the test made (testca.h), and can require a client
 * certificate in the handshake itself, as a server that authenticates its
 * clients by TLS does. */
#ifndef CRAWLER_TESTSRV_H
#define CRAWLER_TESTSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct testsrv_reply {
	unsigned status;          /* HTTP status; 0 means 200 */
	const char *content_type; /* NULL: "text/html; charset=utf-8" */
	const char *body;         /* NULL: empty */
	size_t body_len;          /* 0: strlen(body) */
	const char *location;     /* Location header, or NULL */
	const char *headers;      /* extra "Name: value\n" lines, or NULL */
	unsigned delay_ms;        /* wait this long before answering */
	/* In, for a handler: the request's Accept-Encoding, or NULL. Valid
	 * for the call. */
	const char *accept_encoding;
};

struct testsrv_route {
	const char *path; /* exact match on path and query, e.g. "/a?x=1" */
	struct testsrv_reply reply;
	/* When set, reply goes only to a request whose header lines ("Name:
	 * value\n" each) hold this text, such as "Authorization: Basic
	 * dTpw" or "Cookie: a=1"; any other gets denied. */
	const char *need;
	struct testsrv_reply denied;
};

/* Fills *reply for path (query included) and returns true, or returns false
 * for a 404. body may point into a buffer owned by the handler; free_body,
 * if set, is called on it after it has been sent. Called from server
 * threads concurrently.
 *
 * *free_body holds a function of type void (*)(void *), such as free
 * ("*free_body = (void *)free;"), not the buffer itself. A body without
 * one is copied before the handler's thread moves on. */
typedef bool (*testsrv_handler)(void *arg, const char *path,
				struct testsrv_reply *reply, void **free_body);

struct testsrv_request {
	char *path;        /* path and query as requested */
	char *user_agent;  /* NULL if none */
	char *headers;     /* every request header, one "Name: value\n" each */
	int64_t at_ns;     /* CLOCK_MONOTONIC when the request arrived */
	unsigned long conn; /* connection number, from 1 */
};

struct testsrv;

/* Start serving on ip ("127.0.0.1", "127.0.0.2", ...). routes (may be NULL)
 * is borrowed until testsrv_stop; handler (may be NULL) answers the rest.
 * Aborts the test on failure. */
struct testsrv *testsrv_start(const char *ip, const struct testsrv_route *routes,
			      size_t nroutes, testsrv_handler handler,
			      void *handler_arg);

/* HTTPS: the server's certificate and key (PEM text), and, when
 * client_ca_pem is set, the CA a client certificate must be signed by: a
 * client without one fails the TLS handshake. Borrowed until testsrv_stop. */
struct testsrv_tls {
	const char *cert_pem;
	const char *key_pem;
	const char *client_ca_pem; /* NULL: no client certificate asked for */
};

/* testsrv_start over HTTPS; testsrv_url then gives https:// URLs. */
struct testsrv *testsrv_start_tls(const char *ip, const struct testsrv_tls *tls,
				  const struct testsrv_route *routes, size_t nroutes,
				  testsrv_handler handler, void *handler_arg);
void testsrv_stop(struct testsrv *s);

unsigned short testsrv_port(const struct testsrv *s);
/* "http://IP:PORT" (https:// over TLS) followed by path; malloc'd. */
char *testsrv_url(const struct testsrv *s, const char *path);

/* How many times path (query included) was requested. */
size_t testsrv_hits(struct testsrv *s, const char *path);
/* Requests so far. */
size_t testsrv_nrequests(struct testsrv *s);
/* A copy of the log in arrival order; free with testsrv_log_free. */
size_t testsrv_log(struct testsrv *s, struct testsrv_request **out);
void testsrv_log_free(struct testsrv_request *log, size_t n);
/* Most connections that were open at the same time. */
unsigned testsrv_peak_connections(struct testsrv *s);

#endif
