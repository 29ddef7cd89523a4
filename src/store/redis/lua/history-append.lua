-- Appends one event to a channel's history and applies retention (count, then age), remembering the highest seq
-- dropped so a resume from before it is known to have lost continuity.
-- KEYS[1] history zset (score seq, member `<16-digit timestamp><payload>`), KEYS[2] highest evicted seq
-- ARGV[1] seq, ARGV[2] member, ARGV[3] max per channel, ARGV[4] oldest timestamp kept, ARGV[5] TTL ms
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local evicted = 0
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if excess > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[1], excess)
  evicted = tonumber(popped[#popped])
end
for _ = 1, 1000 do
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #first == 0 or tonumber(string.sub(first[1], 1, 16)) >= tonumber(ARGV[4]) then break end
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
  evicted = tonumber(first[2])
end
if evicted > tonumber(redis.call('GET', KEYS[2]) or '0') then
  redis.call('SET', KEYS[2], string.format('%d', evicted))
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
