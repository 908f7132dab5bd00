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
 * cache); that command did not run, so it is sent once more (rconn.h
 * has the connection and its lock). */
#include "visited.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rconn.h"
#include "seen_lua.h"

/* KEYS: the count, the bucket count (the prefix's n and b: named so a
 * cluster knows the slot); ARGV: the bucket key prefix, then the members.
 * Returns a '1' for each fresh member, a '0' for each other. */
#define LUA_ADD \
	SEEN_LUA_ADD \
	"seen_open(ARGV[1])\n" \
	"local out = {}\n" \
	"for i = 2, #ARGV do\n" \
	"  out[i - 1] = seen_add(ARGV[i]) and '1' or '0'\n" \
	"end\n" \
	"seen_close()\n" \
	"return table.concat(out)\n"

/* KEYS: the bucket count; ARGV: the bucket key prefix, the member. */
#define LUA_HAS \
	SEEN_LUA_BUCKETS \
	"local b = tonumber(redis.call('GET', KEYS[1])) or 1\n" \
	"return redis.call('SISMEMBER', ARGV[1] .. bucket(low(ARGV[2]), b, level(b)), ARGV[2])\n"

enum { SCRIPT_ADD, SCRIPT_HAS, NSCRIPTS };

struct redis {
	struct rconn *conn;           /* the one connection (rconn.h) */
	char *count_key;      /* C:{name}:seen:n */
	char *buckets_key;    /* C:{name}:seen:b */
	char *prefix;         /* C:{name}:seen: */
	struct rconn_script scripts[NSCRIPTS];
};


/* The add script's arguments for n URLs: EVALSHA, SHA, 2, the two keys,
 * the prefix, then a member each, in one allocation with the members'
 * text; NULL when out of memory. */
static const char **add_args(const struct redis *r, char *const *urls, size_t n,
			     size_t **lens)
{
	size_t argc = 6 + n;
	const char **argv = malloc(argc * (sizeof(*argv) + sizeof(size_t)) + n * VISITED_MEMBER_MAX);
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
	for (size_t i = 0; i < n; i++, text += VISITED_MEMBER_MAX) {
		argv[6 + i] = text;
		(*lens)[6 + i] = visited_redis_member(visited_fingerprint(urls[i]), text);
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
	rep = rconn_eval(r->conn, &r->scripts[SCRIPT_ADD], (int)(6 + n), argv, lens);
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
	char member[VISITED_MEMBER_MAX];
	const char *argv[] = { NULL, NULL, "1", r->buckets_key, r->prefix, member };
	size_t lens[] = { 0, 0, 1, strlen(r->buckets_key), strlen(r->prefix),
			  visited_redis_member(visited_fingerprint(url), member) };
	redisReply *rep;
	bool found;

	rep = rconn_eval(r->conn, &r->scripts[SCRIPT_HAS], 6, argv, lens);
	found = rep && rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
	freeReplyObject(rep);
	return found;
}

static size_t redis_count(void *state)
{
	struct redis *r = state;
	const char *argv[] = { "GET", r->count_key };
	redisReply *rep = rconn_command(r->conn, 2, argv, NULL);
	size_t n = 0;

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
	rconn_free(r->conn);
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

/* The state for crawl name, not yet connected; NULL when out of memory. */
static struct redis *redis_state_new(const char *name)
{
	struct redis *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->scripts[SCRIPT_ADD].text = LUA_ADD;
	r->scripts[SCRIPT_HAS].text = LUA_HAS;
	if (asprintf(&r->count_key, "C:{%s}:seen:n", name) < 0 ||
	    asprintf(&r->buckets_key, "C:{%s}:seen:b", name) < 0 ||
	    asprintf(&r->prefix, "C:{%s}:seen:", name) < 0) {
		redis_free(r);
		return NULL;
	}
	return r;
}

size_t visited_redis_member(uint64_t fp, char *buf)
{
	int64_t v;

	memcpy(&v, &fp, sizeof(v));
	return (size_t)snprintf(buf, VISITED_MEMBER_MAX, "%" PRId64, v);
}

struct visited *visited_redis_new(const char *redis_url, const char *crawl_name,
				  char *err, size_t errlen)
{
	struct rconn_endpoint ep;
	struct redis *r;

	if (!rconn_check(redis_url, crawl_name, &ep, err, errlen))
		return NULL;
	r = redis_state_new(crawl_name);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->conn = rconn_new(&ep, r->scripts, NSCRIPTS, "the visited set's", err, errlen);
	if (!r->conn) {
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
	rep = rconn_run(c, err, errlen, (int)argc, argv, lens);
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
	redisReply *rep = rconn_run(c, err, errlen, 6, argv, NULL);
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
	struct rconn_endpoint ep;
	redisContext *c;
	char *pattern, cursor[32] = "0";
	bool ok;

	if (!rconn_check(redis_url, crawl_name, &ep, err, errlen))
		return VISITED_UNAVAILABLE;
	if (asprintf(&pattern, "C:{%s}:*", crawl_name) < 0) {
		snprintf(err, errlen, "out of memory");
		return VISITED_NOMEM;
	}
	c = rconn_connect(&ep, err, errlen);
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
