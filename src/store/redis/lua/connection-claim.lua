-- Claims the removal of a connection's members, so exactly one party does it and only while it is entitled to:
--   own   ARGV[2] = this node: refused when another node now holds the connection (it resumed there).
--   reap  ARGV[2] = a dead node: refused when the connection moved away from that node.
--   sweep a grace period ran out (ARGV[3] = now): refused unless it is still disconnected and due, or a removal
--         already claimed (state `left`) is unfinished.
-- KEYS[1] connection hash, KEYS[2] its channel set; ARGV[4] TTL ms for what remains of the state.
-- Returns false when refused, else the channels where it has members. The set is not consumed here: the caller
-- takes each channel out once its members are removed (each on its own channel's slot, which may be failing over
-- meanwhile), so a removal cut short is finished by the next claim instead of leaving its members behind for good.
-- Each channel's removal is atomic (presence-remove-connection.lua): claims that overlap split the members, and
-- each LEAVE still happens once.
local owner = redis.call('HGET', KEYS[1], 'node')
local mode = ARGV[1]
if mode == 'own' or mode == 'reap' then
  if owner and owner ~= ARGV[2] then return false end
else
  local state = redis.call('HGET', KEYS[1], 'state')
  if state ~= 'left' then
    if state ~= 'disconnected' then return false end
    local at = tonumber(redis.call('HGET', KEYS[1], 'leaveAt') or '0')
    if at > tonumber(ARGV[3]) then return false end
  end
end
if owner then
  redis.call('HSET', KEYS[1], 'state', 'left')
  redis.call('HDEL', KEYS[1], 'leaveAt')
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
-- The channels left to do live as long as the state that entitles a later claim to finish them.
extend_ttl(KEYS[2], ARGV[4])
return redis.call('SMEMBERS', KEYS[2])
