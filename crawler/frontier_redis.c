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
#include "seen_lua.h"
#include "visited.h"

/* Shared by every script. KEYS[1] is the counts hash (so a cluster knows
 * the slot); ARGV[1] the key prefix, ARGV[2..9] the config (per_host,
 * delay_ns, max_per_host, max_depth, gated, lease_ttl_ns, max_pages,
 * hold), then the script's own from ARGV[A]. Times are integers of ns kept
 * as Lua numbers (doubles: exact below 2^53) and stored with %.0f: Lua's
 * own tostring keeps 14 digits only. A lease held past done (hold) has
 * `done` set: its slot is free already. finish(depth) takes a URL out of
 * pending (complete, publish): true when that ended the work or a level. */
#define LUA_COMMON \
	"local P = ARGV[1]\n" \
	"local PER_HOST = tonumber(ARGV[2])\n" \
	"local MAX_PER_HOST = tonumber(ARGV[4])\n" \
	"local MAX_DEPTH = tonumber(ARGV[5])\n" \
	"local GATED = ARGV[6] == '1'\n" \
	"local TTL = tonumber(ARGV[7])\n" \
	"local MAX_PAGES = tonumber(ARGV[8])\n" \
	"local HOLD = ARGV[9] == '1'\n" \
	"local A = 10\n" \
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
	"local function first_try(m) return string.sub(m, 1, 3) == '000' end\n" \
	"local function slot_free(o)\n" \
	"  redis.call('HINCRBY', P .. 'o:' .. o, 'leased', -1)\n" \
	"  redis.call('HINCRBY', COUNTS, 'leased', -1)\n" \
	"end\n" \
	"local function lease_drop(t)\n" \
	"  local k = P .. 'lease:' .. t\n" \
	"  local l = redis.call('HMGET', k, 'origin', 'member', 'score', 'done')\n" \
	"  if not l[1] then return nil end\n" \
	"  redis.call('DEL', k)\n" \
	"  redis.call('ZREM', P .. 'expiry', t)\n" \
	"  if l[4] ~= '1' then slot_free(l[1]) end\n" \
	"  return l\n" \
	"end\n" \
	"local function unpace(h, t, back)\n" \
	"  if redis.call('HGET', h, 'paced_by') ~= t then return end\n" \
	"  if back then\n" \
	"    redis.call('HSET', h, 'next', redis.call('HGET', h, 'paced_from') or '0')\n" \
	"  end\n" \
	"  redis.call('HDEL', h, 'paced_by')\n" \
	"end\n" \
	"local function requeue(l)\n" \
	"  redis.call('ZADD', P .. 'q:' .. l[1], l[3], bump(l[2]))\n" \
	"  redis.call('HINCRBY', COUNTS, 'queued', 1)\n" \
	"end\n" \
	"local function finish(ds)\n" \
	"  local ended = redis.call('HINCRBY', COUNTS, 'pending', -1) == 0\n" \
	"  local d = tonumber(ds)\n" \
	"  if MAX_DEPTH >= 0 and d <= MAX_DEPTH and\n" \
	"     redis.call('HINCRBY', P .. 'levels', ds, -1) == 0 then\n" \
	"    ended = true\n" \
	"  end\n" \
	"  return ended\n" \
	"end\n" \
	"local function end_lease(t, skip)\n" \
	"  local k = P .. 'lease:' .. t\n" \
	"  local l = redis.call('HMGET', k, 'origin', 'member', 'done')\n" \
	"  if not l[1] or l[3] == '1' then return l[1] and 1 or 0 end\n" \
	"  if HOLD then\n" \
	"    redis.call('HSET', k, 'done', '1')\n" \
	"    slot_free(l[1])\n" \
	"  else\n" \
	"    lease_drop(t)\n" \
	"  end\n" \
	"  if skip and first_try(l[2]) then redis.call('HINCRBY', COUNTS, 'taken', -1) end\n" \
	"  unpace(P .. 'o:' .. l[1], t, skip)\n" \
	"  offer(l[1])\n" \
	"  return 1\n" \
	"end\n"

/* Queue one item of origin o at depth ds: '0' queued, '1' the origin is
 * full. */
#define LUA_QUEUE \
	"local function queue(o, ds, item)\n" \
	"  local d = tonumber(ds)\n" \
	"  local h = P .. 'o:' .. o\n" \
	"  if redis.call('HSETNX', h, 'delay', ARGV[3]) == 1 and GATED then\n" \
	"    redis.call('HSET', h, 'gate', 'shut')\n" \
	"    redis.call('LPUSH', P .. 'gated', o)\n" \
	"  end\n" \
	"  if MAX_PER_HOST > 0 and num(redis.call('HGET', h, 'admitted')) >= MAX_PER_HOST then\n" \
	"    return '1'\n" \
	"  end\n" \
	"  local seq = redis.call('INCR', P .. 'seq')\n" \
	"  redis.call('ZADD', P .. 'q:' .. o, str(d * SPAN + seq),\n" \
	"             string.format('000 %d ', seq) .. item)\n" \
	"  redis.call('HINCRBY', h, 'admitted', 1)\n" \
	"  redis.call('HINCRBY', COUNTS, 'queued', 1)\n" \
	"  redis.call('HINCRBY', COUNTS, 'pending', 1)\n" \
	"  if MAX_DEPTH >= 0 then\n" \
	"    redis.call('HINCRBY', P .. 'levels', ds, 1)\n" \
	"    if d < num(redis.call('GET', P .. 'level')) then\n" \
	"      redis.call('SET', P .. 'level', ds)\n" \
	"    end\n" \
	"  end\n" \
	"  offer(o)\n" \
	"  return '0'\n" \
	"end\n"

/* ARGV[A..]: origin, depth, item (the member without its attempts and
 * seq) for each URL. Returns a status character each, as queue. */
#define LUA_PUSH \
	LUA_COMMON \
	LUA_QUEUE \
	"local out = {}\n" \
	"for i = A, #ARGV, 3 do\n" \
	"  out[#out + 1] = queue(ARGV[i], ARGV[i + 1], ARGV[i + 2])\n" \
	"end\n" \
	"redis.call('HSET', COUNTS, 'begun', '1')\n" \
	"return table.concat(out)\n"

/* ARGV[A]: the visited set's prefix; then for each URL its member in the
 * set, its skip reason ('' for none), origin, depth and item. Returns a
 * character each: as queue, or '2' seen before, '3' new and skipped. The
 * reasons are counted in the skips hash, an origin full (max_per_host) as
 * the crawl's summary names it, "max_pages_per_host". */
