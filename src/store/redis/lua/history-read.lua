-- Reads a channel's retained events with seq > ARGV[1], oldest first, after dropping those older than ARGV[2]
-- (age retention also applies to channels nobody appends to).
-- KEYS[1] history zset, KEYS[2] highest evicted seq
-- Returns { highest evicted seq, member, member, ... }.
local evicted = tonumber(redis.call('GET', KEYS[2]) or '0')
for _ = 1, 1000 do
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #first == 0 or tonumber(string.sub(first[1], 1, 16)) >= tonumber(ARGV[2]) then break end
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
  evicted = math.max(evicted, tonumber(first[2]))
end
if evicted > 0 then redis.call('SET', KEYS[2], string.format('%d', evicted), 'KEEPTTL') end
local out = { string.format('%d', evicted) }
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')) do out[#out + 1] = m end
return out
