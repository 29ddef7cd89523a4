-- Records one annotation and the summary state folded from the state the caller read, in one atomic step, only
-- if no other annotation of the message was recorded since that read (compare-and-set on the version).
-- KEYS[1] summaries hash (serial -> state), KEYS[2] versions hash (serial -> count), KEYS[3] the message's
-- annotations zset. ARGV[1] message serial, ARGV[2] the version the caller read ('0': none), ARGV[3] the new state
-- ('' when the annotation changes no summary), ARGV[4] the annotation entry, ARGV[5] TTL ms, ARGV[6] the event seq
-- of the annotation: the new version is above the old one and at least that (versions keep rising after a loss).
-- Returns the new version, or -1 when the version moved on (the caller folds again from the newer state).
local current = redis.call('HGET', KEYS[2], ARGV[1]) or '0'
if current ~= ARGV[2] then return -1 end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
local version = math.max(tonumber(current) + 1, tonumber(ARGV[6]))
redis.call('HSET', KEYS[2], ARGV[1], version)
redis.call('ZADD', KEYS[3], 0, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
return version