#define LUA_ADMIT \
	LUA_COMMON \
	LUA_QUEUE \
	SEEN_LUA_ADD \
	"seen_open(ARGV[A])\n" \
	"local out = {}\n" \
	"for i = A + 1, #ARGV, 5 do\n" \
	"  if not seen_add(ARGV[i]) then\n" \
	"    out[#out + 1] = '2'\n" \
	"  elseif ARGV[i + 1] ~= '' then\n" \
	"    redis.call('HINCRBY', P .. 'skips', ARGV[i + 1], 1)\n" \
	"    out[#out + 1] = '3'\n" \
	"  else\n" \
	"    out[#out + 1] = queue(ARGV[i + 2], ARGV[i + 3], ARGV[i + 4])\n" \
	"    if out[#out] == '1' then\n" \
	"      redis.call('HINCRBY', P .. 'skips', 'max_pages_per_host', 1)\n" \
	"    end\n" \
	"  end\n" \
	"end\n" \
	"seen_close()\n" \
	"redis.call('HSET', COUNTS, 'begun', '1')\n" \
	"return table.concat(out)\n"

/* ARGV[A]: now, ARGV[A + 1]: how many leases at most, ARGV[A + 2]: how
 * many ends come first (token, '1' for a skip: the ends a worker deferred
 * to this round trip). Returns {1, then token, member, origin, shared for
 * each lease}, shared 1 when the origin's policy text is kept
 * (frontier_open_shared), or {0[, wake]}. */
#define LUA_TAKE \
	LUA_COMMON \
	"local now = tonumber(ARGV[A])\n" \
	"local want = tonumber(ARGV[A + 1])\n" \
	"for i = A + 3, A + 2 + 2 * tonumber(ARGV[A + 2]), 2 do\n" \
	"  end_lease(ARGV[i], ARGV[i + 1] == '1')\n" \
	"end\n" \
	"if want == 0 then return {0} end\n" \
	"for _, t in ipairs(redis.call('ZRANGEBYSCORE', P .. 'expiry', '-inf', str(now))) do\n" \
	"  local l = lease_drop(t)\n" \
	"  if l then\n" \
	"    unpace(P .. 'o:' .. l[1], t, false)\n" \
	"    requeue(l)\n" \
	"    offer(l[1])\n" \
	"  else\n" \
	"    redis.call('ZREM', P .. 'expiry', t)\n" \
	"  end\n" \
	"end\n" \
	"if MAX_PAGES > 0 and num(redis.call('HGET', COUNTS, 'taken')) >= MAX_PAGES then\n" \
	"  redis.call('HSETNX', COUNTS, 'stop', 'max-pages')\n" \
	"  return {0}\n" \
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
	"  redis.call('ZREM', P .. 'q:' .. o, m)\n" \
	"  redis.call('HINCRBY', h, 'leased', 1)\n" \
	"  redis.call('HSET', h, 'paced_by', t, 'paced_from', str(nxt),\n" \
	"             'next', str(now + num(redis.call('HGET', h, 'delay'))))\n" \
	"  redis.call('HSET', P .. 'lease:' .. t, 'origin', o, 'member', m, 'score', score)\n" \
	"  redis.call('ZADD', P .. 'expiry', str(now + TTL), t)\n" \
	"  redis.call('HINCRBY', COUNTS, 'queued', -1)\n" \
	"  redis.call('HINCRBY', COUNTS, 'leased', 1)\n" \
	"  if first_try(m) then redis.call('HINCRBY', COUNTS, 'taken', 1) end\n" \
	"  return {t, m, o, redis.call('HEXISTS', h, 'robots')}\n" \
	"end\n" \
	"local wake = nil\n" \
	"local out = {1}\n" \
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
	"  if got then\n" \
	"    for _, v in ipairs(got) do out[#out + 1] = v end\n" \
	"    if #out > 4 * want then return out end\n" \
	"    if MAX_PAGES > 0 and num(redis.call('HGET', COUNTS, 'taken')) >= MAX_PAGES then\n" \
	"      return out\n" \
	"    end\n" \
	"  end\n" \
	"end\n" \
	"if #out > 1 then return out end\n" \
	"if wake then return {0, wake} end\n" \
	"return {0}\n"

/* ARGV[A]: the token, ARGV[A + 1]: '1' to give the start back (skip). 0
 * when the lease was gone (taken back). With hold the lease stays, done:
 * its slot is free, its record still to publish. */
#define LUA_END \
	LUA_COMMON \
	"return end_lease(ARGV[A], ARGV[A + 1] == '1')\n"

/* ARGV[A..]: tokens of leases taken and not started (a worker's
 * prefetched ones, as it ends): each goes back where it was, its attempts
 * and its origin's start as before it. */
#define LUA_UNTAKE \
	LUA_COMMON \
	"for i = A, #ARGV do\n" \
	"  local t = ARGV[i]\n" \
	"  local l = lease_drop(t)\n" \
	"  if l then\n" \
	"    unpace(P .. 'o:' .. l[1], t, true)\n" \
	"    redis.call('ZADD', P .. 'q:' .. l[1], l[3], l[2])\n" \
	"    redis.call('HINCRBY', COUNTS, 'queued', 1)\n" \
	"    if first_try(l[2]) then redis.call('HINCRBY', COUNTS, 'taken', -1) end\n" \
	"    offer(l[1])\n" \
	"  end\n" \
	"end\n" \
	"return 1\n"

/* ARGV[A]: the token, ARGV[A + 1]: not before. */
#define LUA_RETRY \
	LUA_COMMON \
	"local t = ARGV[A]\n" \
	"local l = lease_drop(t)\n" \
	"if not l then return 0 end\n" \
	"local h = P .. 'o:' .. l[1]\n" \
	"unpace(h, t, false)\n" \
	"requeue(l)\n" \
	"local nb = tonumber(ARGV[A + 1])\n" \
	"if num(redis.call('HGET', h, 'next')) < nb then redis.call('HSET', h, 'next', str(nb)) end\n" \
	"offer(l[1])\n" \
	"return 1\n"

/* ARGV[A]: now, or '' for no expiry. The next gated origin not handed
 * out, or nil; first, gates whose expiry came (their worker died fetching
 * robots.txt) are shut again, for another. */
