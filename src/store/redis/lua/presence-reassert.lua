-- Re-asserts one connection's members on one channel after Redis lost or may have lost them (restart, outage):
-- writes each given member that is missing, and refreshes the TTL backstop. Members the connection no longer
-- has locally (ARGV beyond the list) are not touched here: they are removed through the normal leave paths.
-- KEYS[1] members hash, KEYS[2] the connection's member set on this channel, KEYS[3] the members' entry order,
-- KEYS[4] their version (lib/presence-order.lua)
-- ARGV[1] TTL ms (only ever extended: lib/ttl.lua), then pairs memberKey, value
-- Returns the memberKeys that had to be written back (others saw them leave: the caller broadcasts them again).
local written = {}
-- The order misses members only when it was lost apart from the hash (expired, or a set older than the order):
-- then each member present is checked; otherwise (every pass of a big room) that is 10k ZSCOREs saved per call.
local order_short = redis.call('ZCARD', KEYS[3]) < redis.call('HLEN', KEYS[1])
for i = 2, #ARGV, 2 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    written[#written + 1] = ARGV[i]
    -- A member written back enters the order anew.
    order_enter(KEYS[3], KEYS[4], ARGV[i], ARGV[1])
  elseif order_short and not redis.call('ZSCORE', KEYS[3], ARGV[i]) then
    order_enter(KEYS[3], KEYS[4], ARGV[i], ARGV[1])
  end
  redis.call('SADD', KEYS[2], ARGV[i])
end
extend_ttl(KEYS[1], ARGV[1])
extend_ttl(KEYS[2], ARGV[1])
extend_ttl(KEYS[3], ARGV[1])
-- A quiet set keeps its version (nodes reuse SYNC pages by it); one that ran out gets a new, never-used value.
if redis.call('EXISTS', KEYS[4]) == 0 then bump_version(KEYS[4], ARGV[1]) else extend_ttl(KEYS[4], ARGV[1]) end
return written
