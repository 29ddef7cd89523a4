-- Takes a webhook's delivery lease if free, or renews it for its holder; the lease lapses on its own (PX) when its
-- node dies, and another node's claim then succeeds. KEYS[1] lease; ARGV[1] owner, ARGV[2] ttl ms. Returns 1 if held.
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
