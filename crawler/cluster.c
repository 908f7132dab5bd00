/* cluster: joining a shared crawl (cluster.h). One script decides
 * whether the crawl exists and, if not, creates it, so two workers started
 * at once with seeds agree on one crawl. */
#include "cluster.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rconn.h"

/* KEYS: meta, config, archive. ARGV: '1' to create, the start,
 * max_time_ms, lease_ttl_ns, then the crawl's args. Returns {1, archive}
 * created, {2} absent (and not created), or {0, archive, the stored args,
 * start}; archive is 1 when a collector with --warc has said so (the
 * archive key, which it sets before it waits for the crawl to start). */
#define LUA_JOIN \
	"local archive = redis.call('EXISTS', KEYS[3])\n" \
	"if redis.call('EXISTS', KEYS[1]) == 1 then\n" \
	"  return {0, archive, redis.call('LRANGE', KEYS[2], 0, -1),\n" \
	"          redis.call('HGET', KEYS[1], 'start')}\n" \
	"end\n" \
	"if ARGV[1] ~= '1' then return {2} end\n" \
	"for i = 5, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end\n" \
	"redis.call('HSET', KEYS[1], 'start', ARGV[2], 'max_time_ms', ARGV[3],\n" \
	"           'lease_ttl_ns', ARGV[4])\n" \
	"return {1, archive}\n"

#define NUM_TEXT 24
#define JOIN_ARGS 10 /* EVALSHA, SHA, 3, three keys, four numbers */
#define KEY_MAX (RCONN_NAME_MAX + 16)

static int64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t cluster_clock_offset(const struct cluster_crawl *c)
{
	return now_ns(CLOCK_REALTIME) - c->start_ns - now_ns(CLOCK_MONOTONIC);
}

static bool has_seeds(char *const *args, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(args[i], "--") == 0)
			return i + 1 < n;
	return false;
}

/* The stored args into out (owned copies); false when out of memory. */
static bool copy_args(const redisReply *list, struct cluster_crawl *out)
{
	out->args = calloc(list->elements + 1, sizeof(*out->args));
	if (!out->args)
		return false;
	for (size_t i = 0; i < list->elements; i++) {
		out->args[i] = strndup(list->element[i]->str, list->element[i]->len);
		if (!out->args[i])
			return false;
		out->nargs++;
	}
	return true;
}

/* Whether the given args are the stored ones; if not, err says where
 * they part. */
static bool same_args(const struct cluster_crawl *c, char *const *args,
		      size_t n, const char *name, char *err, size_t errlen)
{
	size_t i = 0;

	while (i < n && i < c->nargs && args[i] && c->args[i] &&
	       strcmp(args[i], c->args[i]) == 0)
		i++;
	if (i == n && i == c->nargs)
		return true;
	snprintf(err, errlen,
		 "crawl '%s' was started with other options or URLs (it has %s%s%s, "
		 "this command %s%s%s); give no URL and no crawl option to join it "
		 "as it is",
		 name, i < c->nargs ? "'" : "", i < c->nargs ? c->args[i] : "nothing more",
		 i < c->nargs ? "'" : "", i < n ? "'" : "", i < n ? args[i] : "nothing more",
		 i < n ? "'" : "");
	return false;
}

static enum cluster_status joined(const redisReply *rep, struct cluster_crawl *out,
				  char *const *args, size_t n, const char *name,
				  char *err, size_t errlen)
{
	const redisReply *list = rep->element[2], *start = rep->element[3];

	if (list->type != REDIS_REPLY_ARRAY || start->type != REDIS_REPLY_STRING) {
		snprintf(err, errlen, "crawl '%s' in Redis is not one this crawler made", name);
		return CLUSTER_UNAVAILABLE;
	}
	if (!copy_args(list, out)) {
		snprintf(err, errlen, "out of memory");
		return CLUSTER_NOMEM;
	}
	out->start_ns = strtoll(start->str, NULL, 10);
	if (n && !same_args(out, args, n, name, err, errlen))
		return CLUSTER_MISMATCH;
	return CLUSTER_OK;
}

