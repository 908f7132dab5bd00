/* frontier_redis: the frontier's backend in Redis (frontier.h), shared by
 * every worker of a crawl; docs/DISTRIBUTED.md has the keys and scripts.
 *
 * Each origin has a hash C:{name}:o:<origin> (its leases, the URLs it ever
 * queued, its next start and delay, the lease that last set it, its gate,
 * whether it is in the ring) and a sorted set C:{name}:q:<origin> of its
 * queued URLs, scored depth * 2^32 + seq (breadth first, FIFO within a
 * depth). The list C:{name}:ring holds the origins that have URLs and may
 * start them (open, under per_host), in turn, as frontier_memory's ring
 * does; a take walks it at most once. Every change is one Lua script, so
 * every worker sees one frontier; the scripts get the crawl's config and
 * the caller's clock as arguments and build their key names from the
 * prefix C:{name}:, like visited_redis's.
 *
 * A lease is C:{name}:lease:<token>, the token from INCR C:{name}:token
 * (a fencing token: a lease taken back and handed out again has a new one,
 * so the old holder's done, skip or retry finds its own gone and does
 * nothing), with its expiry in C:{name}:expiry; a take first puts the
 * expired ones back at the head of their queues, one more attempt each.
 * Its handle here is its token and its URL, parent and chain, freed when
 * it ends.
 *
 * Policies are pointers, so they stay in this process: `origins`, a table
 * by origin under `lock`, holds the policy each origin was opened with
 * here and the name a gate points to. No lock is held across another:
 * `lock` is never taken while the connection's is (rconn.h). */
#include "frontier.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "rconn.h"

/* Shared by every script. KEYS[1] is the counts hash (so a cluster knows
 * the slot); ARGV[1] the key prefix, ARGV[2..7] the config (per_host,
 * delay_ns, max_per_host, max_depth, gated, lease_ttl_ns), then the
 * script's own from ARGV[8]. Times are integers of ns kept as Lua numbers
 * (doubles: exact below 2^53) and stored with %.0f: Lua's own tostring
 * keeps 14 digits only. */
#define LUA_COMMON \
	"local P = ARGV[1]\n" \
	"local PER_HOST = tonumber(ARGV[2])\n" \
	"local MAX_PER_HOST = tonumber(ARGV[4])\n" \
	"local MAX_DEPTH = tonumber(ARGV[5])\n" \
	"local GATED = ARGV[6] == '1'\n" \
	"local TTL = tonumber(ARGV[7])\n" \
	"local COUNTS = KEYS[1]\n" \
	"local SPAN = 4294967296\n" \
	"local function num(v) return tonumber(v) or 0 end\n" \
	"local function str(n) return string.format('%.0f', n) end\n" \
	"local function offer(o)\n" \
	"  local h = P .. 'o:' .. o\n" \
	"  local f = redis.call('HMGET', h, 'ring', 'gate', 'leased')\n" \
	"  if f[1] == '1' or (f[2] and f[2] ~= 'open') then return end\n" \
	"  if num(f[3]) >= PER_HOST then return end\n" \
	"  if redis.call('ZCARD', P .. 'q:' .. o) == 0 then return end\n" \
	"  redis.call('HSET', h, 'ring', '1')\n" \
	"  redis.call('RPUSH', P .. 'ring', o)\n" \
	"end\n" \
	"local function bump(m)\n" \
	"  local a = math.min(tonumber(string.sub(m, 1, 3)) + 1, 999)\n" \
	"  return string.format('%03d', a) .. string.sub(m, 4)\n" \
	"end\n" \
	"local function lease_drop(t)\n" \
	"  local k = P .. 'lease:' .. t\n" \
	"  local l = redis.call('HMGET', k, 'origin', 'member', 'score')\n" \
	"  if not l[1] then return nil end\n" \
	"  redis.call('DEL', k)\n" \
	"  redis.call('ZREM', P .. 'expiry', t)\n" \
	"  local h = P .. 'o:' .. l[1]\n" \
	"  redis.call('HINCRBY', h, 'leased', -1)\n" \
	"  redis.call('HINCRBY', COUNTS, 'leased', -1)\n" \
	"  return l\n" \
	"end\n" \
	"local function requeue(l)\n" \
	"  redis.call('ZADD', P .. 'q:' .. l[1], l[3], bump(l[2]))\n" \
	"  redis.call('HINCRBY', COUNTS, 'queued', 1)\n" \
	"end\n"

