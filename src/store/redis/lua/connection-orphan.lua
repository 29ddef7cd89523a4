-- A dead node's connection becomes an abrupt disconnect: its members keep their own remainPresentFor (counted from
-- the node's death) instead of leaving at once, so the client can resume on another node within it without any
-- event, and they leave through the grace-period sweep when it ends.
-- KEYS[1] connection hash, KEYS[2] its channel set
-- ARGV[1] the dead node, ARGV[2] when it died (its last heartbeat, ms), ARGV[3] longest grace (connectionStateTtl),
-- ARGV[4] now (ms), ARGV[5] how long past the grace the state is kept (ms)
-- Returns false when the connection has no state or has left or closed (the caller removes its members now: after
-- a LEAVE its channel set holds only the channels whose removal was cut short), 0 when it is not the dead node's any more
-- (resumed elsewhere), else its leaveAt.
local f = redis.call('HMGET', KEYS[1], 'node', 'state', 'leaveAt', 'rpf')
if not f[1] then return false end
if f[1] ~= ARGV[1] then return 0 end
if f[2] == 'left' or f[2] == 'closed' then return false end
local leave_at = tonumber(f[3] or '')
if f[2] ~= 'disconnected' or not leave_at then
  leave_at = tonumber(ARGV[2]) + math.min(tonumber(f[4] or '0'), tonumber(ARGV[3]))
end
-- `orphanedFrom` tells the sweep that this grace began with the node's death (its LEAVEs say node-down).
redis.call('HSET', KEYS[1], 'state', 'disconnected', 'leaveAt', string.format('%d', leave_at), 'orphanedFrom', ARGV[1])
local hold = math.max(leave_at - tonumber(ARGV[4]), 0) + tonumber(ARGV[5])
extend_ttl(KEYS[1], hold)
extend_ttl(KEYS[2], hold)
return string.format('%d', leave_at)