/* The join script's arguments, in one allocation; NULL when out of memory. */
static const char **join_args(const char *name, char *const *args, size_t n,
			      const char *nums, size_t **lens)
{
	size_t argc = JOIN_ARGS + n;
	const char **argv = malloc(argc * (sizeof(*argv) + sizeof(**lens)) + 3 * KEY_MAX);
	char *keys;

	if (!argv)
		return NULL;
	*lens = (size_t *)(void *)(argv + argc);
	keys = (char *)(*lens + argc);
	snprintf(keys, KEY_MAX, "C:{%s}:meta", name);
	snprintf(keys + KEY_MAX, KEY_MAX, "C:{%s}:config", name);
	snprintf(keys + 2 * KEY_MAX, KEY_MAX, "C:{%s}:archive", name);
	argv[2] = "3";
	for (int i = 0; i < 3; i++)
		argv[3 + i] = keys + i * KEY_MAX;
	argv[6] = has_seeds(args, n) ? "1" : "0";
	for (int i = 0; i < 3; i++)
		argv[7 + i] = nums + i * NUM_TEXT;
	for (size_t i = 0; i < n; i++)
		argv[JOIN_ARGS + i] = args[i];
	for (size_t i = 2; i < argc; i++)
		(*lens)[i] = strlen(argv[i]);
	return argv;
}

enum cluster_status cluster_join(const char *url, const char *name,
				 char *const *args, size_t n,
				 int64_t max_time_ms, int64_t lease_ttl_ns,
				 struct cluster_crawl *out, char *err,
				 size_t errlen)
{
	struct rconn_script join = { .text = LUA_JOIN };
	struct rconn_endpoint ep;
	char nums[3 * NUM_TEXT];
	const char **argv;
	size_t *lens;
	struct rconn *r;
	redisReply *rep;
	enum cluster_status rc = CLUSTER_UNAVAILABLE;
	int64_t start = now_ns(CLOCK_REALTIME);

	memset(out, 0, sizeof(*out));
	if (!rconn_check(url, name, &ep, err, errlen))
		return CLUSTER_BAD_NAME;
	r = rconn_new(&ep, &join, 1, "the crawl's", err, errlen);
	if (!r)
		return CLUSTER_UNAVAILABLE;
	snprintf(nums, NUM_TEXT, "%" PRId64, start);
	snprintf(nums + NUM_TEXT, NUM_TEXT, "%" PRId64, max_time_ms);
	snprintf(nums + 2 * NUM_TEXT, NUM_TEXT, "%" PRId64, lease_ttl_ns);
	argv = join_args(name, args, n, nums, &lens);
	if (!argv) {
		rconn_free(r);
		snprintf(err, errlen, "out of memory");
		return CLUSTER_NOMEM;
	}
	rep = rconn_eval(r, &join, (int)(JOIN_ARGS + n), argv, lens);
	free(argv);
	if (!rep || rep->type != REDIS_REPLY_ARRAY || !rep->elements ||
	    rep->element[0]->type != REDIS_REPLY_INTEGER ||
	    (rep->element[0]->integer != 2 &&
	     (rep->elements < 2 || rep->element[1]->type != REDIS_REPLY_INTEGER))) {
		snprintf(err, errlen, "Redis at %s:%d did not answer the join", ep.host,
			 ep.port);
	} else if (rep->element[0]->integer == 2) {
		snprintf(err, errlen, "no crawl '%s' in Redis at %s:%d: give URLs to "
			 "start it", name, ep.host, ep.port);
		rc = CLUSTER_NO_CRAWL;
	} else if (rep->element[0]->integer == 1) {
		out->created = true;
		out->start_ns = start;
		out->archive = rep->element[1]->integer == 1;
		rc = CLUSTER_OK;
	} else if (rep->elements == 4) {
		out->archive = rep->element[1]->integer == 1;
		rc = joined(rep, out, args, n, name, err, errlen);
	}
	freeReplyObject(rep);
	rconn_free(r);
	return rc;
}

enum cluster_status cluster_stop(const char *url, const char *name,
				 const char *why, char *err, size_t errlen)
{
	struct rconn_endpoint ep;
	redisContext *c;
	redisReply *rep;
	char key[KEY_MAX];
	const char *argv[] = { "HSETNX", key, "stop", why };

	if (!rconn_check(url, name, &ep, err, errlen))
		return CLUSTER_BAD_NAME;
	snprintf(key, sizeof(key), "C:{%s}:counts", name);
	c = rconn_connect(&ep, err, errlen);
	rep = c ? rconn_run(c, err, errlen, 4, argv, NULL) : NULL;
	freeReplyObject(rep);
	redisFree(c);
	return rep ? CLUSTER_OK : CLUSTER_UNAVAILABLE;
}

void cluster_release(struct cluster_crawl *c)
{
	for (size_t i = 0; i < c->nargs; i++)
		free(c->args[i]);
	free(c->args);
	c->args = NULL;
	c->nargs = 0;
}
