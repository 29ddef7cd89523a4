-- Claims the removal of a connection's members, so exactly one party does it and only while it is entitled to:
--   own   ARGV[2] = this node: refused when another node now holds the connection (it resumed there).
--   reap  ARGV[2] = a dead node: refused when the connection moved away from that node.
--   sweep a grace period ran out (ARGV[3] = now): refused unless it is still disconnected and due.
-- KEYS[1] connection hash, KEYS[2] its channel set; ARGV[4] TTL ms for what remains of the state.
-- Returns false when refused, else the channels where it has members (the set is consumed).
local owner = redis.call('HGET', KEYS[1], 'node')
local mode = ARGV[1]
if mode == 'own' or mode == 'reap' then
  if owner and owner ~= ARGV[2] then return false end
else
  if redis.call('HGET', KEYS[1], 'state') ~= 'disconnected' then return false end
  local at = tonumber(redis.call('HGET', KEYS[1], 'leaveAt') or '0')
  if at > tonumber(ARGV[3]) then return false end
end
if owner then
  redis.call('HSET', KEYS[1], 'state', 'left')
  redis.call('HDEL', KEYS[1], 'leaveAt')
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
local channels = redis.call('SMEMBERS', KEYS[2])
redis.call('DEL', KEYS[2])
return channels
