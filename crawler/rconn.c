/* rconn: a connection to the crawl's Redis (rconn.h), with its scripts.
 *
 * `lock` guards the one connection: a command and its reply go in turn,
 * so the lock is held across that I/O; it is the only lock taken here and
 * no call waits on anything else while holding it. */
#include "rconn.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REDIS_DEFAULT_PORT 6379
#define RETRY_FIRST_MS 100  /* the first wait before trying again */
#define RETRY_MAX_MS 5000   /* the longest wait between tries */
#define REDIS_TIMEOUT_S 10  /* connect and each reply */

struct rconn {
	pthread_mutex_t lock;          /* guards conn and the scripts' SHAs */
	redisContext *conn;            /* NULL while not connected */
	struct rconn_endpoint ep;      /* where to connect again */
	struct rconn_script *scripts;  /* borrowed */
	size_t nscripts;
	int64_t retry_ns;              /* rconn_retry's budget; 0: no retries */
	FILE *log;                     /* where retries are told */
	char why[128];                 /* why the last try failed */
};

/* A decimal in [0, max] spanning exactly [s, end); -1 if not. */
static long parse_number(const char *s, const char *end, long max)
{
	char *stop;
	long v;

	if (s == end || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &stop, 10);
	return errno == 0 && stop == end && v <= max ? v : -1;
}

/* "redis://HOST[:PORT][/DB]"; false if it is not one. */
static bool parse_url(const char *url, struct rconn_endpoint *ep)
{
	static const char scheme[] = "redis://";
	const char *host = url, *end, *colon, *slash;
	size_t len;

	if (strncmp(url, scheme, sizeof(scheme) - 1) != 0)
		return false;
	host += sizeof(scheme) - 1;
	end = host + strlen(host);
	slash = memchr(host, '/', (size_t)(end - host));
	ep->db = slash ? (int)parse_number(slash + 1, end, 1 << 20) : 0;
	if (slash)
		end = slash;
	colon = memchr(host, ':', (size_t)(end - host));
	ep->port = colon ? (int)parse_number(colon + 1, end, 65535) :
			   REDIS_DEFAULT_PORT;
	len = (size_t)((colon ? colon : end) - host);
	if (ep->db < 0 || ep->port <= 0 || !len || len >= sizeof(ep->host))
		return false;
	memcpy(ep->host, host, len);
	ep->host[len] = '\0';
	return true;
}

/* Names go into key names and SCAN patterns: none of Redis's glob
 * characters, no hash-tag brace, no separator. */
static bool valid_name(const char *name)
{
	size_t len = strlen(name);

	return len && len <= RCONN_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-") == len;
}

bool rconn_check(const char *url, const char *name, struct rconn_endpoint *ep,
		 char *err, size_t errlen)
{
	if (!parse_url(url, ep)) {
		snprintf(err, errlen, "%s: not a redis://HOST[:PORT][/DB] URL", url);
		return false;
	}
	if (!valid_name(name)) {
		snprintf(err, errlen, "crawl name \"%s\": want 1 to %d of A-Z a-z 0-9 . _ -",
			 name, RCONN_NAME_MAX);
		return false;
	}
	return true;
}

