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
-- A record written before fold records kept a serial is a bare version, and every annotation listed then was
-- folded: the version is at least the event seq of each (annotation-record.lua), and any listed since has a
-- higher seq (its channel's numbering, summaries included, moved past the version).
local legacy = folded == nil and record ~= '0' and tonumber(record) or nil
local out = { state, record }
-- Read whole while legacy (once per message: the next record written keeps a serial), as the filter may drop more
-- than a batch.
local members = legacy and redis.call('ZRANGEBYLEX', KEYS[3], from, '+')
  or redis.call('ZRANGEBYLEX', KEYS[3], from, '+', 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(members) do
  if not legacy or tonumber(string.match(m, '^[^%z]*%-(%d+):%d+%z') or '0') > legacy then out[#out + 1] = m end
end
return out
