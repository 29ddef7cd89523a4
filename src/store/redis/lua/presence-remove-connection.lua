-- Removes every member one connection holds on one channel. Atomic, so concurrent removers (the owner's grace
-- timer, a reaper on another node) split the members between them and each LEAVE is emitted exactly once.
-- KEYS[1] members hash, KEYS[2] the connection's member set on this channel
-- Returns a flat list memberKey, value, memberKey, value...
local out = {}
for _, mk in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local v = redis.call('HGET', KEYS[1], mk)
  if v then
    redis.call('HDEL', KEYS[1], mk)
    out[#out + 1] = mk
    out[#out + 1] = v
  end
end
redis.call('DEL', KEYS[2])
return out
