/* seen_lua: the visited set's Lua (visited_redis.c), for every script that
 * adds to it: the visited set's own add, and the frontier's admit
 * (frontier_redis.c), which marks a page's links seen and queues the fresh
 * ones in one script, so no link is ever seen and not queued.
 *
 * A URL is its fingerprint (visited_fingerprint) as a signed 64-bit
 * decimal, the member of one of the bucket sets <prefix><i>; <prefix>n
 * counts the members, <prefix>b the buckets. The buckets grow by linear
 * hashing on the low 30 bits of the fingerprint: each holds about LOAD
 * members on average and at most twice that, so every one stays an intset
 * (at most set-max-intset-entries, 512 by default) at any size. Lua 5.1
 * has doubles only, so the low bits are worked out from the member's
 * decimal digits (each step below 2^34, exact); a negative member is the
 * fingerprint minus 2^64, which the low bits do not see but for the sign.
 *
 * A script opens the set (seen_open(prefix)), adds members (seen_add: true
 * when fresh; past LOAD a bucket on average, the next bucket in turn is
 * split in two), and closes it (seen_close stores the counts). */
#ifndef CRAWLER_SEEN_LUA_H
#define CRAWLER_SEEN_LUA_H

#define SEEN_LUA_BUCKETS \
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

/* LOAD is 192: twice that plus the spread of a random fill stays under
 * 512. */
#define SEEN_LUA_ADD \
	SEEN_LUA_BUCKETS \
	"local LOAD = 192\n" \
	"local SEEN, seen_n, seen_b, seen_p, seen_fresh\n" \
	"local function split(b)\n" \
	"  local p = level(b)\n" \
	"  local s = b - p\n" \
	"  local from = SEEN .. s\n" \
	"  local moved = {}\n" \
	"  for _, m in ipairs(redis.call('SMEMBERS', from)) do\n" \
	"    if low(m) % (2 * p) ~= s then moved[#moved + 1] = m end\n" \
	"  end\n" \
	"  if #moved > 0 then\n" \
	"    redis.call('SADD', SEEN .. (s + p), unpack(moved))\n" \
	"    redis.call('SREM', from, unpack(moved))\n" \
	"  end\n" \
	"  return b + 1\n" \
	"end\n" \
	"local function seen_open(prefix)\n" \
	"  SEEN = prefix\n" \
	"  seen_n = tonumber(redis.call('GET', SEEN .. 'n')) or 0\n" \
	"  seen_b = tonumber(redis.call('GET', SEEN .. 'b')) or 1\n" \
	"  seen_p = level(seen_b)\n" \
	"  seen_fresh = 0\n" \
	"end\n" \
	"local function seen_add(m)\n" \
	"  if redis.call('SADD', SEEN .. bucket(low(m), seen_b, seen_p), m) == 0 then\n" \
	"    return false\n" \
	"  end\n" \
	"  seen_fresh = seen_fresh + 1\n" \
	"  if seen_n + seen_fresh > LOAD * seen_b then\n" \
	"    seen_b = split(seen_b)\n" \
	"    seen_p = level(seen_b)\n" \
	"  end\n" \
	"  return true\n" \
	"end\n" \
	"local function seen_close()\n" \
	"  if seen_fresh > 0 then\n" \
	"    redis.call('INCRBY', SEEN .. 'n', seen_fresh)\n" \
	"    redis.call('SET', SEEN .. 'b', seen_b)\n" \
	"  end\n" \
	"end\n"

#endif