#define LUA_GATED \
	LUA_COMMON \
	"local now = tonumber(ARGV[A])\n" \
	"if now then\n" \
	"  for _, o in ipairs(redis.call('ZRANGEBYSCORE', P .. 'gexpiry', '-inf', str(now))) do\n" \
	"    redis.call('ZREM', P .. 'gexpiry', o)\n" \
	"    if redis.call('HGET', P .. 'o:' .. o, 'gate') == 'taken' then\n" \
	"      redis.call('HSET', P .. 'o:' .. o, 'gate', 'shut')\n" \
	"      redis.call('RPUSH', P .. 'gated', o)\n" \
	"    end\n" \
	"  end\n" \
	"end\n" \
	"local o = redis.call('LPOP', P .. 'gated')\n" \
	"if not o then return false end\n" \
	"redis.call('HSET', P .. 'o:' .. o, 'gate', 'taken')\n" \
	"if now then redis.call('ZADD', P .. 'gexpiry', str(now + TTL), o) end\n" \
	"return o\n"

/* ARGV[A]: the origin, ARGV[A + 1]: its delay, ARGV[A + 2]: now, and
 * ARGV[A + 3], if given: the policy's text. */
#define LUA_OPEN \
	LUA_COMMON \
	"local o = ARGV[A]\n" \
	"local h = P .. 'o:' .. o\n" \
	"local delay = math.max(num(redis.call('HGET', h, 'delay')), tonumber(ARGV[A + 1]))\n" \
	"redis.call('HSET', h, 'delay', str(delay), 'next', str(tonumber(ARGV[A + 2]) + delay),\n" \
	"           'gate', 'open')\n" \
	"if ARGV[A + 3] then redis.call('HSET', h, 'robots', ARGV[A + 3]) end\n" \
	"redis.call('ZREM', P .. 'gexpiry', o)\n" \
	"offer(o)\n" \
	"return 1\n"

/* ARGV[A]: the depth. 1 when that ended the pending work or a level. */
#define LUA_COMPLETE \
	LUA_COMMON \
	"return finish(ARGV[A]) and 1 or 0\n"

/* ARGV[A..]: for each URL its token ('' for none: an exchange alone),
 * depth, line, meta, exchange and warc offset ('' for each absent). A
 * URL whose lease is gone is dropped; the others leave the crawl and what
 * they have goes to the results stream, in that order, in this one step.
 * Returns {ended, a '1' or '0' each for published or dropped}. */
#define LUA_PUBLISH \
	LUA_COMMON \
	"local out, ended = {}, 0\n" \
	"for i = A, #ARGV, 6 do\n" \
	"  local t = ARGV[i]\n" \
	"  local held = true\n" \
	"  if t ~= '' then\n" \
	"    local l = redis.call('HMGET', P .. 'lease:' .. t, 'origin', 'done')\n" \
	"    held = l[1] ~= false\n" \
	"    if held then\n" \
	"      redis.call('DEL', P .. 'lease:' .. t)\n" \
	"      redis.call('ZREM', P .. 'expiry', t)\n" \
	"      if l[2] ~= '1' then\n" \
	"        slot_free(l[1])\n" \
	"        offer(l[1])\n" \
	"      end\n" \
	"    end\n" \
	"  end\n" \
	"  if held then\n" \
	"    local f = {}\n" \
	"    if ARGV[i + 2] ~= '' then\n" \
	"      f[#f + 1] = 'line'; f[#f + 1] = ARGV[i + 2]\n" \
	"      f[#f + 1] = 'meta'; f[#f + 1] = ARGV[i + 3]\n" \
	"    end\n" \
	"    if ARGV[i + 4] ~= '' then\n" \
	"      f[#f + 1] = 'x'; f[#f + 1] = ARGV[i + 4]\n" \
	"      if ARGV[i + 2] ~= '' then f[#f + 1] = 'wa'; f[#f + 1] = ARGV[i + 5] end\n" \
	"    end\n" \
	"    if #f > 0 then redis.call('XADD', P .. 'results', '*', unpack(f)) end\n" \
	"    if t ~= '' and finish(ARGV[i + 1]) then ended = 1 end\n" \
	"  end\n" \
	"  out[#out + 1] = held and '1' or '0'\n" \
	"end\n" \
	"return {ended, table.concat(out)}\n"

/* ARGV[A]: now; then the tokens of the leases held here, '|', and the
 * origins of the gates held here. Each that is still this process's
 * expires lease_ttl from now (XX: one taken back stays gone). */
#define LUA_RENEW \
	LUA_COMMON \
	"local exp = str(tonumber(ARGV[A]) + TTL)\n" \
	"local gates = false\n" \
	"for i = A + 1, #ARGV do\n" \
	"  local v = ARGV[i]\n" \
	"  if v == '|' then\n" \
	"    gates = true\n" \
	"  elseif gates then\n" \
	"    if redis.call('HGET', P .. 'o:' .. v, 'gate') == 'taken' then\n" \
	"      redis.call('ZADD', P .. 'gexpiry', 'XX', exp, v)\n" \
	"    end\n" \
	"  else\n" \
	"    redis.call('ZADD', P .. 'expiry', 'XX', exp, v)\n" \
	"  end\n" \
	"end\n" \
	"return 1\n"

enum { S_PUSH, S_ADMIT, S_TAKE, S_END, S_RETRY, S_GATED, S_OPEN, S_COMPLETE,
       S_PUBLISH, S_RENEW, S_UNTAKE, NSCRIPTS };

/* EVALSHA, SHA, 1, the counts key, the prefix, NCONF of config. */
#define NCONF 8
#define COMMON_ARGS (5 + NCONF)
#define NUM_TEXT 24       /* an int64 in decimal and its NUL */
#define ITEM_HEAD 96      /* the text before an item's URL, at most */

