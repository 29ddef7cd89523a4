-- The channel's latest serial. Fixes the epoch if the channel has none yet, so a serial handed out before the
-- first event (ATTACHED) belongs to the same numbering as the events that follow.
-- KEYS[1] seq counter, KEYS[2] epoch; ARGV[1] epoch to use if none, ARGV[2] TTL ms, ARGV[3] highest seq the caller
-- has seen under that epoch (see broker-publish.lua).
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[2], epoch, 'PX', ARGV[2])
end
if epoch == ARGV[1] and tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
end
return epoch .. '-' .. string.format('%012d', tonumber(redis.call('GET', KEYS[1]) or '0'))