/* ARGV[8..]: origin, depth, item (the member without its attempts and
 * seq) for each URL. Returns a status character each: '0' queued, '1' the
 * origin is full. */
#define LUA_PUSH \
	LUA_COMMON \
	"local out = {}\n" \
	"for i = 8, #ARGV, 3 do\n" \
	"  local o, d = ARGV[i], tonumber(ARGV[i + 1])\n" \
	"  local h = P .. 'o:' .. o\n" \
	"  if redis.call('HSETNX', h, 'delay', ARGV[3]) == 1 and GATED then\n" \
	"    redis.call('HSET', h, 'gate', 'shut')\n" \
	"    redis.call('LPUSH', P .. 'gated', o)\n" \
	"  end\n" \
	"  if MAX_PER_HOST > 0 and num(redis.call('HGET', h, 'admitted')) >= MAX_PER_HOST then\n" \
	"    out[#out + 1] = '1'\n" \
	"  else\n" \
	"    local seq = redis.call('INCR', P .. 'seq')\n" \
	"    redis.call('ZADD', P .. 'q:' .. o, str(d * SPAN + seq),\n" \
	"               string.format('000 %d ', seq) .. ARGV[i + 2])\n" \
	"    redis.call('HINCRBY', h, 'admitted', 1)\n" \
	"    redis.call('HINCRBY', COUNTS, 'queued', 1)\n" \
	"    redis.call('HINCRBY', COUNTS, 'pending', 1)\n" \
	"    if MAX_DEPTH >= 0 then\n" \
	"      redis.call('HINCRBY', P .. 'levels', ARGV[i + 1], 1)\n" \
	"      if d < num(redis.call('GET', P .. 'level')) then\n" \
	"        redis.call('SET', P .. 'level', ARGV[i + 1])\n" \
	"      end\n" \
	"    end\n" \
	"    offer(o)\n" \
	"    out[#out + 1] = '0'\n" \
	"  end\n" \
	"end\n" \
	"return table.concat(out)\n"

/* ARGV[8]: now. Returns {1, token, member, origin}, or {0[, wake]}. */
#define LUA_TAKE \
	LUA_COMMON \
	"local now = tonumber(ARGV[8])\n" \
	"for _, t in ipairs(redis.call('ZRANGEBYSCORE', P .. 'expiry', '-inf', str(now))) do\n" \
	"  local l = lease_drop(t)\n" \
	"  if l then\n" \
	"    local h = P .. 'o:' .. l[1]\n" \
	"    if redis.call('HGET', h, 'paced_by') == t then redis.call('HDEL', h, 'paced_by') end\n" \
	"    requeue(l)\n" \
	"    offer(l[1])\n" \
	"  else\n" \
	"    redis.call('ZREM', P .. 'expiry', t)\n" \
	"  end\n" \
	"end\n" \
	"local maxd = math.huge\n" \
	"if MAX_DEPTH >= 0 then\n" \
	"  local lv = num(redis.call('GET', P .. 'level'))\n" \
	"  local was = lv\n" \
	"  while lv <= MAX_DEPTH and num(redis.call('HGET', P .. 'levels', lv)) <= 0 do\n" \
	"    lv = lv + 1\n" \
	"  end\n" \
	"  if lv ~= was then redis.call('SET', P .. 'level', lv) end\n" \
	"  maxd = lv\n" \
	"end\n" \
	"local function take(o, h, m, score, nxt)\n" \
	"  local t = tostring(redis.call('INCR', P .. 'token'))\n" \
	"  local exp = str(now + TTL)\n" \
	"  redis.call('ZREM', P .. 'q:' .. o, m)\n" \
	"  redis.call('HINCRBY', h, 'leased', 1)\n" \
	"  redis.call('HSET', h, 'paced_by', t, 'paced_from', str(nxt),\n" \
	"             'next', str(now + num(redis.call('HGET', h, 'delay'))))\n" \
	"  redis.call('HSET', P .. 'lease:' .. t, 'origin', o, 'member', m, 'score', score)\n" \
	"  redis.call('ZADD', P .. 'expiry', exp, t)\n" \
	"  redis.call('HINCRBY', COUNTS, 'queued', -1)\n" \
	"  redis.call('HINCRBY', COUNTS, 'leased', 1)\n" \
	"  return {1, t, m, o}\n" \
	"end\n" \
	"local wake = nil\n" \
	"for _ = 1, redis.call('LLEN', P .. 'ring') do\n" \
	"  local o = redis.call('LPOP', P .. 'ring')\n" \
	"  local h = P .. 'o:' .. o\n" \
	"  local got = nil\n" \
	"  redis.call('HSET', h, 'ring', '0')\n" \
	"  local nxt = num(redis.call('HGET', h, 'next'))\n" \
	"  if nxt > now then\n" \
	"    if not wake or nxt < wake then wake = nxt end\n" \
	"  else\n" \
	"    local head = redis.call('ZRANGE', P .. 'q:' .. o, 0, 0, 'WITHSCORES')\n" \
	"    if head[1] and math.floor(tonumber(head[2]) / SPAN) <= maxd then\n" \
	"      got = take(o, h, head[1], head[2], nxt)\n" \
	"    end\n" \
	"  end\n" \
	"  offer(o)\n" \
	"  if got then return got end\n" \
	"end\n" \
	"if wake then return {0, wake} end\n" \
	"return {0}\n"

