-- Appends items to a webhook's queue, refusing those beyond the limit (the newest: order is kept).
-- KEYS[1] queue list; ARGV[1] limit, ARGV[2..] items. Returns how many were refused.
local room = tonumber(ARGV[1]) - redis.call('LLEN', KEYS[1])
local n = #ARGV - 1
local take = math.max(0, math.min(room, n))
for i = 2, take + 1 do redis.call('RPUSH', KEYS[1], ARGV[i]) end
return n - take
