-- Numbers a channel event and fans it out in one step, so every node sees one order: Redis runs scripts one at a
-- time and delivers a channel's pub/sub messages in publish order.
-- KEYS[1] seq counter, KEYS[2] epoch; ARGV[1] epoch to use if the channel has none, ARGV[2] pub/sub channel,
-- ARGV[3] payload, ARGV[4] '1' for SPUBLISH (sharded, Redis 7), ARGV[5] TTL ms of the numbering when idle,
-- ARGV[6] the highest seq the caller has seen (0 if none): if Redis lost the numbering (restart), it resumes from
-- there under the caller's epoch, so subscribers that already saw those seqs do not drop the new events.
-- Returns the serial `<epoch>-<seq>`; the published message is `<serial>\n<payload>`.
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[2], epoch)
end
if epoch == ARGV[1] and tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[6]) then
  redis.call('SET', KEYS[1], ARGV[6])
end
local serial = epoch .. '-' .. redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
if ARGV[4] == '1' then
  redis.call('SPUBLISH', ARGV[2], serial .. '\n' .. ARGV[3])
else
  redis.call('PUBLISH', ARGV[2], serial .. '\n' .. ARGV[3])
end
return serial