/* ARGV[8]: the token, ARGV[9]: '1' to give the start back (skip). 0 when
 * the lease was gone (taken back). */
#define LUA_END \
	LUA_COMMON \
	"local t = ARGV[8]\n" \
	"local l = lease_drop(t)\n" \
	"if not l then return 0 end\n" \
	"local h = P .. 'o:' .. l[1]\n" \
	"if redis.call('HGET', h, 'paced_by') == t then\n" \
	"  if ARGV[9] == '1' then\n" \
	"    redis.call('HSET', h, 'next', redis.call('HGET', h, 'paced_from') or '0')\n" \
	"  end\n" \
	"  redis.call('HDEL', h, 'paced_by')\n" \
	"end\n" \
	"offer(l[1])\n" \
	"return 1\n"

/* ARGV[8]: the token, ARGV[9]: not before. */
#define LUA_RETRY \
	LUA_COMMON \
	"local t = ARGV[8]\n" \
	"local l = lease_drop(t)\n" \
	"if not l then return 0 end\n" \
	"local h = P .. 'o:' .. l[1]\n" \
	"if redis.call('HGET', h, 'paced_by') == t then redis.call('HDEL', h, 'paced_by') end\n" \
	"requeue(l)\n" \
	"local nb = tonumber(ARGV[9])\n" \
	"if num(redis.call('HGET', h, 'next')) < nb then redis.call('HSET', h, 'next', str(nb)) end\n" \
	"offer(l[1])\n" \
	"return 1\n"

/* The next gated origin not handed out, or nil. */
#define LUA_GATED \
	LUA_COMMON \
	"local o = redis.call('LPOP', P .. 'gated')\n" \
	"if not o then return false end\n" \
	"redis.call('HSET', P .. 'o:' .. o, 'gate', 'taken')\n" \
	"return o\n"

/* ARGV[8]: the origin, ARGV[9]: its delay, ARGV[10]: now. */
#define LUA_OPEN \
	LUA_COMMON \
	"local h = P .. 'o:' .. ARGV[8]\n" \
	"local delay = math.max(num(redis.call('HGET', h, 'delay')), tonumber(ARGV[9]))\n" \
	"redis.call('HSET', h, 'delay', str(delay), 'next', str(tonumber(ARGV[10]) + delay),\n" \
	"           'gate', 'open')\n" \
	"offer(ARGV[8])\n" \
	"return 1\n"

/* ARGV[8]: the depth. 1 when that ended the pending work or a level. */
#define LUA_COMPLETE \
	LUA_COMMON \
	"local ended = redis.call('HINCRBY', COUNTS, 'pending', -1) == 0\n" \
	"local d = tonumber(ARGV[8])\n" \
	"if MAX_DEPTH >= 0 and d <= MAX_DEPTH and\n" \
	"   redis.call('HINCRBY', P .. 'levels', ARGV[8], -1) == 0 then\n" \
	"  ended = true\n" \
	"end\n" \
	"return ended and 1 or 0\n"

