-- LEAVE of one member under the newness rules (lib/presence-newness.lua). Whoever gets the value back is the one
-- caller that broadcasts the LEAVE. The leave is remembered, so an older replayed ENTER cannot bring the member back.
-- KEYS[1] members hash, KEYS[2] the connection's member set on this channel, KEYS[3] the connection's departed
-- members on this channel, KEYS[4] the members' entry order, KEYS[5] their version (lib/presence-order.lua)
-- ARGV[1] memberKey, ARGV[2] the LEAVE's id or '', ARGV[3] connectionId, ARGV[4] departed-record TTL ms
-- Returns the removed value, false when the member was not present, 0 when the LEAVE is stale (member kept).
local leave_id = ARGV[2] ~= '' and ARGV[2] or nil
local op = op_version(leave_id, ARGV[3])
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then
  local departed = redis.call('HGET', KEYS[3], ARGV[1])
  if departed and op and not is_stale(op, op_version(id_of(string.sub(departed, 2)), ARGV[3])) then
    redis.call('HSET', KEYS[3], ARGV[1], 'L' .. leave_id .. '\0')
    redis.call('PEXPIRE', KEYS[3], ARGV[4])
  end
  return false
end
if is_stale(op, op_version(id_of(old), ARGV[3])) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
bump_version(KEYS[5], ARGV[4])
if leave_id then
  redis.call('HSET', KEYS[3], ARGV[1], 'L' .. leave_id .. '\0')
else
  redis.call('HSET', KEYS[3], ARGV[1], 'S' .. old)
end
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return old
