-- Numbers a channel event and fans it out in one step, so every node sees one order: Redis runs scripts one at a
-- time and delivers a channel's pub/sub messages in publish order.
-- KEYS[1] seq counter, KEYS[2] epoch, KEYS[3] hash connectionId → its publish record on the channel (below),
-- KEYS[4] zset connectionId → when it last published there (ms), to forget connections after the window
-- ARGV[1] epoch to use if the channel has none, ARGV[2] pub/sub channel, ARGV[3] payload, ARGV[4] '1' for SPUBLISH
-- (sharded, Redis 7), ARGV[5] TTL ms of the numbering when idle, ARGV[6] the highest seq the caller has seen (0 if
-- none): if Redis lost the numbering (restart), it resumes from there under the caller's epoch, so subscribers that
-- already saw those seqs do not drop the new events. ARGV[7] the publishing connection and ARGV[8] its msgSerial
-- ('' for server-made events), ARGV[9] how long a connection's record is kept (its resume window), ms.
-- KEYS[5] hash supersede key -> last version published under it; ARGV[10] the key ('' for none), ARGV[11] the
-- version: an event whose version is not above the last one is not published (returns '!'), so of two summaries of
-- one message computed on two nodes only newer ones go out, whatever order they arrive in.
-- The record is `<high-water msgSerial> <its serial> <gaps>`: gaps are up to 8 ranges `a-b` of msgSerials below
-- the high-water not published here (used on other channels, or still in flight: publishes from one connection
-- can overtake each other on their way to Redis). A msgSerial at or below the high-water outside every gap is a
-- retransmission (after a resume, possibly on another node whose node died before the ACK) and is not published
-- again; recording it in the same script as the publish makes that exactly-once.
-- History (needs lib/history-append.lua): with ARGV[12] (the event's 16-digit timestamp; '' for none), the event
-- is also appended to KEYS[6] (history zset) / KEYS[7] (its highest evicted seq) as `<timestamp><serial>\n<payload>`,
-- the bytes subscribers receive, with ARGV[13] max per channel, ARGV[14] oldest timestamp kept, ARGV[15] TTL ms.
-- In the same script as the numbering, fan-out and publish record, so an event that was delivered (and whose
-- retransmission is answered as a duplicate) is never missing from history, whenever the publishing node dies.
-- Message operation (needs lib/message-apply.lua): the arguments after history's (from ARGV[13] without history,
-- ARGV[16] with it), when the first is not '', record the event as an operation on the message it names, in the
-- same step (issue 16), so a delivered operation is never missing from the message's stored version, and
-- operations on one message are recorded in the order of their serials: the message's serial, head, mode, data,
-- seeded flag, seed data, operation entry, TTL ms (message-apply.lua's ARGV[1-8]), on the next three keys (heads,
-- data, operations). The operation is the event's first item (RedisMessageStore derives its version serial).
-- Annotation (needs lib/annotation-list.lua): the two arguments after the operation's (after its 8, or after the
-- '' standing for none), when present, list the event's annotation on its message in the same step (issue 16): its
-- msgpack without the serial (made here: `<serial>:000`) and the TTL ms, on the next key (the message's annotations).
-- Returns the serial `<epoch>-<seq>` (the published message is `<serial>\n<payload>`), or `=<serial>` when this is
-- a retransmission (the serial of the high-water publish: the earlier one's own serial is not kept).
if ARGV[10] ~= '' then
  if tonumber(ARGV[11]) <= tonumber(redis.call('HGET', KEYS[5], ARGV[10]) or '0') then return '!' end
  redis.call('HSET', KEYS[5], ARGV[10], ARGV[11])
  redis.call('PEXPIRE', KEYS[5], ARGV[5])
end
local conn = ARGV[7]
local ms = tonumber(ARGV[8])
local high, high_serial, gaps = -1, '', {}
if conn ~= '' then
  local rec = redis.call('HGET', KEYS[3], conn)
  if rec then
    local h, hs, g = string.match(rec, '^(%d+) (%S+) ?(.*)$')
    high, high_serial = tonumber(h), hs
    for a, b in string.gmatch(g, '(%d+)-(%d+)') do gaps[#gaps + 1] = { tonumber(a), tonumber(b) } end
  end
  if ms <= high then
    local found = false
    for i, r in ipairs(gaps) do
      if ms >= r[1] and ms <= r[2] then
        found = true
        table.remove(gaps, i)
        if r[1] < ms then table.insert(gaps, i, { r[1], ms - 1 }) end
        if ms < r[2] then table.insert(gaps, i + (r[1] < ms and 1 or 0), { ms + 1, r[2] }) end
        break
      end
    end
    if not found then return '=' .. high_serial end
  end
end
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[2], epoch)
end
if epoch == ARGV[1] and tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[6]) then
  redis.call('SET', KEYS[1], ARGV[6])
end
local seq = redis.call('INCR', KEYS[1])
local serial = epoch .. '-' .. string.format('%012d', seq)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
local published = serial .. '\n' .. ARGV[3]
-- Stored before it is sent: a script that fails part way (out of memory) has then delivered nothing.
if ARGV[12] ~= '' then
  append_history(KEYS[6], KEYS[7], seq, ARGV[12] .. published, ARGV[13], ARGV[14], ARGV[15])
end
local ak, aa = 6, 13
if ARGV[12] ~= '' then ak, aa = 8, 16 end
local nk, na = ak, aa + 1
if ARGV[aa] and ARGV[aa] ~= '' then
  apply_message(KEYS[ak], KEYS[ak + 1], KEYS[ak + 2], ARGV[aa], serial, ARGV[aa + 1], ARGV[aa + 2],
    ARGV[aa + 3], ARGV[aa + 4], ARGV[aa + 5], ARGV[aa + 6], ARGV[aa + 7])
  nk, na = ak + 3, aa + 8
end
if ARGV[na] then
  list_annotation(KEYS[nk], serial .. ':000', ARGV[na], ARGV[na + 1])
end
if ARGV[4] == '1' then
  redis.call('SPUBLISH', ARGV[2], published)
else
  redis.call('PUBLISH', ARGV[2], published)
end
if conn ~= '' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if ms > high then
    if ms > high + 1 then gaps[#gaps + 1] = { high + 1, ms - 1 } end
    high, high_serial = ms, serial
  end
  while #gaps > 8 do table.remove(gaps, 1) end
  local parts = {}
  for _, r in ipairs(gaps) do parts[#parts + 1] = r[1] .. '-' .. r[2] end
  redis.call('HSET', KEYS[3], conn, high .. ' ' .. high_serial .. ' ' .. table.concat(parts, ','))
  redis.call('ZADD', KEYS[4], now, conn)
  -- A few expired connections per publish keep the record as small as the set of recent publishers.
  for _, old in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[9]), 'LIMIT', 0, 8)) do
    redis.call('HDEL', KEYS[3], old)
    redis.call('ZREM', KEYS[4], old)
  end
  redis.call('PEXPIRE', KEYS[3], ARGV[9])
  redis.call('PEXPIRE', KEYS[4], ARGV[9])
end
return serial
