-- LEAVE of one member. Whoever gets the value back is the one caller that broadcasts the LEAVE.
-- KEYS[1] members hash, KEYS[2] the connection's member set on this channel; ARGV[1] memberKey
-- Returns the removed value, or false when the member was not present.
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
return old
