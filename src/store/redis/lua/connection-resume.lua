-- Moves a connection to the node it resumed on, if the key and identity match: from then on only that node may
-- change or remove it, which cancels the grace-period leave wherever it was scheduled. The key may be the current
-- one or the one before it (`prevKey`: the CONNECTED carrying the current one may have been lost); the presented
-- key stays valid next to the new one for the same reason.
-- KEYS[1] connection hash; ARGV[1] resume key, ARGV[2] appId, ARGV[3] clientId (JSON), ARGV[4] this node,
-- ARGV[5] new key, ARGV[6] TTL ms.
-- Returns false when unknown or not matching, else { previous node, previous state, msgSerial high-water }.
local f = redis.call('HMGET', KEYS[1], 'key', 'appId', 'clientId', 'node', 'state', 'serial', 'prevKey')
if (f[1] ~= ARGV[1] and f[7] ~= ARGV[1]) or f[2] ~= ARGV[2] or f[3] ~= ARGV[3] then return false end
redis.call('HSET', KEYS[1], 'node', ARGV[4], 'key', ARGV[5], 'prevKey', ARGV[1], 'state', 'connected')
redis.call('HDEL', KEYS[1], 'leaveAt')
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return { f[4] or '', f[5] or '', f[6] or '-1' }
