-- Lists one annotation on its message, not yet folded into the summary (RedisAnnotationStore). Used by
-- annotation-list.lua (an annotation numbered elsewhere) and broker-publish.lua (numbered, delivered and listed in
-- one step, issue 16). `list` the message's annotations zset (all scores 0, so in member order), `serial` the
-- annotation's, `entry` its msgpack, `ttl` ms. The member is `<serial>\0<msgpack>`, so the set is in serial order.
local function list_annotation(list, serial, entry, ttl)
  redis.call('ZADD', list, 0, serial .. '\0' .. entry)
  redis.call('PEXPIRE', list, ttl)
end
