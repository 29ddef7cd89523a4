-- Claims the removal of a connection's members, so exactly one party does it and only while it is entitled to:
--   own   ARGV[2] = this node: refused when another node now holds the connection (it resumed there).
--   reap  ARGV[2] = a dead node: refused when the connection moved away from that node.
--   sweep a grace period ran out (ARGV[3] = now): refused unless it is still disconnected and due, or a removal
--         already claimed (state `left` or `closed`) is unfinished.
-- KEYS[1] connection hash, KEYS[2] its channel set, KEYS[3] the member keys its removal must take (channel →
-- packed list); ARGV[4] TTL ms for what remains of the state, ARGV[5] the state it takes: `closed` (the connection
-- ended: never resumed again) or `left` (its grace ended: it may resume, without members, once they all left; a
-- `closed` connection stays closed), then channel, packed member keys pairs: the owner's own record of its members.
-- Returns false when refused, else { channels where it has members, flat channel/packed member keys }. Neither is
-- consumed here: the caller takes each channel out once its members are removed (each on its own channel's slot,
-- which may be failing over meanwhile), so a removal cut short is finished by the next claim, whichever node makes
-- it, instead of leaving its members behind for good.
-- Each channel's removal is atomic (presence-remove-connection.lua): claims that overlap split the members, and
-- each LEAVE still happens once.
local owner = redis.call('HGET', KEYS[1], 'node')
local state = redis.call('HGET', KEYS[1], 'state')
local mode = ARGV[1]
if mode == 'own' or mode == 'reap' then
  if owner and owner ~= ARGV[2] then return false end
elseif state ~= 'left' and state ~= 'closed' then
  if state ~= 'disconnected' then return false end
  local at = tonumber(redis.call('HGET', KEYS[1], 'leaveAt') or '0')
  if at > tonumber(ARGV[3]) then return false end
end
if owner then
  redis.call('HSET', KEYS[1], 'state', state == 'closed' and 'closed' or ARGV[5])
  redis.call('HDEL', KEYS[1], 'leaveAt')
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
-- What is left to do lives as long as the state that entitles a later claim to finish it.
extend_ttl(KEYS[2], ARGV[4])
extend_ttl(KEYS[3], ARGV[4])
return { redis.call('SMEMBERS', KEYS[2]), redis.call('HGETALL', KEYS[3]) }
