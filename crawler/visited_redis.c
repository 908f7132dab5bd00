/* visited_redis: the visited set's backend in Redis (visited.h), shared by
 * every worker of a crawl (docs/DISTRIBUTED.md has the keys and scripts).
 *
 * A URL is its fingerprint, stored as a signed 64-bit integer in one of a
 * crawl's bucket sets C:{name}:seen:<bucket>: a set of integers is an
 * intset in Redis, 8 bytes a member, for as long as it holds at most
 * set-max-intset-entries (512 by default) members; past that it becomes a
 * hash table of strings, several times the size. So the number of buckets
 * grows with the set by linear hashing, in the add script itself: each bucket
 * holds about LOAD members on average and at most twice that, under the
 * default limit at any size, with no server setting changed. The bucket
 * count is C:{name}:seen:b, the URL count C:{name}:seen:n; the {name} hash
 * tag keeps them all in one Redis Cluster slot.
 *
 * A batch is one EVALSHA of the add script, which admits each member and
 * returns a '1' or '0' for each. The scripts are loaded at connect and
 * again when Redis answers NOSCRIPT (it restarted and lost its script
 * cache); that command did not run, so it is sent once more.
 *
 * `lock` guards the one connection: a command and its reply go in turn,
 * so the lock is held across that I/O; it is the only lock taken here and
 * no call waits on anything else while holding it. */
#include "visited.h"

#include <errno.h>
#include <hiredis.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REDIS_DEFAULT_PORT 6379
#define REDIS_TIMEOUT_S 10  /* connect and each reply */
#define CRAWL_NAME_MAX 128
#define FP_DIGITS 21        /* "-9223372036854775808" and its NUL */

/* Shared by both scripts: a member's bucket among b, by linear hashing on
 * the low 30 bits of its fingerprint. Lua 5.1 has doubles only, so the low
 * bits are worked out from the member's decimal digits (each step stays
 * below 2^34, exact); a negative member is the fingerprint minus 2^64,
 * which the low bits do not see but for the sign. */
#define LUA_BUCKETS \
	"local LOW = 1073741824\n" \
	"local function low(m)\n" \
	"  local neg = string.byte(m, 1) == 45\n" \
	"  local r = 0\n" \
	"  for i = neg and 2 or 1, #m do\n" \
	"    r = (r * 10 + string.byte(m, i) - 48) % LOW\n" \
	"  end\n" \
	"  if neg then r = (LOW - r) % LOW end\n" \
	"  return r\n" \
	"end\n" \
	"local function level(b)\n" \
	"  local p = 1\n" \
	"  while p * 2 <= b do p = p * 2 end\n" \
	"  return p\n" \
	"end\n" \
	"local function bucket(h, b, p)\n" \
	"  local i = h % p\n" \
	"  if i < b - p then i = h % (2 * p) end\n" \
	"  return i\n" \
	"end\n"

/* KEYS: the count, the bucket count; ARGV: the bucket key prefix, then the
 * members. A member added raises the count; past LOAD members a bucket
 * on average, the next bucket in turn is split in two (into itself and
 * itself + p), so no bucket ever holds more than about 2 * LOAD. LOAD is
 * 192: twice that plus the spread of a random fill stays under 512. */
#define LUA_ADD \
	LUA_BUCKETS \
	"local LOAD = 192\n" \
	"local function split(prefix, b)\n" \
	"  local p = level(b)\n" \
	"  local s = b - p\n" \
	"  local from = prefix .. s\n" \
	"  local moved = {}\n" \
	"  for _, m in ipairs(redis.call('SMEMBERS', from)) do\n" \
	"    if low(m) % (2 * p) ~= s then moved[#moved + 1] = m end\n" \
	"  end\n" \
	"  if #moved > 0 then\n" \
	"    redis.call('SADD', prefix .. (s + p), unpack(moved))\n" \
	"    redis.call('SREM', from, unpack(moved))\n" \
	"  end\n" \
	"  return b + 1\n" \
	"end\n" \
	"local n = tonumber(redis.call('GET', KEYS[1])) or 0\n" \
	"local b = tonumber(redis.call('GET', KEYS[2])) or 1\n" \
	"local p = level(b)\n" \
	"local out, fresh = {}, 0\n" \
	"for i = 2, #ARGV do\n" \
	"  local m = ARGV[i]\n" \
	"  if redis.call('SADD', ARGV[1] .. bucket(low(m), b, p), m) == 1 then\n" \
	"    fresh = fresh + 1\n" \
	"    out[i - 1] = '1'\n" \
	"    if n + fresh > LOAD * b then\n" \
	"      b = split(ARGV[1], b)\n" \
	"      p = level(b)\n" \
	"    end\n" \
	"  else\n" \
	"    out[i - 1] = '0'\n" \
	"  end\n" \
	"end\n" \
	"if fresh > 0 then\n" \
	"  redis.call('INCRBY', KEYS[1], fresh)\n" \
	"  redis.call('SET', KEYS[2], b)\n" \
	"end\n" \
	"return table.concat(out)\n"