enum { S_PUSH, S_TAKE, S_END, S_RETRY, S_GATED, S_OPEN, S_COMPLETE, NSCRIPTS };

/* EVALSHA, SHA, 1, the counts key, the prefix, 6 of config. */
#define COMMON_ARGS 11
#define NUM_TEXT 24       /* an int64 in decimal and its NUL */
#define ITEM_HEAD 96      /* the text before an item's URL, at most */

/* The policy an origin was opened with here, and its name for gates. */
struct local_origin {
	void *policy;             /* owned; NULL if none (yet) */
	struct local_origin *all_next; /* every one, for redis_free */
	UT_hash_handle hh;
	char origin[];
};

/* A lease's handle: what its fields point to. */
struct rlease {
	char token[NUM_TEXT];
	char *url, *parent;       /* after the chain */
	uint64_t chain[];         /* redirects of them */
};

struct fredis {
	struct rconn *conn;           /* the one connection (rconn.h) */
	struct frontier_config cfg;
	char *prefix;                 /* C:{name}: */
	char *counts_key;             /* C:{name}:counts */
	char conf[6][NUM_TEXT];       /* ARGV[2..7] of every script */
	struct rconn_script scripts[NSCRIPTS];
	atomic_bool broken;           /* a call that cannot say so failed */
	pthread_mutex_t lock;         /* guards origins and last */
	struct local_origin *origins; /* uthash by origin */
	struct local_origin *all;     /* the same, a plain list */
	struct frontier_counts last;  /* the counts last read */
};

/* The origin of a canonical URL: everything before the path. */
static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	p = p ? p + 3 : url;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

static void common_args(const struct fredis *r, const char **argv, size_t *lens)
{
	argv[2] = "1";
	argv[3] = r->counts_key;
	argv[4] = r->prefix;
	for (int i = 0; i < 6; i++)
		argv[5 + i] = r->conf[i];
	for (int i = 2; i < COMMON_ARGS; i++)
		lens[i] = strlen(argv[i]);
}

/* Script s with the common arguments, then those in argv from
 * COMMON_ARGS; NULL when Redis is unavailable. */
static redisReply *eval(struct fredis *r, int s, const char **argv, size_t *lens,
			size_t argc)
{
	common_args(r, argv, lens);
	return rconn_eval(r->conn, &r->scripts[s], (int)argc, argv, lens);
}

/* A script with up to three arguments of text (the first NULL ends them);
 * NULL as eval. */
static redisReply *eval_small(struct fredis *r, int s, const char *a,
			      const char *b, const char *c)
{
	const char *argv[COMMON_ARGS + 3] = { 0 };
	size_t lens[COMMON_ARGS + 3] = { 0 };
	const char *extra[] = { a, b, c };
	size_t argc = COMMON_ARGS;

	for (int i = 0; i < 3 && extra[i]; i++, argc++) {
		argv[argc] = extra[i];
		lens[argc] = strlen(extra[i]);
	}
	return eval(r, s, argv, lens, argc);
}

/* The most bytes item_pack writes for it. */
static size_t item_size(const struct frontier_item *it)
{
	return ITEM_HEAD + strlen(it->url) + (it->parent ? strlen(it->parent) : 0) +
	       it->redirects * sizeof(uint64_t);
}

/* An item's text after its attempts and seq: "depth redirects flags
 * urllen parentlen\n" (parentlen -1: no parent), the URL, the parent, the
 * chain (8 bytes each, this machine's order); returns its length. */
static size_t item_pack(const struct frontier_item *it, char *buf)
{
	size_t ulen = strlen(it->url), plen = it->parent ? strlen(it->parent) : 0;
	int n = snprintf(buf, ITEM_HEAD, "%u %u %u %zu %ld\n", it->depth, it->redirects,
			 it->flags & 0xffff, ulen, it->parent ? (long)plen : -1L);
	char *at = buf + n;

	memcpy(at, it->url, ulen);
	at += ulen;
	if (plen)
		memcpy(at, it->parent, plen);
	at += plen;
	if (it->redirects && it->chain)
		memcpy(at, it->chain, it->redirects * sizeof(uint64_t));
	else
		memset(at, 0, it->redirects * sizeof(uint64_t));
	return (size_t)(at - buf) + it->redirects * sizeof(uint64_t);
}

