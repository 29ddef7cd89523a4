-- Removes every member one connection holds on one channel. Atomic, so concurrent removers (the owner's grace
-- timer, a reaper on another node) split the members between them and each LEAVE is emitted exactly once. Each
-- removed member is remembered as departed (lib/presence-newness.lua), for the connection's resume.
-- KEYS[1] members hash, KEYS[2] the connection's member set on this channel, KEYS[3] the connection's departed
-- members on this channel, KEYS[4] the members' entry order, KEYS[5] their version (lib/presence-order.lua);
-- ARGV[1] departed-record TTL ms, then the memberKeys its owner knew it had there (the member set has a TTL only the
-- owner refreshes, and may have run out while a removal waited for a failover)
-- Returns a flat list memberKey, value, memberKey, value...
local out = {}
local mks = redis.call('SMEMBERS', KEYS[2])
local listed = {}
for _, mk in ipairs(mks) do listed[mk] = true end
for i = 2, #ARGV do
  if not listed[ARGV[i]] then mks[#mks + 1] = ARGV[i] end
end
for _, mk in ipairs(mks) do
  local v = redis.call('HGET', KEYS[1], mk)
  if v then
    redis.call('HDEL', KEYS[1], mk)
    redis.call('ZREM', KEYS[4], mk)
    redis.call('HSET', KEYS[3], mk, 'S' .. v)
    out[#out + 1] = mk
    out[#out + 1] = v
  end
end
redis.call('DEL', KEYS[2])
if #out > 0 then
  redis.call('PEXPIRE', KEYS[3], ARGV[1])
  bump_version(KEYS[5], ARGV[1])
end
return out
