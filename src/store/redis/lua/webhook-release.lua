-- Gives up a webhook's delivery lease if ARGV[1] holds it. KEYS[1] lease.
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
