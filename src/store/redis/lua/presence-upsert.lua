-- ENTER/UPDATE of one member, atomically with the member limit and the newness rules (lib/presence-newness.lua).
-- KEYS[1] members hash, KEYS[2] the connection's member set on this channel, KEYS[3] the connection's departed
-- members on this channel, KEYS[4] the members' entry order, KEYS[5] their version (lib/presence-order.lua)
-- ARGV[1] memberKey, ARGV[2] value, ARGV[3] maxMembers, ARGV[4] re-entry id or '', ARGV[5] member TTL ms (backstop, only ever extended: lib/ttl.lua;
-- owners refresh it), ARGV[6] connectionId, ARGV[7] departed-record TTL ms
-- Returns {code} or {code, value}: 1 entered, 2 updated, 0 nothing to broadcast (stale), -1 member limit reached;
-- value is present when what was written differs from ARGV[2] (a stale re-entry of a member the server removed
-- comes back with its last applied payload).
local value = ARGV[2]
local reentry = ARGV[4] ~= '' and ARGV[4] or nil
local op = op_version(reentry, ARGV[6]) or op_version(id_of(value), ARGV[6])
local old = redis.call('HGET', KEYS[1], ARGV[1])
local result
local replaced = false
if old then
  local old_id = id_of(old)
  if reentry and old_id == reentry then return { 0 } end
  if is_stale(op, op_version(old_id, ARGV[6])) then return { 0 } end
  result = 2
else
  local departed = redis.call('HGET', KEYS[3], ARGV[1])
  if departed then
    local kind = string.sub(departed, 1, 1)
    local rest = string.sub(departed, 2)
    if is_stale(op, op_version(id_of(rest), ARGV[6])) then
      if kind == 'L' then return { 0 } end
      value = head_of(value) .. payload_of(rest)
      replaced = true
    end
  end
  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return { -1 } end
  if departed then redis.call('HDEL', KEYS[3], ARGV[1]) end
  result = 1
end
redis.call('HSET', KEYS[1], ARGV[1], value)
redis.call('SADD', KEYS[2], ARGV[1])
if result == 1 then order_enter(KEYS[4], KEYS[5], ARGV[1], ARGV[5]) else bump_version(KEYS[5], ARGV[5]) end
-- The order lives as long as the members hash (an update refreshes both).
extend_ttl(KEYS[4], ARGV[5])
extend_ttl(KEYS[1], ARGV[5])
extend_ttl(KEYS[2], ARGV[5])
if replaced then return { result, value } end
return { result }