redisReply *rconn_run(redisContext *c, char *err, size_t errlen, int argc,
		      const char **argv, const size_t *argvlen)
{
	redisReply *rep = redisCommandArgv(c, argc, argv, argvlen);

	if (!rep) {
		snprintf(err, errlen, "%s", c->errstr);
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "%s", rep->str);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

/* SELECT db unless it is 0; false with the reason in err. */
static bool select_db(redisContext *c, int db, char *err, size_t errlen)
{
	char num[16];
	const char *argv[] = { "SELECT", num };
	redisReply *rep;

	if (!db)
		return true;
	snprintf(num, sizeof(num), "%d", db);
	rep = rconn_run(c, err, errlen, 2, argv, NULL);
	freeReplyObject(rep);
	return rep != NULL;
}

/* A timeout on each reply, so a Redis that hangs fails the call instead of
 * the crawl's threads. */
redisContext *rconn_connect(const struct rconn_endpoint *ep, char *err,
			    size_t errlen)
{
	const struct timeval tv = { .tv_sec = REDIS_TIMEOUT_S };
	redisContext *c = redisConnectWithTimeout(ep->host, ep->port, tv);

	if (!c) {
		snprintf(err, errlen, "redis %s:%d: out of memory", ep->host, ep->port);
		return NULL;
	}
	if (c->err || redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(err, errlen, "redis %s:%d: %s", ep->host, ep->port, c->errstr);
		redisFree(c);
		return NULL;
	}
	if (!select_db(c, ep->db, err, errlen)) {
		redisFree(c);
		return NULL;
	}
	return c;
}

static bool load_script(redisContext *c, struct rconn_script *s, char *err,
			size_t errlen)
{
	const char *argv[] = { "SCRIPT", "LOAD", s->text };
	redisReply *rep = rconn_run(c, err, errlen, 3, argv, NULL);
	bool ok = rep && rep->type == REDIS_REPLY_STRING && rep->len < sizeof(s->sha);

	if (ok)
		memcpy(s->sha, rep->str, rep->len + 1);
	else if (rep)
		snprintf(err, errlen, "unexpected reply to SCRIPT LOAD");
	freeReplyObject(rep);
	return ok;
}

static bool load_scripts_locked(struct rconn *r, char *err, size_t errlen)
{
	for (size_t i = 0; i < r->nscripts; i++)
		if (!load_script(r->conn, &r->scripts[i], err, errlen))
			return false;
	return true;
}

/* Whether an idle connection was closed by the other end: it is sent
 * nothing unasked, so anything to read is its end (Redis restarted). A
 * command sent there would be lost with no way to tell whether it ran. */
static bool closed_by_peer(const redisContext *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	return poll(&p, 1, 0) != 0;
}

/* Connected, with the scripts loaded: on first use after a connection was
 * lost, a new one. False when Redis cannot be reached. */
static bool ready_locked(struct rconn *r)
{
	char err[128];

	if (r->conn && !r->conn->err && !closed_by_peer(r->conn))
		return true;
	redisFree(r->conn);
	r->conn = rconn_connect(&r->ep, err, sizeof(err));
	if (r->conn && load_scripts_locked(r, err, sizeof(err)))
		return true;
	snprintf(r->why, sizeof(r->why), "%s", err);
	redisFree(r->conn);
	r->conn = NULL;
	return false;
}

struct rconn *rconn_new(const struct rconn_endpoint *ep,
			struct rconn_script *scripts, size_t n,
			const char *what, char *err, size_t errlen)
{
	struct rconn *r = calloc(1, sizeof(*r));
	char why[128];

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->ep = *ep;
	r->scripts = scripts;
	r->nscripts = n;
	r->conn = rconn_connect(ep, err, errlen);
	if (!r->conn) {
		rconn_free(r);
		return NULL;
	}
	if (!load_scripts_locked(r, why, sizeof(why))) {
		snprintf(err, errlen, "redis %s:%d refused %s scripts: %s", ep->host,
			 ep->port, what, why);
		rconn_free(r);
		return NULL;
	}
	return r;
}

static redisReply *eval_locked(struct rconn *r, struct rconn_script *s, int argc,
			       const char **argv, size_t *argvlen)
{
	char err[128];
	redisReply *rep;

	if (!ready_locked(r))
		return NULL;
	argv[0] = "EVALSHA";
	argvlen[0] = strlen(argv[0]);
	argv[1] = s->sha;
	argvlen[1] = strlen(s->sha);
	rep = redisCommandArgv(r->conn, argc, argv, argvlen);
	if (rep && rep->type == REDIS_REPLY_ERROR &&
	    strncmp(rep->str, "NOSCRIPT", 8) == 0 &&
	    load_scripts_locked(r, err, sizeof(err))) {
		freeReplyObject(rep);
		rep = redisCommandArgv(r->conn, argc, argv, argvlen);
	}
	if (!rep)
		snprintf(r->why, sizeof(r->why), "%s", r->conn->errstr);
	if (rep && rep->type == REDIS_REPLY_ERROR) {
		snprintf(r->why, sizeof(r->why), "%s", rep->str);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

static redisReply *command_locked(struct rconn *r, struct rconn_script *s,
				  int argc, const char **argv, size_t *argvlen)
{
	if (s)
		return eval_locked(r, s, argc, argv, argvlen);
	if (!ready_locked(r))
		return NULL;
	return rconn_run(r->conn, r->why, sizeof(r->why), argc, argv, argvlen);
}

/* Whether a failure is Redis being away (no connection, a lost reply, a
 * server still loading its AOF or busy with a script), which waiting can
 * mend; an error the command itself earned is not. */
static bool transient_locked(const struct rconn *r)
{
	static const char *const busy[] = { "LOADING", "BUSY", "MASTERDOWN",
					    "TRYAGAIN" };

	if (!r->conn || r->conn->err)
		return true;
	for (size_t i = 0; i < sizeof(busy) / sizeof(busy[0]); i++)
		if (strncmp(r->why, busy[i], strlen(busy[i])) == 0)
			return true;
	return false;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Wait before the next try, saying so; false when the budget is spent. */
static bool wait_locked(struct rconn *r, int64_t since, int *wait_ms)
{
	struct timespec ts;

	if (!r->retry_ns || mono_ns() - since + *wait_ms * 1000000LL > r->retry_ns)
		return false;
	/* The command may have run with its reply lost: every script of the
	 * crawl is safe to run again (docs/DISTRIBUTED.md, Failures). */
	redisFree(r->conn);
	r->conn = NULL;
	if (r->log)
		fprintf(r->log, "crawler: Redis at %s:%d: %s; trying again in %.1fs\n",
			r->ep.host, r->ep.port, r->why, *wait_ms / 1000.0);
	ts = (struct timespec){ .tv_sec = *wait_ms / 1000,
				.tv_nsec = (*wait_ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	*wait_ms = *wait_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : *wait_ms * 2;
	return true;
}

/* A command or script, tried again while Redis is away and the retry
 * budget lasts. */
static redisReply *call(struct rconn *r, struct rconn_script *s, int argc,
			const char **argv, size_t *argvlen)
{
	int64_t since = 0;
	int wait_ms = RETRY_FIRST_MS;
	redisReply *rep;

	pthread_mutex_lock(&r->lock);
	while (!(rep = command_locked(r, s, argc, argv, argvlen)) &&
	       transient_locked(r)) {
		if (!since)
			since = mono_ns();
		if (!wait_locked(r, since, &wait_ms))
			break;
	}
	if (rep && since && r->log)
		fprintf(r->log, "crawler: Redis at %s:%d answers again\n",
			r->ep.host, r->ep.port);
	pthread_mutex_unlock(&r->lock);
	return rep;
}

redisReply *rconn_eval(struct rconn *r, struct rconn_script *s, int argc,
		       const char **argv, size_t *argvlen)
{
	return call(r, s, argc, argv, argvlen);
}

redisReply *rconn_command(struct rconn *r, int argc, const char **argv,
			  const size_t *argvlen)
{
	return call(r, NULL, argc, argv, (size_t *)argvlen);
}

void rconn_retry(struct rconn *r, int64_t budget_ns, FILE *log)
{
	pthread_mutex_lock(&r->lock);
	r->retry_ns = budget_ns;
	r->log = log;
	pthread_mutex_unlock(&r->lock);
}

void rconn_free(struct rconn *r)
{
	if (!r)
		return;
	redisFree(r->conn);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