static bool too_deep(const struct fredis *r, unsigned depth)
{
	return r->cfg.max_depth >= 0 && depth > (unsigned long)r->cfg.max_depth;
}

/* The push script's arguments for the items not too deep, with their text
 * in the same allocation; NULL when out of memory. */
static const char **push_args(const struct frontier_item *items,
			      size_t n, const enum frontier_push_status *status,
			      size_t *argc, size_t **lens)
{
	size_t text = 0, sent = 0;
	const char **argv;
	char *at;

	for (size_t i = 0; i < n; i++)
		if (status[i] == FRONTIER_QUEUED) {
			text += NUM_TEXT + item_size(&items[i]);
			sent++;
		}
	*argc = COMMON_ARGS + 3 * sent;
	argv = malloc(*argc * (sizeof(*argv) + sizeof(**lens)) + text);
	if (!argv)
		return NULL;
	*lens = (size_t *)(void *)(argv + *argc);
	at = (char *)(*lens + *argc);
	for (size_t i = 0, k = COMMON_ARGS; i < n; i++) {
		if (status[i] != FRONTIER_QUEUED)
			continue;
		argv[k] = items[i].url;
		(*lens)[k++] = origin_len(items[i].url);
		argv[k] = at;
		(*lens)[k++] = (size_t)snprintf(at, NUM_TEXT, "%u", items[i].depth);
		at += NUM_TEXT;
		argv[k] = at;
		(*lens)[k] = item_pack(&items[i], at);
		at += (*lens)[k++];
	}
	return argv;
}

static enum frontier_status push_fail(enum frontier_push_status *status, size_t n,
				      enum frontier_status rc)
{
	for (size_t i = 0; i < n; i++)
		if (status[i] == FRONTIER_QUEUED)
			status[i] = FRONTIER_FAILED;
	return rc;
}

static enum frontier_status redis_push_batch(void *state,
					     const struct frontier_item *items,
					     size_t n,
					     enum frontier_push_status *status)
{
	struct fredis *r = state;
	size_t argc, *lens, k = 0;
	const char **argv;
	redisReply *rep;

	for (size_t i = 0; i < n; i++)
		status[i] = too_deep(r, items[i].depth) ? FRONTIER_TOO_DEEP : FRONTIER_QUEUED;
	if (atomic_load(&r->broken))
		return push_fail(status, n, FRONTIER_UNAVAILABLE);
	argv = push_args(items, n, status, &argc, &lens);
	if (!argv)
		return push_fail(status, n, FRONTIER_NOMEM);
	if (argc == COMMON_ARGS) {
		free(argv);
		return FRONTIER_OK;
	}
	rep = eval(r, S_PUSH, argv, lens, argc);
	free(argv);
	if (!rep || rep->type != REDIS_REPLY_STRING ||
	    rep->len != (argc - COMMON_ARGS) / 3) {
		freeReplyObject(rep);
		return push_fail(status, n, FRONTIER_UNAVAILABLE);
	}
	for (size_t i = 0; i < n; i++)
		if (status[i] == FRONTIER_QUEUED && rep->str[k++] == '1')
			status[i] = FRONTIER_HOST_FULL;
	freeReplyObject(rep);
	return FRONTIER_OK;
}

/* A member as the push script made it: "attempts seq " then the item. */
struct member {
	unsigned attempts, depth, redirects, flags;
	const char *url, *parent, *chain;
	size_t ulen;
	long plen;                /* -1: no parent */
};

