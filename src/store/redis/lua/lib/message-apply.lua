-- Records one operation on a message: its new head, its data (an append APPENDs the piece, so a long stream of
-- tokens never rewrites the text so far), and the operation in its version list. Used by message-apply.lua (an
-- operation numbered elsewhere) and broker-publish.lua (numbered, delivered and recorded in one step, issue 16).
-- Head and operation are stored as `<event serial>\n<msgpack>`: the serial of the event that carried the operation
-- is known only inside the publish script, and the reader puts the version serial made from it into the unpacked
-- version (RedisMessageStore).
-- `heads` hash (serial -> head), `data` the message's data, `ops` its operations list; `serial` the message's,
-- `event` the serial of the event that carried the operation, `head` and `op` msgpack, `mode` 'append' or
-- 'replace', `piece` the data appended or the new data, `seeded` '1' when `seed` is the message's data as created
-- (first operation on it).
local function apply_message(heads, data, ops, serial, event, head, mode, piece, seeded, seed, op, ttl)
  if seeded == '1' and redis.call('HEXISTS', heads, serial) == 0 then
    redis.call('SET', data, seed)
  end
  if mode == 'append' then
    redis.call('APPEND', data, piece)
  else
    redis.call('SET', data, piece)
  end
  redis.call('HSET', heads, serial, event .. '\n' .. head)
  redis.call('RPUSH', ops, event .. '\n' .. op)
  redis.call('PEXPIRE', heads, ttl)
  redis.call('PEXPIRE', data, ttl)
  redis.call('PEXPIRE', ops, ttl)
end
