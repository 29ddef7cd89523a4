-- One piece of a whole-set read (read-only), in entry order: the values of up to ARGV[2] members after stamp
-- ARGV[1], packed into ONE string of `<4-byte big-endian length><value>` records. One bulk reply instead of two
-- per member: parsing 100k members' worth of small replies is what made reading a big set slow on the node.
-- KEYS[1] the members' entry order, KEYS[2] members hash
-- Returns {more, last stamp read, packed values, order size, hash size}: `more` is 1 when entries follow. The two
-- sizes (taken atomically) tell the caller whether the order holds every member (it may not, for a set written
-- before the order existed until its owners re-assert it).
-- Scores are not asked for (formatting 1000 doubles costs more than the rest): only the last one is looked up.
local fields = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'LIMIT', 0, tonumber(ARGV[2]) + 1)
local n = math.min(#fields, tonumber(ARGV[2]))
local more = (#fields > n) and 1 or 0
fields[n + 1] = nil
local sizes = { redis.call('ZCARD', KEYS[1]), redis.call('HLEN', KEYS[2]) }
if n == 0 then return { more, ARGV[1], '', sizes[1], sizes[2] } end
local values = redis.call('HMGET', KEYS[2], unpack(fields))
local parts = {}
for i = 1, n do
  local v = values[i]
  if v then parts[#parts + 1] = struct.pack('>I4', #v) .. v end
end
return { more, redis.call('ZSCORE', KEYS[1], fields[n]), table.concat(parts), sizes[1], sizes[2] }