static bool member_parse(const char *s, size_t len, struct member *m)
{
	const char *end = s + len;
	char *at;
	size_t rest;

	m->attempts = (unsigned)strtoul(s, &at, 10);
	(void)strtoull(at, &at, 10);
	m->depth = (unsigned)strtoul(at, &at, 10);
	m->redirects = (unsigned)strtoul(at, &at, 10);
	m->flags = (unsigned)strtoul(at, &at, 10);
	m->ulen = strtoull(at, &at, 10);
	m->plen = strtol(at, &at, 10);
	if (at >= end || *at != '\n' || m->redirects > 100)
		return false;
	at++;
	rest = (size_t)(end - at);
	if (rest != m->ulen + (m->plen > 0 ? (size_t)m->plen : 0) +
		    m->redirects * sizeof(uint64_t))
		return false;
	m->url = at;
	m->parent = m->plen >= 0 ? at + m->ulen : NULL;
	m->chain = at + m->ulen + (m->plen > 0 ? (size_t)m->plen : 0);
	return true;
}

static void *policy_of(struct fredis *r, const char *origin, size_t len)
{
	struct local_origin *o;
	void *p = NULL;

	pthread_mutex_lock(&r->lock);
	HASH_FIND(hh, r->origins, origin, len, o);
	if (o)
		p = o->policy;
	pthread_mutex_unlock(&r->lock);
	return p;
}

/* The handle for the take script's answer {1, token, member, origin}; NULL
 * when out of memory or the answer is not one. */
static struct rlease *lease_new(const redisReply *rep, struct member *m)
{
	const redisReply *tok, *mem;
	struct rlease *l;
	size_t plen;

	if (rep->elements != 4)
		return NULL;
	tok = rep->element[1];
	mem = rep->element[2];
	if (tok->type != REDIS_REPLY_STRING ||
	    tok->len >= NUM_TEXT || mem->type != REDIS_REPLY_STRING ||
	    rep->element[3]->type != REDIS_REPLY_STRING ||
	    !member_parse(mem->str, mem->len, m))
		return NULL;
	plen = m->plen > 0 ? (size_t)m->plen : 0;
	l = malloc(sizeof(*l) + m->redirects * sizeof(uint64_t) + m->ulen + plen + 2);
	if (!l)
		return NULL;
	memcpy(l->token, tok->str, tok->len + 1);
	memcpy(l->chain, m->chain, m->redirects * sizeof(uint64_t));
	l->url = (char *)(l->chain + m->redirects);
	memcpy(l->url, m->url, m->ulen);
	l->url[m->ulen] = '\0';
	l->parent = l->url + m->ulen + 1;
	memcpy(l->parent, m->parent ? m->parent : "", plen);
	l->parent[plen] = '\0';
	return l;
}

static enum frontier_status lease_fill(struct fredis *r, const redisReply *rep,
				       struct frontier_lease *out)
{
	struct member m;
	struct rlease *l = lease_new(rep, &m);

	if (!l)
		return FRONTIER_NOMEM;
	*out = (struct frontier_lease){
		.url = l->url,
		.parent = m.parent ? l->parent : NULL,
		.chain = m.redirects ? l->chain : NULL,
		.policy = policy_of(r, rep->element[3]->str, rep->element[3]->len),
		.handle = l,
		.depth = m.depth,
		.redirects = m.redirects,
		.attempts = m.attempts,
		.flags = m.flags,
	};
	return FRONTIER_OK;
}

static enum frontier_status redis_take_ready(void *state, int64_t now_ns,
					     int64_t *wake_ns,
					     struct frontier_lease *out)
{
	struct fredis *r = state;
	char now[NUM_TEXT];
	redisReply *rep;
	enum frontier_status rc = FRONTIER_NONE;

	if (atomic_load(&r->broken))
		return FRONTIER_UNAVAILABLE;
	snprintf(now, sizeof(now), "%" PRId64, now_ns);
	rep = eval_small(r, S_TAKE, now, NULL, NULL);
	if (!rep || rep->type != REDIS_REPLY_ARRAY || !rep->elements ||
	    rep->element[0]->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(rep);
		return FRONTIER_UNAVAILABLE;
	}
	if (rep->element[0]->integer == 1)
		rc = lease_fill(r, rep, out);
	else if (rep->elements > 1 && rep->element[1]->type == REDIS_REPLY_INTEGER &&
		 wake_ns && rep->element[1]->integer < *wake_ns)
		*wake_ns = rep->element[1]->integer;
	freeReplyObject(rep);
	return rc;
}

/* A script that answers an integer, whose failure only marks the
 * frontier broken. */
