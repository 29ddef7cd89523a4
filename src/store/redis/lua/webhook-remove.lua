-- Removes the oldest delivered items, only for the lease holder (a node that lost the lease must not trim what
-- another node may be sending). KEYS[1] queue list, KEYS[2] lease; ARGV[1] owner, ARGV[2] count. Returns 1 if removed.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1)
return 1
