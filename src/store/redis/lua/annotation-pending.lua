-- Reads what folding a message's summary starts from, in one step: its summary state, its fold record and the
-- annotations listed after the last one folded (in serial order, at most ARGV[2]).
-- KEYS[1] summaries hash (serial -> state), KEYS[2] fold records hash (serial -> `<version> <last folded serial>`),
-- KEYS[3] the message's annotations zset (members `<serial>\0<msgpack>`). ARGV[1] message serial, ARGV[2] limit.
-- Returns { state or '', record or '0', annotation... }.
local state = redis.call('HGET', KEYS[1], ARGV[1]) or ''
local record = redis.call('HGET', KEYS[2], ARGV[1]) or '0'
local folded = string.match(record, ' (.*)$')
-- Members of the last folded serial are `<serial>\0...`, all below `<serial>\1`.
local from = folded and ('(' .. folded .. '\1') or '-'
local out = { state, record }
for _, m in ipairs(redis.call('ZRANGEBYLEX', KEYS[3], from, '+', 'LIMIT', 0, tonumber(ARGV[2]))) do
  out[#out + 1] = m
end
return out