/* KEYS: the bucket count; ARGV: the bucket key prefix, the member. */
#define LUA_HAS \
	LUA_BUCKETS \
	"local b = tonumber(redis.call('GET', KEYS[1])) or 1\n" \
	"return redis.call('SISMEMBER', ARGV[1] .. bucket(low(ARGV[2]), b, level(b)), ARGV[2])\n"

struct script {
	const char *text;
	char sha[41]; /* as SCRIPT LOAD answered */
};

struct redis {
	pthread_mutex_t lock; /* guards conn and the scripts' SHAs */
	redisContext *conn;   /* NULL while not connected */
	char *host;           /* where to connect again */
	int port;
	int db;               /* SELECTed on every connection */
	char *count_key;      /* C:{name}:seen:n */
	char *buckets_key;    /* C:{name}:seen:b */
	char *prefix;         /* C:{name}:seen: */
	struct script add, has;
};

/* Where a redis:// URL points. */
struct endpoint {
	char host[256];
	int port;
	int db;
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
static bool parse_url(const char *url, struct endpoint *ep)
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

	return len && len <= CRAWL_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-") == len;
}

/* Both checked, with the message for the one that is wrong. */
static bool check_args(const char *url, const char *name, struct endpoint *ep,
		       char *err, size_t errlen)
{
	if (!parse_url(url, ep)) {
		snprintf(err, errlen, "%s: not a redis://HOST[:PORT][/DB] URL", url);
		return false;
	}
	if (!valid_name(name)) {
		snprintf(err, errlen, "crawl name \"%s\": want 1 to %d of A-Z a-z 0-9 . _ -",
			 name, CRAWL_NAME_MAX);
		return false;
	}
	return true;
}

/* Run a command; a reply that is an error becomes NULL with the error in
 * err (freed). */
static redisReply *run(redisContext *c, char *err, size_t errlen, int argc,
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
	rep = run(c, err, errlen, 2, argv, NULL);
	freeReplyObject(rep);
	return rep != NULL;
}

/* A connection ready for commands (a timeout on each reply, so a Redis
 * that hangs fails the call instead of the crawl's threads); NULL with the
 * reason in err. */
static redisContext *connect_to(const char *host, int port, int db, char *err,
				size_t errlen)
{
	const struct timeval tv = { .tv_sec = REDIS_TIMEOUT_S };
	redisContext *c = redisConnectWithTimeout(host, port, tv);

	if (!c) {
		snprintf(err, errlen, "redis %s:%d: out of memory", host, port);
		return NULL;
	}
	if (c->err || redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(err, errlen, "redis %s:%d: %s", host, port, c->errstr);
		redisFree(c);
		return NULL;
	}
	if (!select_db(c, db, err, errlen)) {
		redisFree(c);
		return NULL;
	}
	return c;
}

static bool load_script(redisContext *c, struct script *s, char *err, size_t errlen)
{
	const char *argv[] = { "SCRIPT", "LOAD", s->text };
	redisReply *rep = run(c, err, errlen, 3, argv, NULL);
	bool ok = rep && rep->type == REDIS_REPLY_STRING && rep->len < sizeof(s->sha);

	if (ok)
		memcpy(s->sha, rep->str, rep->len + 1);
	else if (rep)
		snprintf(err, errlen, "unexpected reply to SCRIPT LOAD");
	freeReplyObject(rep);
	return ok;
}