static long long eval_void(struct fredis *r, int s, const char *a, const char *b,
			   const char *c)
{
	redisReply *rep = eval_small(r, s, a, b, c);
	long long v = 0;

	if (rep && rep->type == REDIS_REPLY_INTEGER)
		v = rep->integer;
	else
		atomic_store(&r->broken, true);
	freeReplyObject(rep);
	return v;
}

static void lease_end(struct fredis *r, const struct frontier_lease *l, bool refund)
{
	struct rlease *h = l->handle;

	eval_void(r, S_END, h->token, refund ? "1" : "0", NULL);
	free(h);
}

static void redis_done(void *state, const struct frontier_lease *l)
{
	lease_end(state, l, false);
}

static void redis_skip(void *state, const struct frontier_lease *l)
{
	lease_end(state, l, true);
}

static void redis_retry(void *state, const struct frontier_lease *l,
			int64_t not_before_ns)
{
	struct rlease *h = l->handle;
	char nb[NUM_TEXT];

	snprintf(nb, sizeof(nb), "%" PRId64, not_before_ns);
	eval_void(state, S_RETRY, h->token, nb, NULL);
	free(h);
}

/* origin's entry in the table, made if new; NULL when out of memory. */
static struct local_origin *local_get(struct fredis *r, const char *origin, size_t len)
{
	struct local_origin *o;

	pthread_mutex_lock(&r->lock);
	HASH_FIND(hh, r->origins, origin, len, o);
	if (!o && (o = calloc(1, sizeof(*o) + len + 1))) {
		memcpy(o->origin, origin, len);
		HASH_ADD(hh, r->origins, origin[0], len, o);
		o->all_next = r->all;
		r->all = o;
	}
	pthread_mutex_unlock(&r->lock);
	return o;
}

static enum frontier_status redis_take_gated(void *state, struct frontier_gate *out)
{
	struct fredis *r = state;
	redisReply *rep;
	struct local_origin *o = NULL;

	if (atomic_load(&r->broken))
		return FRONTIER_UNAVAILABLE;
	rep = eval_small(r, S_GATED, NULL, NULL, NULL);
	if (!rep || (rep->type != REDIS_REPLY_NIL && rep->type != REDIS_REPLY_STRING)) {
		freeReplyObject(rep);
		return FRONTIER_UNAVAILABLE;
	}
	if (rep->type == REDIS_REPLY_NIL) {
		freeReplyObject(rep);
		return FRONTIER_NONE;
	}
	o = local_get(r, rep->str, rep->len);
	freeReplyObject(rep);
	if (!o)
		return FRONTIER_NOMEM;
	*out = (struct frontier_gate){ .origin = o->origin, .handle = o };
	return FRONTIER_OK;
}

static void redis_open(void *state, const struct frontier_gate *g, void *policy,
		       int64_t delay_ns, int64_t now_ns)
{
	struct fredis *r = state;
	struct local_origin *o = g->handle;
	char delay[NUM_TEXT], now[NUM_TEXT];
	void *old;

	pthread_mutex_lock(&r->lock);
	old = o->policy;
	o->policy = policy;
	pthread_mutex_unlock(&r->lock);
	if (old && r->cfg.free_policy)
		r->cfg.free_policy(old);
	snprintf(delay, sizeof(delay), "%" PRId64, delay_ns);
	snprintf(now, sizeof(now), "%" PRId64, now_ns);
	eval_void(r, S_OPEN, o->origin, delay, now);
}

/* A failure says true: whoever waits on it wakes and finds the frontier
 * unavailable. */
static bool redis_complete(void *state, unsigned depth)
{
	struct fredis *r = state;
	char d[NUM_TEXT];

	snprintf(d, sizeof(d), "%u", depth);
	return eval_void(r, S_COMPLETE, d, NULL, NULL) == 1 || atomic_load(&r->broken);
}

static size_t count_of(const redisReply *e)
{
	return e->type == REDIS_REPLY_STRING ? (size_t)strtoull(e->str, NULL, 10) : 0;
}

/* Unreadable, the counts are the last ones read with at least one
 * pending (never a false "over"), and the frontier is broken: the next
 * take says why. */
