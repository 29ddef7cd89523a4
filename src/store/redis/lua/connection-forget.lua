-- Deletes a connection's state (CLOSE, or its connectionStateTtl ran out) unless another node owns it now.
-- KEYS[1] connection hash, KEYS[2] its channel set; ARGV[1] this node. Returns 1 when deleted.
local owner = redis.call('HGET', KEYS[1], 'node')
if owner and owner ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