static bool load_scripts_locked(struct redis *r, char *err, size_t errlen)
{
	return load_script(r->conn, &r->add, err, errlen) &&
	       load_script(r->conn, &r->has, err, errlen);
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
static bool ready_locked(struct redis *r)
{
	char err[128];

	if (r->conn && !r->conn->err && !closed_by_peer(r->conn))
		return true;
	redisFree(r->conn);
	r->conn = connect_to(r->host, r->port, r->db, err, sizeof(err));
	if (r->conn && load_scripts_locked(r, err, sizeof(err)))
		return true;
	redisFree(r->conn);
	r->conn = NULL;
	return false;
}

/* EVALSHA of script s with argv[0] and argv[1] left for it to fill in;
 * reloads the scripts and runs it once more when Redis lost them. NULL
 * when Redis cannot be reached or refuses. */
static redisReply *eval_locked(struct redis *r, struct script *s, int argc,
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
	if (rep && rep->type == REDIS_REPLY_ERROR) {
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

/* A fingerprint as the member Redis keeps in an intset: the same 64 bits
 * read as signed (an intset holds int64). */
static size_t member_of(uint64_t fp, char *buf)
{
	int64_t v;

	memcpy(&v, &fp, sizeof(v));
	return (size_t)snprintf(buf, FP_DIGITS, "%" PRId64, v);
}

/* The add script's arguments for n URLs: EVALSHA, SHA, 2, the two keys,
 * the prefix, then a member each, in one allocation with the members'
 * text; NULL when out of memory. */
static const char **add_args(const struct redis *r, char *const *urls, size_t n,
			     size_t **lens)
{
	size_t argc = 6 + n;
	const char **argv = malloc(argc * (sizeof(*argv) + sizeof(size_t)) + n * FP_DIGITS);
	char *text;

	if (!argv)
		return NULL;
	*lens = (size_t *)(void *)(argv + argc);
	text = (char *)(*lens + argc);
	argv[2] = "2";
	argv[3] = r->count_key;
	argv[4] = r->buckets_key;
	argv[5] = r->prefix;
	for (size_t i = 2; i < 6; i++)
		(*lens)[i] = strlen(argv[i]);
	for (size_t i = 0; i < n; i++, text += FP_DIGITS) {
		argv[6 + i] = text;
		(*lens)[6 + i] = member_of(visited_fingerprint(urls[i]), text);
	}
	return argv;
}

/* The script's answer: a '1' for each fresh URL, a '0' for each other. */
static bool read_fresh(const redisReply *rep, size_t n, bool *fresh, size_t *nfresh)
{
	if (rep->type != REDIS_REPLY_STRING || rep->len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		fresh[i] = rep->str[i] == '1';
		*nfresh += fresh[i];
	}
	return true;
}

static enum visited_status redis_add_batch(void *state, char *const *urls,
					   size_t n, bool *fresh, size_t *nfresh)
{
	struct redis *r = state;
	size_t *lens;
	const char **argv;
	redisReply *rep;
	bool ok;

	*nfresh = 0;
	for (size_t i = 0; i < n; i++)
		fresh[i] = false;
	if (!n)
		return VISITED_OK;
	argv = add_args(r, urls, n, &lens);
	if (!argv)
		return VISITED_NOMEM;
	pthread_mutex_lock(&r->lock);
	rep = eval_locked(r, &r->add, (int)(6 + n), argv, lens);
	pthread_mutex_unlock(&r->lock);
	free(argv);
	ok = rep && read_fresh(rep, n, fresh, nfresh);
	freeReplyObject(rep);
	if (!ok) {
		for (size_t i = 0; i < n; i++)
			fresh[i] = false;
		*nfresh = 0;
	}
	return ok ? VISITED_OK : VISITED_UNAVAILABLE;
}

static bool redis_has(void *state, const char *url)
{
	struct redis *r = state;
	char member[FP_DIGITS];
	const char *argv[] = { NULL, NULL, "1", r->buckets_key, r->prefix, member };
	size_t lens[] = { 0, 0, 1, strlen(r->buckets_key), strlen(r->prefix),
			  member_of(visited_fingerprint(url), member) };
	redisReply *rep;
	bool found;

	pthread_mutex_lock(&r->lock);
	rep = eval_locked(r, &r->has, 6, argv, lens);
	pthread_mutex_unlock(&r->lock);
	found = rep && rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
	freeReplyObject(rep);
	return found;
}

static size_t redis_count(void *state)
{
	struct redis *r = state;
	const char *argv[] = { "GET", r->count_key };
	redisReply *rep = NULL;
	char err[128];
	size_t n = 0;

	pthread_mutex_lock(&r->lock);
	if (ready_locked(r))
		rep = run(r->conn, err, sizeof(err), 2, argv, NULL);
	pthread_mutex_unlock(&r->lock);
	if (rep && rep->type == REDIS_REPLY_STRING)
		n = (size_t)strtoull(rep->str, NULL, 10);
	freeReplyObject(rep);
	return n;
}

static void redis_free(void *state)
{
	struct redis *r = state;

	if (!r)
		return;
	redisFree(r->conn);
	pthread_mutex_destroy(&r->lock);
	free(r->host);
	free(r->count_key);
	free(r->buckets_key);
	free(r->prefix);
	free(r);
}

static const struct visited_ops redis_ops = {
	.add_batch = redis_add_batch,
	.has = redis_has,
	.count = redis_count,
	.free = redis_free,
};

/* The state for crawl name at ep, not yet connected; NULL when out of
 * memory. */
static struct redis *redis_state_new(const struct endpoint *ep, const char *name)
{
	struct redis *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	r->port = ep->port;
	r->db = ep->db;
	r->add.text = LUA_ADD;
	r->has.text = LUA_HAS;
	r->host = strdup(ep->host);
	if (!r->host || asprintf(&r->count_key, "C:{%s}:seen:n", name) < 0 ||
	    asprintf(&r->buckets_key, "C:{%s}:seen:b", name) < 0 ||
	    asprintf(&r->prefix, "C:{%s}:seen:", name) < 0) {
		redis_free(r);
		return NULL;
	}
	return r;
}

struct visited *visited_redis_new(const char *redis_url, const char *crawl_name,
				  char *err, size_t errlen)
{
	struct endpoint ep;
	struct redis *r;

	if (!check_args(redis_url, crawl_name, &ep, err, errlen))
		return NULL;
	r = redis_state_new(&ep, crawl_name);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->conn = connect_to(r->host, r->port, r->db, err, errlen);
	if (!r->conn) {
		redis_free(r);
		return NULL;
	}
	if (!load_scripts_locked(r, err, errlen)) {
		char why[128];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "redis %s:%d refused the visited set's scripts: %s",
			 r->host, r->port, why);
		redis_free(r);
		return NULL;
	}
	return visited_new(&redis_ops, r);
}

/* UNLINK the keys of one SCAN reply's batch; false with the reason in err. */
static bool unlink_keys(redisContext *c, const redisReply *keys, char *err,
			size_t errlen)
{
	size_t argc = keys->elements + 1;
	const char **argv;
	size_t *lens;
	redisReply *rep;

	if (!keys->elements)
		return true;
	argv = malloc(argc * (sizeof(*argv) + sizeof(*lens)));
	if (!argv) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	lens = (size_t *)(void *)(argv + argc);
	argv[0] = "UNLINK";
	lens[0] = 6;
	for (size_t i = 0; i < keys->elements; i++) {
		argv[i + 1] = keys->element[i]->str;
		lens[i + 1] = keys->element[i]->len;
	}
	rep = run(c, err, errlen, (int)argc, argv, lens);
	free(argv);
	freeReplyObject(rep);
	return rep != NULL;
}

/* SCAN from cursor for pattern and unlink what it finds; the next cursor
 * ("0" at the end) in cursor, false with the reason in err. */
static bool delete_step(redisContext *c, const char *pattern, char *cursor,
			size_t cursorlen, char *err, size_t errlen)
{
	const char *argv[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", "1000" };
	redisReply *rep = run(c, err, errlen, 6, argv, NULL);
	bool ok = rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
		  rep->element[0]->type == REDIS_REPLY_STRING &&
		  rep->element[1]->type == REDIS_REPLY_ARRAY;

	if (rep && !ok)
		snprintf(err, errlen, "unexpected reply to SCAN");
	if (ok) {
		snprintf(cursor, cursorlen, "%s", rep->element[0]->str);
		ok = unlink_keys(c, rep->element[1], err, errlen);
	}
	freeReplyObject(rep);
	return ok;
}

enum visited_status visited_redis_delete(const char *redis_url,
					 const char *crawl_name, char *err,
					 size_t errlen)
{
	struct endpoint ep;
	redisContext *c;
	char *pattern, cursor[32] = "0";
	bool ok;

	if (!check_args(redis_url, crawl_name, &ep, err, errlen))
		return VISITED_UNAVAILABLE;
	if (asprintf(&pattern, "C:{%s}:*", crawl_name) < 0) {
		snprintf(err, errlen, "out of memory");
		return VISITED_NOMEM;
	}
	c = connect_to(ep.host, ep.port, ep.db, err, errlen);
	ok = c != NULL;
	while (ok) {
		ok = delete_step(c, pattern, cursor, sizeof(cursor), err, errlen);
		if (ok && strcmp(cursor, "0") == 0)
			break;
	}
	redisFree(c);
	free(pattern);
	return ok ? VISITED_OK : VISITED_UNAVAILABLE;
}
