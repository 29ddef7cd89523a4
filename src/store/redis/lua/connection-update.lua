-- Writes fields of a connection's state, only if this node owns it (or nobody does yet): a node that lost the
-- connection to another node (resume elsewhere) can never overwrite the new owner's state.
-- KEYS[1] connection hash; ARGV[1] this node, ARGV[2] TTL ms, then field/value pairs.
-- Returns 1 when written, 0 when another node owns the connection.
local owner = redis.call('HGET', KEYS[1], 'node')
if owner and owner ~= ARGV[1] then return 0 end
local fields = { 'node', ARGV[1] }
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
