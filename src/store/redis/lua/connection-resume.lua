-- Moves a connection to the node it resumed on, if the key and identity match: from then on only that node may
-- change or remove it, which cancels the grace-period leave wherever it was scheduled. The key may be the current
-- one or the one before it (`prevKey`: the CONNECTED carrying the current one may have been lost); the presented
-- key stays valid next to the new one for the same reason.
-- Refused too when the connection cannot go on with the members it had: it was closed (CLOSE, its state expired on
-- its node), or its grace period ended and the removal of its members is unfinished (a channel's shard failing
-- over): LEAVEs of some went out, and the rest must follow rather than come along. Such a client gets a new
-- connection (80008) and enters again, as after any lost connection; one whose members all left resumes without them.
-- KEYS[1] connection hash, KEYS[2] its channel set, KEYS[3] the member keys its removal must take;
-- ARGV[1] resume key, ARGV[2] appId, ARGV[3] clientId (JSON), ARGV[4] this node, ARGV[5] new key, ARGV[6] TTL ms.
-- Returns false when unknown or not matching, else { previous node, previous state, msgSerial high-water }.
local f = redis.call('HMGET', KEYS[1], 'key', 'appId', 'clientId', 'node', 'state', 'serial', 'prevKey')
if (f[1] ~= ARGV[1] and f[7] ~= ARGV[1]) or f[2] ~= ARGV[2] or f[3] ~= ARGV[3] then return false end
if f[5] == 'closed' then return false end
if f[5] == 'left' and (redis.call('SCARD', KEYS[2]) > 0 or redis.call('HLEN', KEYS[3]) > 0) then return false end
redis.call('HSET', KEYS[1], 'node', ARGV[4], 'key', ARGV[5], 'prevKey', ARGV[1], 'state', 'connected')
redis.call('HDEL', KEYS[1], 'leaveAt')
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return { f[4] or '', f[5] or '', f[6] or '-1' }