/* The policy an origin was opened with here, and its name for gates. */
struct local_origin {
	void *policy;             /* owned; NULL if none (yet) */
	bool gate_held;           /* its gate was handed out here, not opened */
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

#define PREFETCH 32 /* leases a shared crawl's take asks for at once */
#define GATED_POLL_NS (20 * 1000000LL)
#define TAKE_POLL_NS (20 * 1000000LL)

/* An end of a lease (done, skip) to tell with the next take. */
struct deferred_end {
	char token[NUM_TEXT];
	bool skip;
};

/* A lease held here, until it ends or its URL completes (hold). */
struct held {
	uint64_t token;
	UT_hash_handle hh;
};

struct fredis {
	struct rconn *conn;           /* the one connection (rconn.h) */
	struct frontier_config cfg;
	char *prefix;                 /* C:{name}: */
	char *counts_key;             /* C:{name}:counts */
	char *seen_prefix;            /* C:{name}:seen: (seen_lua.h) */
	char conf[NCONF][NUM_TEXT];   /* ARGV[2..9] of every script */
	struct rconn_script scripts[NSCRIPTS];
	atomic_bool broken;           /* a call that cannot say so failed */
	pthread_mutex_t lock;         /* guards origins, held, last, read_ns,
					 quit */
	struct local_origin *origins; /* uthash by origin */
	struct local_origin *all;     /* the same, a plain list */
	struct held *held;            /* uthash by token */
	size_t nheld;
	struct frontier_counts last;  /* the counts last read */
	int64_t read_ns;              /* when (monotonic), 0: never */
	struct deferred_end *ends;    /* told with the next take */
	size_t nends, ends_cap;
	struct frontier_lease ahead[PREFETCH]; /* taken, not handed out: a ring */
	size_t ahead_at, nahead;
	atomic_llong none_ns;         /* when a take last found none (monotonic),
					 or 0: the next asks Redis */
	atomic_llong none_wake;       /* the wake time it answered, or 0 */
	atomic_ullong changes;        /* this process's pushes, admits, ends
					 and retries: when they change, a take
					 asks again */
	atomic_ullong none_changes;   /* changes when it found none */
	atomic_llong gated_none_ns;   /* when a gated take last found none
					 (monotonic), or 0 */
	pthread_t renewer;            /* with cfg.renew */
	pthread_cond_t wake;          /* tells the renewer to quit */
	bool quit, renewing;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A time given (monotonic) on the crawl's clock, as the scripts see it. */
static void crawl_time(const struct fredis *r, int64_t ns, char *buf)
{
	snprintf(buf, NUM_TEXT, "%" PRId64, ns + r->cfg.clock_offset_ns);
}

/* A lease taken here; false when out of memory. */
static bool hold_token(struct fredis *r, uint64_t token)
{
	struct held *h = malloc(sizeof(*h));

	if (!h)
		return false;
	h->token = token;
	pthread_mutex_lock(&r->lock);
	HASH_ADD(hh, r->held, token, sizeof(h->token), h);
	r->nheld++;
	pthread_mutex_unlock(&r->lock);
	return true;
}

static void release_token(struct fredis *r, uint64_t token)
{
	struct held *h;

	pthread_mutex_lock(&r->lock);
	HASH_FIND(hh, r->held, &token, sizeof(token), h);
	if (h) {
		HASH_DEL(r->held, h);
		r->nheld--;
	}
	pthread_mutex_unlock(&r->lock);
	free(h);
}

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
	for (int i = 0; i < NCONF; i++)
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

/* The arguments of the push script (admit false: origin, depth, item for
 * each item not too deep) or of the admit script (the visited set's
 * prefix, then member, skip reason, origin, depth, item each), with their
 * text in the same allocation; NULL when out of memory. */
static const char **queue_args(const struct fredis *r,
			       const struct frontier_item *items,
			       const char *const *skip, bool admit, size_t n,
			       const enum frontier_push_status *status,
			       size_t *argc, size_t **lens)
{
	size_t text = 0, sent = 0, per = admit ? 5 : 3;
	const char **argv;
	char *at;

	for (size_t i = 0; i < n; i++)
		if (status[i] == FRONTIER_QUEUED) {
			text += 2 * NUM_TEXT + item_size(&items[i]);
			sent++;
		}
	*argc = COMMON_ARGS + admit + per * sent;
	argv = malloc(*argc * (sizeof(*argv) + sizeof(**lens)) + text);
	if (!argv)
		return NULL;
	*lens = (size_t *)(void *)(argv + *argc);
	at = (char *)(*lens + *argc);
	size_t k = COMMON_ARGS;
	if (admit) {
		argv[k] = r->seen_prefix;
		(*lens)[k++] = strlen(r->seen_prefix);
	}
	for (size_t i = 0; i < n; i++) {
		if (status[i] != FRONTIER_QUEUED)
			continue;
		if (admit) {
			argv[k] = at;
			(*lens)[k++] = visited_redis_member(visited_fingerprint(items[i].url), at);
			at += NUM_TEXT;
			argv[k] = skip && skip[i] ? skip[i] : "";
			(*lens)[k] = strlen(argv[k]);
			k++;
		}
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

/* What the push or admit script's answer says of each item sent. */
static void read_queued(const redisReply *rep, size_t n,
			enum frontier_push_status *status)
{
	static const enum frontier_push_status said[] = {
		FRONTIER_QUEUED, FRONTIER_HOST_FULL, FRONTIER_SEEN, FRONTIER_SKIPPED,
	};
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (status[i] == FRONTIER_QUEUED) {
			unsigned c = (unsigned)(rep->str[k++] - '0');

			status[i] = c < 4 ? said[c] : FRONTIER_FAILED;
		}
}

/* Push (skip NULL, admit false) or admit the items in one script. */
static enum frontier_status queue_batch(struct fredis *r,
					const struct frontier_item *items,
					const char *const *skip, bool admit,
					size_t n, enum frontier_push_status *status)
{
	size_t argc, *lens, sent;
	const char **argv;
	redisReply *rep;

	for (size_t i = 0; i < n; i++)
		status[i] = too_deep(r, items[i].depth) ? FRONTIER_TOO_DEEP : FRONTIER_QUEUED;
	if (atomic_load(&r->broken))
		return push_fail(status, n, FRONTIER_UNAVAILABLE);
	argv = queue_args(r, items, skip, admit, n, status, &argc, &lens);
	if (!argv)
		return push_fail(status, n, FRONTIER_NOMEM);
	sent = (argc - COMMON_ARGS - admit) / (admit ? 5 : 3);
	if (!sent) {
		free(argv);
		return FRONTIER_OK;
	}
	rep = eval(r, admit ? S_ADMIT : S_PUSH, argv, lens, argc);
	free(argv);
	if (!rep || rep->type != REDIS_REPLY_STRING || rep->len != sent) {
		freeReplyObject(rep);
		return push_fail(status, n, FRONTIER_UNAVAILABLE);
	}
	read_queued(rep, n, status);
	freeReplyObject(rep);
	atomic_fetch_add(&r->changes, 1);
	return FRONTIER_OK;
}

static enum frontier_status redis_push_batch(void *state,
					     const struct frontier_item *items,
					     size_t n,
					     enum frontier_push_status *status)
{
	return queue_batch(state, items, NULL, false, n, status);
}

static enum frontier_status redis_admit_batch(void *state,
					      const struct frontier_item *items,
					      const char *const *skip, size_t n,
					      enum frontier_push_status *status)
{
	return queue_batch(state, items, skip, true, n, status);
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

/* The handle for one lease of the take script's answer, e: token,
 * member, origin, shared; NULL when out of memory or it is not one. */
static struct rlease *lease_new(redisReply *const *e, struct member *m)
{
	const redisReply *tok = e[0], *mem = e[1];
	struct rlease *l;
	size_t plen;

	if (tok->type != REDIS_REPLY_STRING ||
	    tok->len >= NUM_TEXT || mem->type != REDIS_REPLY_STRING ||
	    e[2]->type != REDIS_REPLY_STRING ||
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

/* The policy another worker opened origin with, made here from the text
 * it kept (once per origin and process); NULL when there is none, or no
 * memory. */
static void *policy_shared(struct fredis *r, const char *origin, size_t len)
{
	const char *argv[] = { "HGET", NULL, "robots" };
	size_t lens[] = { 4, 0, 6 };
	struct local_origin *o;
	redisReply *rep;
	char *key;
	void *p = NULL, *old;

	if (!r->cfg.load_policy ||
	    asprintf(&key, "%so:%.*s", r->prefix, (int)len, origin) < 0)
		return NULL;
	argv[1] = key;
	lens[1] = strlen(key);
	rep = rconn_command(r->conn, 3, argv, lens);
	free(key);
	if (rep && rep->type == REDIS_REPLY_STRING)
		p = r->cfg.load_policy(r->cfg.policy_arg, rep->str, rep->len);
	freeReplyObject(rep);
	if (!p || !(o = local_get(r, origin, len)))
		return p;
	pthread_mutex_lock(&r->lock);
	old = o->policy;
	if (!old)
		o->policy = p;
	pthread_mutex_unlock(&r->lock);
	/* Another thread made it first: keep that one, which leases carry. */
	if (old && r->cfg.free_policy)
		r->cfg.free_policy(p);
	return old ? old : p;
}

static enum frontier_status lease_fill(struct fredis *r, redisReply *const *e,
				       struct frontier_lease *out)
{
	const redisReply *o = e[2];
	struct member m;
	struct rlease *l = lease_new(e, &m);
	uint64_t token;
	void *policy;

	if (!l)
		return FRONTIER_NOMEM;
	token = strtoull(l->token, NULL, 10);
	if (!hold_token(r, token)) {
		free(l);
		return FRONTIER_NOMEM;
	}
	policy = policy_of(r, o->str, o->len);
	if (!policy && e[3]->type == REDIS_REPLY_INTEGER && e[3]->integer == 1)
		policy = policy_shared(r, o->str, o->len);
	*out = (struct frontier_lease){
		.url = l->url,
		.parent = m.parent ? l->parent : NULL,
		.chain = m.redirects ? l->chain : NULL,
		.policy = policy,
		.handle = l,
		.depth = m.depth,
		.redirects = m.redirects,
		.attempts = m.attempts,
		.flags = m.flags,
		.ticket = token,
	};
	return FRONTIER_OK;
}

/* The take script's arguments: now, how many leases, and the ends
 * deferred; NULL when out of memory. */
static const char **take_args(const char *now, const char *want,
			      const struct deferred_end *ends, size_t nends,
			      size_t *argc, size_t **lens)
{
	const char **argv;
	char *count;

	*argc = COMMON_ARGS + 3 + 2 * nends;
	argv = malloc(*argc * (sizeof(*argv) + sizeof(**lens)) + NUM_TEXT);
	if (!argv)
		return NULL;
	*lens = (size_t *)(void *)(argv + *argc);
	count = (char *)(*lens + *argc);
	snprintf(count, NUM_TEXT, "%zu", nends);
	argv[COMMON_ARGS] = now;
	argv[COMMON_ARGS + 1] = want;
	argv[COMMON_ARGS + 2] = count;
	for (size_t i = 0; i < nends; i++) {
		argv[COMMON_ARGS + 3 + 2 * i] = ends[i].token;
		argv[COMMON_ARGS + 4 + 2 * i] = ends[i].skip ? "1" : "0";
	}
	for (size_t i = COMMON_ARGS; i < *argc; i++)
		(*lens)[i] = strlen(argv[i]);
	return argv;
}

/* The take script with the deferred ends and up to want leases (0: the
 * ends only); its answer, or NULL (the frontier is broken then: the ends
 * may not have been told). */
static redisReply *take_call(struct fredis *r, int64_t now_ns, unsigned want)
{
	struct deferred_end *ends;
	char now[NUM_TEXT], w[NUM_TEXT];
	size_t nends, argc, *lens;
	const char **argv;
	redisReply *rep = NULL;

	pthread_mutex_lock(&r->lock);
	ends = r->ends;
	nends = r->nends;
	r->ends = NULL;
	r->nends = r->ends_cap = 0;
	pthread_mutex_unlock(&r->lock);
	if (!want && !nends)
		return NULL;
	crawl_time(r, now_ns, now);
	snprintf(w, sizeof(w), "%u", want);
	argv = take_args(now, w, ends, nends, &argc, &lens);
	if (argv)
		rep = eval(r, S_TAKE, argv, lens, argc);
	if (!rep || rep->type != REDIS_REPLY_ARRAY || !rep->elements ||
	    rep->element[0]->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(rep);
		rep = NULL;
		if (nends)
			atomic_store(&r->broken, true);
	}
	free(argv);
	free(ends);
	return rep;
}

/* Leases taken ahead and not yet handed out: given back as the frontier
 * is freed. */
static void untake_ahead(struct fredis *r)
{
	const char *argv[COMMON_ARGS + PREFETCH];
	size_t lens[COMMON_ARGS + PREFETCH];
	size_t n = 0;

	for (size_t i = 0; i < r->nahead; i++) {
		struct rlease *h = r->ahead[(r->ahead_at + i) % PREFETCH].handle;

		argv[COMMON_ARGS + n] = h->token;
		lens[COMMON_ARGS + n++] = strlen(h->token);
	}
	if (n)
		freeReplyObject(eval(r, S_UNTAKE, argv, lens, COMMON_ARGS + n));
	for (size_t i = 0; i < r->nahead; i++)
		free(r->ahead[(r->ahead_at + i) % PREFETCH].handle);
	r->nahead = 0;
}

/* A lease taken ahead, if there is one. */
static bool ahead_pop(struct fredis *r, struct frontier_lease *out)
{
	bool got;

	pthread_mutex_lock(&r->lock);
	got = r->nahead > 0;
	if (got) {
		*out = r->ahead[r->ahead_at];
		r->ahead_at = (r->ahead_at + 1) % PREFETCH;
		r->nahead--;
	}
	pthread_mutex_unlock(&r->lock);
	return got;
}

/* The leases of the take script's answer after the first, kept ahead. */
static void ahead_keep(struct fredis *r, const redisReply *rep)
{
	for (size_t i = 5; i + 4 <= rep->elements; i += 4) {
		struct frontier_lease l;

		if (lease_fill(r, &rep->element[i], &l) != FRONTIER_OK)
			continue; /* its lease lapses */
		pthread_mutex_lock(&r->lock);
		if (r->nahead < PREFETCH)
			r->ahead[(r->ahead_at + r->nahead++) % PREFETCH] = l;
		else
			free(l.handle);
		pthread_mutex_unlock(&r->lock);
	}
}

/* Whether a take may answer none without asking Redis: a worker's fetch
 * loop asks on every turn, and what Redis said a moment ago stands until
 * this process changed something or TAKE_POLL_NS passed (what other
 * workers change is seen that much later). */
static bool none_stands(struct fredis *r, int64_t now_ns, int64_t *wake_ns)
{
	int64_t since = atomic_load(&r->none_ns), wake = atomic_load(&r->none_wake);

	if (!r->cfg.hold || !since || now_ns - since >= TAKE_POLL_NS ||
	    atomic_load(&r->changes) != atomic_load(&r->none_changes) ||
	    (wake && now_ns >= wake))
		return false;
	if (wake && wake_ns && wake < *wake_ns)
		*wake_ns = wake;
	return true;
}

static void none_found(struct fredis *r, int64_t now_ns, int64_t wake,
		       uint64_t changes)
{
	atomic_store(&r->none_changes, changes);
	atomic_store(&r->none_wake, wake);
	atomic_store(&r->none_ns, now_ns);
}

/* A shared crawl's worker takes up to PREFETCH leases a round trip and
 * tells the ends it deferred in the same one (no --max-pages: leases
 * taken ahead would count against it before they start). */
static enum frontier_status redis_take_ready(void *state, int64_t now_ns,
					     int64_t *wake_ns,
					     struct frontier_lease *out)
{
	struct fredis *r = state;
	unsigned want = r->cfg.hold && !r->cfg.max_pages ? PREFETCH : 1;
	redisReply *rep;
	enum frontier_status rc = FRONTIER_NONE;
	uint64_t changes = atomic_load(&r->changes);
	int64_t wake = 0;

	if (atomic_load(&r->broken))
		return FRONTIER_UNAVAILABLE;
	if (ahead_pop(r, out))
		return FRONTIER_OK;
	if (none_stands(r, now_ns, wake_ns))
		return FRONTIER_NONE;
	atomic_store(&r->none_ns, 0);
	rep = take_call(r, now_ns, want);
	if (!rep)
		return FRONTIER_UNAVAILABLE;
	if (rep->element[0]->integer == 1 && rep->elements >= 5) {
		rc = lease_fill(r, &rep->element[1], out);
		ahead_keep(r, rep);
	} else if (rep->elements > 1 && rep->element[1]->type == REDIS_REPLY_INTEGER) {
		wake = rep->element[1]->integer - r->cfg.clock_offset_ns;
		if (wake_ns && wake < *wake_ns)
			*wake_ns = wake;
	}
	if (rc == FRONTIER_NONE)
		none_found(r, now_ns, wake, changes);
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

/* With hold the token stays held (and renewed) until its URL completes,
 * and the end goes with the next take (or renewal): one round trip fewer
 * a URL on the fetch thread. */
static void lease_end(struct fredis *r, const struct frontier_lease *l, bool refund)
{
	struct rlease *h = l->handle;
	struct deferred_end *e;

	if (!r->cfg.hold) {
		eval_void(r, S_END, h->token, refund ? "1" : "0", NULL);
		release_token(r, l->ticket);
		free(h);
		return;
	}
	pthread_mutex_lock(&r->lock);
	if (r->nends == r->ends_cap) {
		size_t cap = r->ends_cap ? 2 * r->ends_cap : 64;

		e = realloc(r->ends, cap * sizeof(*e));
		if (e) {
			r->ends = e;
			r->ends_cap = cap;
		}
	}
	if (r->nends < r->ends_cap) {
		e = &r->ends[r->nends++];
		memcpy(e->token, h->token, sizeof(e->token));
		e->skip = refund;
	}
	pthread_mutex_unlock(&r->lock);
	atomic_fetch_add(&r->changes, 1);
	/* Out of memory, the end is not told: the slot frees when the URL
	 * is published. */
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

	crawl_time(state, not_before_ns, nb);
	eval_void(state, S_RETRY, h->token, nb, NULL);
	atomic_fetch_add(&((struct fredis *)state)->changes, 1);
	release_token(state, l->ticket);
	free(h);
}

static enum frontier_status redis_take_gated(void *state, struct frontier_gate *out)
{
	struct fredis *r = state;
	redisReply *rep;
	struct local_origin *o = NULL;

	char now[NUM_TEXT] = "";
	int64_t mono = mono_ns();

	if (atomic_load(&r->broken))
		return FRONTIER_UNAVAILABLE;
	/* The fetch loop asks on every turn: a shared crawl's new origins
	 * are looked for at most every GATED_POLL_NS, and never when nothing
	 * is gated. */
	if (r->cfg.hold && (!r->cfg.gated ||
			    (atomic_load(&r->gated_none_ns) &&
			     mono - atomic_load(&r->gated_none_ns) < GATED_POLL_NS)))
		return FRONTIER_NONE;
	/* Gates expire only where something renews them. */
	if (r->cfg.renew)
		crawl_time(r, mono_ns(), now);
	rep = eval_small(r, S_GATED, now, NULL, NULL);
	if (!rep || (rep->type != REDIS_REPLY_NIL && rep->type != REDIS_REPLY_STRING)) {
		freeReplyObject(rep);
		return FRONTIER_UNAVAILABLE;
	}
	if (rep->type == REDIS_REPLY_NIL) {
		freeReplyObject(rep);
		atomic_store(&r->gated_none_ns, mono);
		return FRONTIER_NONE;
	}
	atomic_store(&r->gated_none_ns, 0);
	o = local_get(r, rep->str, rep->len);
	freeReplyObject(rep);
	if (!o)
		return FRONTIER_NOMEM;
	pthread_mutex_lock(&r->lock);
	o->gate_held = true;
	pthread_mutex_unlock(&r->lock);
	*out = (struct frontier_gate){ .origin = o->origin, .handle = o };
	return FRONTIER_OK;
}

/* A policy kept here already stays (leases may carry it); the new one is
 * freed. */
static void redis_open_shared(void *state, const struct frontier_gate *g,
			      void *policy, const char *text, size_t len,
			      int64_t delay_ns, int64_t now_ns)
{
	struct fredis *r = state;
	struct local_origin *o = g->handle;
	char delay[NUM_TEXT], now[NUM_TEXT];
	const char *argv[COMMON_ARGS + 4];
	size_t lens[COMMON_ARGS + 4];
	void *drop = NULL;
	redisReply *rep;

	pthread_mutex_lock(&r->lock);
	if (o->policy)
		drop = policy;
	else
		o->policy = policy;
	o->gate_held = false;
	pthread_mutex_unlock(&r->lock);
	if (drop && r->cfg.free_policy)
		r->cfg.free_policy(drop);
	snprintf(delay, sizeof(delay), "%" PRId64, delay_ns);
	crawl_time(r, now_ns, now);
	argv[COMMON_ARGS] = o->origin;
	argv[COMMON_ARGS + 1] = delay;
	argv[COMMON_ARGS + 2] = now;
	argv[COMMON_ARGS + 3] = text;
	for (int i = 0; i < 3; i++)
		lens[COMMON_ARGS + i] = strlen(argv[COMMON_ARGS + i]);
	lens[COMMON_ARGS + 3] = len;
	rep = eval(r, S_OPEN, argv, lens, COMMON_ARGS + (text ? 4 : 3));
	if (!rep || rep->type != REDIS_REPLY_INTEGER)
		atomic_store(&r->broken, true);
	freeReplyObject(rep);
	atomic_fetch_add(&r->changes, 1);
}

static void redis_open(void *state, const struct frontier_gate *g, void *policy,
		       int64_t delay_ns, int64_t now_ns)
{
	redis_open_shared(state, g, policy, NULL, 0, delay_ns, now_ns);
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

#define RESULT_ARGS 6 /* of each URL in the publish script */

/* The publish script's arguments for the n results, their numbers' text
 * in the same allocation; NULL when out of memory. */
static const char **publish_args(const struct frontier_result *res, size_t n,
				 size_t *argc, size_t **lens)
{
	const char **argv;
	char *at;

	*argc = COMMON_ARGS + RESULT_ARGS * n;
	argv = malloc(*argc * (sizeof(*argv) + sizeof(**lens)) + 3 * n * NUM_TEXT);
	if (!argv)
		return NULL;
	*lens = (size_t *)(void *)(argv + *argc);
	at = (char *)(*lens + *argc);
	for (size_t i = 0, k = COMMON_ARGS; i < n; i++, at += 3 * NUM_TEXT) {
		const struct frontier_result *x = &res[i];
		char *tok = at, *depth = at + NUM_TEXT, *wa = at + 2 * NUM_TEXT;

		tok[0] = '\0';
		if (x->ticket)
			snprintf(tok, NUM_TEXT, "%" PRIu64, x->ticket);
		snprintf(depth, NUM_TEXT, "%u", x->depth);
		snprintf(wa, NUM_TEXT, "%zu", x->warc_at);
		argv[k] = tok;
		(*lens)[k++] = strlen(tok);
		argv[k] = depth;
		(*lens)[k++] = strlen(depth);
		argv[k] = x->line ? x->line : "";
		(*lens)[k++] = x->line ? x->line_len : 0;
		argv[k] = x->meta ? x->meta : "";
		(*lens)[k++] = x->meta ? x->meta_len : 0;
		argv[k] = x->exchange ? x->exchange : "";
		(*lens)[k++] = x->exchange ? x->exchange_len : 0;
		argv[k] = wa;
		(*lens)[k++] = strlen(wa);
	}
	return argv;
}

/* The tokens end here whatever the answer: a URL not published because
 * Redis is gone is lost to this worker, and its lease expires. */
static enum frontier_status redis_complete_batch(void *state,
						 const struct frontier_result *res,
						 size_t n, bool *ended)
{
	struct fredis *r = state;
	size_t argc, *lens;
	const char **argv;
	redisReply *rep = NULL;
	bool ok;

	for (size_t i = 0; i < n; i++)
		if (res[i].ticket)
			release_token(r, res[i].ticket);
	if (!n)
		return FRONTIER_OK;
	argv = publish_args(res, n, &argc, &lens);
	if (!argv)
		return FRONTIER_NOMEM;
	rep = eval(r, S_PUBLISH, argv, lens, argc);
	free(argv);
	atomic_fetch_add(&r->changes, 1);
	ok = rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	     rep->element[0]->type == REDIS_REPLY_INTEGER;
	if (ok)
		*ended = rep->element[0]->integer == 1;
	freeReplyObject(rep);
	return ok ? FRONTIER_OK : FRONTIER_UNAVAILABLE;
}

static size_t count_of(const redisReply *e)
{
	return e->type == REDIS_REPLY_STRING ? (size_t)strtoull(e->str, NULL, 10) : 0;
}

/* Whether the shared crawl's meta is there: made before its seeds, it is
 * gone once the collector ended the crawl and deleted its keys. Read
 * only when the counts say nothing has begun (at the start or the end),
 * so a worker that comes back after the end (SIGCONT) finds it over. */
static bool crawl_alive(struct fredis *r)
{
	char key[RCONN_NAME_MAX + 16];
	const char *argv[] = { "EXISTS", key };
	redisReply *rep;
	bool alive;

	snprintf(key, sizeof(key), "%smeta", r->prefix);
	rep = rconn_command(r->conn, 2, argv, NULL);
	alive = !rep || rep->type != REDIS_REPLY_INTEGER || rep->integer != 0;
	freeReplyObject(rep);
	return alive;
}

/* A shared crawl's counts are read at most this often: every worker's
 * fetch loop asks, many times a second. */
#define COUNTS_FRESH_NS (50 * 1000000LL)

/* Unreadable, the counts are the last ones read with at least one
 * pending (never a false "over"), and the frontier is broken: the next
 * take says why. With hold (a shared crawl) nothing is over before the
 * first push (the seeds) has happened. */
static void redis_counts(void *state, struct frontier_counts *out)
{
	struct fredis *r = state;
	const char *argv[] = { "HMGET", r->counts_key, "queued", "leased",
			       "pending", "taken", "begun" };
	int64_t now = mono_ns();
	redisReply *rep;
	bool ok, alive;

	pthread_mutex_lock(&r->lock);
	if (r->cfg.hold && r->read_ns && now - r->read_ns < COUNTS_FRESH_NS) {
		*out = r->last;
		pthread_mutex_unlock(&r->lock);
		return;
	}
	pthread_mutex_unlock(&r->lock);
	rep = rconn_command(r->conn, 7, argv, NULL);
	ok = rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 5;
	/* Nothing begun: at the start, or the crawl is gone (outside the
	 * lock: it is one more round trip). */
	alive = !ok || !r->cfg.hold || count_of(rep->element[4]) ||
		count_of(rep->element[2]) || crawl_alive(r);
	pthread_mutex_lock(&r->lock);
	if (ok) {
		r->last = (struct frontier_counts){ .queued = count_of(rep->element[0]),
						    .leased = count_of(rep->element[1]),
						    .pending = count_of(rep->element[2]),
						    .taken = count_of(rep->element[3]) };
		if (r->cfg.hold && !count_of(rep->element[4]) && !r->last.pending &&
		    alive)
			r->last.pending = 1;
		r->read_ns = now;
	} else {
		atomic_store(&r->broken, true);
	}
	*out = r->last;
	if (!ok && !out->pending)
		out->pending = 1;
	pthread_mutex_unlock(&r->lock);
	freeReplyObject(rep);
}

/* The renew script's arguments: now, the tokens held, '|', the gates
 * held; under lock. NULL when out of memory. */
static const char **renew_args_locked(struct fredis *r, size_t *argc, size_t **lens)
{
	size_t n = COMMON_ARGS + 2 + r->nheld, k = COMMON_ARGS;
	const char **argv;
	char *at;

	for (struct local_origin *o = r->all; o; o = o->all_next)
		n += o->gate_held;
	argv = malloc(n * (sizeof(*argv) + sizeof(**lens)) + (r->nheld + 1) * NUM_TEXT);
	if (!argv)
		return NULL;
	*lens = (size_t *)(void *)(argv + n);
	at = (char *)(*lens + n);
	crawl_time(r, mono_ns(), at);
	argv[k] = at;
	(*lens)[k++] = strlen(at);
	at += NUM_TEXT;
	for (struct held *h = r->held; h; h = h->hh.next, at += NUM_TEXT) {
		argv[k] = at;
		(*lens)[k++] = (size_t)snprintf(at, NUM_TEXT, "%" PRIu64, h->token);
	}
	argv[k] = "|";
	(*lens)[k++] = 1;
	for (struct local_origin *o = r->all; o; o = o->all_next)
		if (o->gate_held) {
			argv[k] = o->origin;
			(*lens)[k++] = strlen(o->origin);
		}
	*argc = k;
	return argv;
}

/* Renew what is held here every lease_ttl / 3 until the frontier is
 * freed: a worker alive keeps its leases however long a fetch, a parse
 * or Redis itself takes; one stopped (SIGSTOP) or dead loses them. */
static void *renew_main(void *arg)
{
	struct fredis *r = arg;
	int64_t period = r->cfg.lease_ttl_ns / 3;

	pthread_mutex_lock(&r->lock);
	while (!r->quit) {
		struct timespec until;
		bool ends;
		size_t argc, *lens;
		const char **argv;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)(period / 1000000000);
		until.tv_nsec += (long)(period % 1000000000);
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&r->wake, &r->lock, &until);
		if (r->quit)
			break;
		argv = renew_args_locked(r, &argc, &lens);
		ends = r->nends > 0;
		pthread_mutex_unlock(&r->lock);
		if (argv)
			freeReplyObject(eval(r, S_RENEW, argv, lens, argc));
		free(argv);
		/* Ends a busy fetch loop has not told yet (it takes nothing
		 * while the parsers are behind). */
		if (ends)
			freeReplyObject(take_call(r, mono_ns(), 0));
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void redis_free(void *state)
{
	struct fredis *r = state;
	struct held *h;

	if (!r)
		return;
	if (r->renewing) {
		pthread_mutex_lock(&r->lock);
		r->quit = true;
		pthread_cond_signal(&r->wake);
		pthread_mutex_unlock(&r->lock);
		pthread_join(r->renewer, NULL);
	}
	if (r->conn) {
		untake_ahead(r);
		freeReplyObject(take_call(r, mono_ns(), 0));
	}
	free(r->ends);
	/* The table goes first; its items stay linked through hh.next. */
	h = r->held;
	HASH_CLEAR(hh, r->held);
	while (h) {
		struct held *next = h->hh.next;

		free(h);
		h = next;
	}
	HASH_CLEAR(hh, r->origins);
	while (r->all) {
		struct local_origin *o = r->all;

		r->all = o->all_next;
		if (o->policy && r->cfg.free_policy)
			r->cfg.free_policy(o->policy);
		free(o);
	}
	rconn_free(r->conn);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r->prefix);
	free(r->counts_key);
	free(r->seen_prefix);
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
	.open_shared = redis_open_shared,
	.admit_batch = redis_admit_batch,
	.complete_batch = redis_complete_batch,
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
	snprintf(r->conf[6], NUM_TEXT, "%" PRIu64, c->max_pages);
	snprintf(r->conf[7], NUM_TEXT, "%d", c->hold ? 1 : 0);
}

static struct fredis *fredis_new(const char *name, const struct frontier_config *cfg)
{
	static const char *const texts[NSCRIPTS] = {
		[S_PUSH] = LUA_PUSH, [S_ADMIT] = LUA_ADMIT, [S_TAKE] = LUA_TAKE,
		[S_END] = LUA_END, [S_RETRY] = LUA_RETRY, [S_GATED] = LUA_GATED,
		[S_OPEN] = LUA_OPEN, [S_COMPLETE] = LUA_COMPLETE,
		[S_PUBLISH] = LUA_PUBLISH, [S_RENEW] = LUA_RENEW,
		[S_UNTAKE] = LUA_UNTAKE,
	};
	struct fredis *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
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
	if (asprintf(&r->seen_prefix, "C:{%s}:seen:", name) < 0)
		r->seen_prefix = NULL;
	if (!r->prefix || !r->counts_key || !r->seen_prefix) {
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
	/* A worker waits out a Redis restart rather than fail the crawl. */
	if (cfg->hold)
		rconn_retry(r->conn, RCONN_RETRY_NS, stderr);
	if (cfg->renew) {
		r->renewing = !pthread_create(&r->renewer, NULL, renew_main, r);
		if (!r->renewing) {
			snprintf(err, errlen, "cannot start the lease renewer");
			redis_free(r);
			return NULL;
		}
	}
	f = frontier_new(&redis_ops, r);
	if (!f)
		snprintf(err, errlen, "out of memory");
	return f;
}
