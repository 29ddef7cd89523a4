-- Records a fold of a message's summary: the new state and how far it reaches, in one atomic step, only if no other
-- fold of the message was recorded since the caller's read (compare-and-set on the fold record).
-- KEYS[1] summaries hash (serial -> state), KEYS[2] fold records hash (serial -> `<version> <last folded serial>`).
-- ARGV[1] message serial, ARGV[2] the record the caller read ('0': none), ARGV[3] the new state ('' when the fold
-- changed no summary), ARGV[4] the serial of the last annotation folded, ARGV[5] TTL ms, ARGV[6] the event seq of
-- that annotation: the new version is above the old one and at least that (versions keep rising after a loss).
-- Returns the new version, or -1 when the record moved on (the caller folds again from the newer state).
local current = redis.call('HGET', KEYS[2], ARGV[1]) or '0'
if current ~= ARGV[2] then return -1 end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
local version = math.max(tonumber(string.match(current, '^%d+')) + 1, tonumber(ARGV[6]))
redis.call('HSET', KEYS[2], ARGV[1], version .. ' ' .. ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return version