static void redis_counts(void *state, struct frontier_counts *out)
{
	struct fredis *r = state;
	const char *argv[] = { "HMGET", r->counts_key, "queued", "leased", "pending" };
	redisReply *rep = rconn_command(r->conn, 5, argv, NULL);
	bool ok = rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 3;

	pthread_mutex_lock(&r->lock);
	if (ok)
		r->last = (struct frontier_counts){ .queued = count_of(rep->element[0]),
						    .leased = count_of(rep->element[1]),
						    .pending = count_of(rep->element[2]) };
	else
		atomic_store(&r->broken, true);
	*out = r->last;
	if (!ok && !out->pending)
		out->pending = 1;
	pthread_mutex_unlock(&r->lock);
	freeReplyObject(rep);
}

static void redis_free(void *state)
{
	struct fredis *r = state;

	if (!r)
		return;
	HASH_CLEAR(hh, r->origins);
	while (r->all) {
		struct local_origin *o = r->all;

		r->all = o->all_next;
		if (o->policy && r->cfg.free_policy)
			r->cfg.free_policy(o->policy);
		free(o);
	}
	rconn_free(r->conn);
	pthread_mutex_destroy(&r->lock);
	free(r->prefix);
	free(r->counts_key);
	free(r);
}

static const struct frontier_ops redis_ops = {
	.push_batch = redis_push_batch,
	.take_ready = redis_take_ready,
	.done = redis_done,
	.skip = redis_skip,
	.retry = redis_retry,
	.take_gated = redis_take_gated,
	.open = redis_open,
	.complete = redis_complete,
	.counts = redis_counts,
	.free = redis_free,
};

static void config_args(struct fredis *r)
{
	const struct frontier_config *c = &r->cfg;

	snprintf(r->conf[0], NUM_TEXT, "%u", c->per_host);
	snprintf(r->conf[1], NUM_TEXT, "%" PRId64, c->delay_ns);
	snprintf(r->conf[2], NUM_TEXT, "%" PRIu64, c->max_per_host);
	snprintf(r->conf[3], NUM_TEXT, "%ld", c->max_depth);
	snprintf(r->conf[4], NUM_TEXT, "%d", c->gated ? 1 : 0);
	snprintf(r->conf[5], NUM_TEXT, "%" PRId64, c->lease_ttl_ns);
}

static struct fredis *fredis_new(const char *name, const struct frontier_config *cfg)
{
	static const char *const texts[NSCRIPTS] = {
		[S_PUSH] = LUA_PUSH, [S_TAKE] = LUA_TAKE, [S_END] = LUA_END,
		[S_RETRY] = LUA_RETRY, [S_GATED] = LUA_GATED, [S_OPEN] = LUA_OPEN,
		[S_COMPLETE] = LUA_COMPLETE,
	};
	struct fredis *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	r->cfg = *cfg;
	if (!r->cfg.per_host)
		r->cfg.per_host = 1;
	if (r->cfg.lease_ttl_ns <= 0)
		r->cfg.lease_ttl_ns = FRONTIER_LEASE_TTL_NS;
	config_args(r);
	for (int i = 0; i < NSCRIPTS; i++)
		r->scripts[i].text = texts[i];
	if (asprintf(&r->prefix, "C:{%s}:", name) < 0)
		r->prefix = NULL;
	if (asprintf(&r->counts_key, "C:{%s}:counts", name) < 0)
		r->counts_key = NULL;
	if (!r->prefix || !r->counts_key) {
		redis_free(r);
		return NULL;
	}
	return r;
}

struct frontier *frontier_redis_new(const char *redis_url, const char *crawl_name,
				    const struct frontier_config *cfg, char *err,
				    size_t errlen)
{
	struct rconn_endpoint ep;
	struct fredis *r;
	struct frontier *f;

	if (!rconn_check(redis_url, crawl_name, &ep, err, errlen))
		return NULL;
	r = fredis_new(crawl_name, cfg);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->conn = rconn_new(&ep, r->scripts, NSCRIPTS, "the frontier's", err, errlen);
	if (!r->conn) {
		redis_free(r);
		return NULL;
	}
	f = frontier_new(&redis_ops, r);
	if (!f)
		snprintf(err, errlen, "out of memory");
	return f;
}
