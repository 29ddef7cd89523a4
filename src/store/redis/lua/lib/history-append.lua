-- Appends one event to a channel's history and applies retention (count, then age), remembering the highest seq
-- dropped so a resume from before it is known to have lost continuity. Used by history-append.lua (an event
-- numbered elsewhere) and broker-publish.lua (numbered, delivered and kept in one step).
-- `history` zset (score seq, member `<16-digit timestamp><entry>`), `evicted` highest evicted seq; `max` per channel,
-- `oldest` timestamp kept, `ttl` ms.
local function append_history(history, evicted_key, seq, member, max, oldest, ttl)
  redis.call('ZADD', history, seq, member)
  local evicted = 0
  local excess = redis.call('ZCARD', history) - tonumber(max)
  if excess > 0 then
    local popped = redis.call('ZPOPMIN', history, excess)
    evicted = tonumber(popped[#popped])
  end
  for _ = 1, 1000 do
    local first = redis.call('ZRANGE', history, 0, 0, 'WITHSCORES')
    if #first == 0 or tonumber(string.sub(first[1], 1, 16)) >= tonumber(oldest) then break end
    redis.call('ZREMRANGEBYRANK', history, 0, 0)
    evicted = tonumber(first[2])
  end
  if evicted > tonumber(redis.call('GET', evicted_key) or '0') then
    redis.call('SET', evicted_key, string.format('%d', evicted))
  end
  redis.call('PEXPIRE', history, ttl)
  redis.call('PEXPIRE', evicted_key, ttl)
end
