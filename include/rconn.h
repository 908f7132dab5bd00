/* rconn: one connection to the Redis that holds a crawl, shared by the
 * Redis backends (visited_redis.c, frontier_redis.c).
 *
 * The URL and crawl name are checked here, once: a redis://HOST[:PORT][/DB]
 * URL, a name of 1 to RCONN_NAME_MAX of A-Z a-z 0-9 . _ - (no glob
 * character, no hash-tag brace). A connection has a timeout on each reply;
 * its Lua scripts are loaded when it connects and again when Redis answers
 * NOSCRIPT (it restarted and lost its script cache; that command did not
 * run, so it is sent once more). A connection closed by Redis is seen
 * before the next command and made again. Every call is thread-safe: one
 * lock per connection, held across the command and its reply. */
#ifndef CRAWLER_RCONN_H
#define CRAWLER_RCONN_H

#include <hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RCONN_NAME_MAX 128
/* How long a worker or the collector keeps trying a Redis that is away. */
#define RCONN_RETRY_NS (300 * (int64_t)1000000000)

struct rconn;

/* A Lua script; sha is filled in when it is loaded. */
struct rconn_script {
	const char *text;
	char sha[41];
};

/* Where a redis:// URL points. */
struct rconn_endpoint {
	char host[256];
	int port;
	int db;
};

/* Whether url is a redis:// URL (into ep) and name a crawl name; false
 * with the message for the one that is wrong. */
bool rconn_check(const char *url, const char *name, struct rconn_endpoint *ep,
		 char *err, size_t errlen);

/* A bare connection to ep (no scripts), for one-off commands; NULL with the
 * reason in err. Free with redisFree. */
redisContext *rconn_connect(const struct rconn_endpoint *ep, char *err,
			    size_t errlen);

/* A command on c; a reply that is an error becomes NULL with the error in
 * err (the reply freed). */
redisReply *rconn_run(redisContext *c, char *err, size_t errlen, int argc,
		      const char **argv, const size_t *argvlen);

/* Connected to ep with the n scripts loaded (borrowed for the connection's
 * life; their SHAs are written under its lock); NULL with the reason in
 * err. what names the scripts' owner in that reason ("the visited set's"). */
struct rconn *rconn_new(const struct rconn_endpoint *ep,
			struct rconn_script *scripts, size_t n,
			const char *what, char *err, size_t errlen);

/* EVALSHA of s (one of the connection's scripts): argv[0] and argv[1] are
 * left for this to fill in, the rest are the script's key count, keys and
 * arguments. NULL when Redis cannot be reached or answers an error. */
redisReply *rconn_eval(struct rconn *r, struct rconn_script *s, int argc,
		       const char **argv, size_t *argvlen);

/* A plain command; NULL as rconn_eval. */
redisReply *rconn_command(struct rconn *r, int argc, const char **argv,
			  const size_t *argvlen);

/* From now on a command or script that fails because Redis is away (no
 * connection, a reply lost, LOADING, BUSY) is tried again with backoff
 * (0.1 s doubling to 5 s), each wait told on log (if not NULL), until
 * budget_ns have passed since the first failure; then it fails as
 * before. Off (0) when the connection is made. */
void rconn_retry(struct rconn *r, int64_t budget_ns, FILE *log);

/* Closes the connection; NULL is fine. */
void rconn_free(struct rconn *r);

#endif
