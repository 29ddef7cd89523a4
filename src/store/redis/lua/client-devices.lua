-- A device (connection) arrives at or departs from a clientId's device set on one channel, atomically, so exactly
-- one caller sees the set go from empty to one (client.online) or from one to empty (client.offline).
-- KEYS[1] the (channel, clientId) device set; ARGV[1] 'arrive' | 'depart', ARGV[2] connectionId.
-- Returns {changed (0|1), devices after}.
local changed
if ARGV[1] == 'arrive' then
  changed = redis.call('SADD', KEYS[1], ARGV[2])
else
  changed = redis.call('SREM', KEYS[1], ARGV[2])
end
return {changed, redis.call('SCARD', KEYS[1])}
