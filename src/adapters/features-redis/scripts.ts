/*
 * Lua scripts of the Redis feature store. Redis runs a script atomically, so "read the state
 * before x, then apply x" is one indivisible step even with many processor instances sharing
 * the keys; the pipeline keeps one round trip per micro-batch.
 *
 * The scripts only move rows and count members: every feature is computed in TypeScript by
 * the same core functions as the memory store (one definition). Numbers cross the boundary
 * as strings written by JavaScript (`String(n)` round-trips exactly) and are compared in Lua
 * only as doubles parsed from those strings, never re-formatted (Lua's `%.14g` would lose
 * digits).
 */

/**
 * KEYS: 1 card rows, 2 customer rows, 3 device links, 4 IP links,
 *       5..8 timelines (merchant, category, device, IP), 9..12 fraud sets (same order),
 *       13 transaction index, 14 pending label.
 * ARGV: 1 t, 2 hash, 3 card row, 4 customer row, 5 link row, 6 card/customer cutoff,
 *       7 link cutoff, 8 risk cutoff, 9..11 risk window lower bounds (1d, 7d, 28d),
 *       12..15 merchant, category, device, IP ids, 16 key TTL s, 17 index TTL s, 18 transaction id.
 * Returns: { applied(1)/replay(0), card rows, customer rows, device links, IP links,
 *            counts[24] = per entity: tx in 1d, 7d, 28d, frauds in 1d, 7d, 28d }.
 */
export const ENRICH_LUA = `
local t = tonumber(ARGV[1])
local h = tonumber(ARGV[2])
local replay = redis.call('EXISTS', KEYS[13])
local card = redis.call('LRANGE', KEYS[1], 0, -1)
local cust = redis.call('LRANGE', KEYS[2], 0, -1)
local dev = redis.call('LRANGE', KEYS[3], 0, -1)
local ip = redis.call('LRANGE', KEYS[4], 0, -1)
local counts = {}
for e = 0, 3 do
  local tl = KEYS[5 + e]
  -- Transactions at exactly t precede x only if their id hash is smaller.
  local tie = 0
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', tl, ARGV[1], ARGV[1])) do
    if tonumber(m) < h then tie = tie + 1 end
  end
  for w = 0, 2 do
    counts[#counts + 1] = redis.call('ZCOUNT', tl, '(' .. ARGV[9 + w], '(' .. ARGV[1]) + tie
  end
  for w = 0, 2 do
    counts[#counts + 1] = redis.call('ZCOUNT', KEYS[9 + e], '(' .. ARGV[9 + w], ARGV[1])
  end
end
if replay == 0 then
  local ttl = tonumber(ARGV[16])
  local function push(key, row, cut)
    redis.call('RPUSH', key, row)
    while true do
      local first = redis.call('LINDEX', key, 0)
      if not first then break end
      if tonumber(string.match(first, '^[^,]+')) > cut then break end
      redis.call('LPOP', key)
    end
    redis.call('EXPIRE', key, ttl)
  end
  push(KEYS[1], ARGV[3], tonumber(ARGV[6]))
  push(KEYS[2], ARGV[4], tonumber(ARGV[6]))
  push(KEYS[3], ARGV[5], tonumber(ARGV[7]))
  push(KEYS[4], ARGV[5], tonumber(ARGV[7]))
  for e = 0, 3 do
    redis.call('ZADD', KEYS[5 + e], ARGV[1], ARGV[2])
    redis.call('ZREMRANGEBYSCORE', KEYS[5 + e], '-inf', ARGV[8])
    redis.call('EXPIRE', KEYS[5 + e], ttl)
    redis.call('ZREMRANGEBYSCORE', KEYS[9 + e], '-inf', ARGV[8])
  end
  redis.call('HSET', KEYS[13], 't', ARGV[1], 'm', ARGV[12], 'k', ARGV[13], 'd', ARGV[14], 'i', ARGV[15])
  redis.call('EXPIRE', KEYS[13], tonumber(ARGV[17]))
  -- A fraud label that arrived before its transaction is applied now.
  local pending = redis.call('GET', KEYS[14])
  if pending then
    redis.call('HSET', KEYS[13], 'lf', '1')
    for e = 0, 3 do
      redis.call('ZADD', KEYS[9 + e], pending, ARGV[18])
      redis.call('EXPIRE', KEYS[9 + e], ttl)
    end
    redis.call('DEL', KEYS[14])
  end
end
return { 1 - replay, card, cust, dev, ip, counts }
`;

/**
 * A fraud label. KEYS: 1 transaction index, 2 pending label.
 * ARGV: 1 labeled_at (ms), 2 transaction id, 3 key prefix, 4 pending TTL s, 5 key TTL s.
 * Returns 1 applied, 2 held until the transaction arrives, 3 duplicate.
 *
 * The fraud-set keys are derived inside the script from the index (labels name only the
 * transaction), so this store needs one Redis primary (or Sentinel), not Redis Cluster.
 */
export const LABEL_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HSETNX', KEYS[1], 'lf', '1') == 0 then return 3 end
  local v = redis.call('HMGET', KEYS[1], 'm', 'k', 'd', 'i')
  local kinds = { 'mf', 'kf', 'df', 'if' }
  for e = 1, 4 do
    local key = ARGV[3] .. ':' .. kinds[e] .. ':' .. v[e]
    redis.call('ZADD', key, ARGV[1], ARGV[2])
    redis.call('EXPIRE', key, tonumber(ARGV[5]))
  end
  return 1
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', tonumber(ARGV[4])) then return 2 end
return 3
`;
