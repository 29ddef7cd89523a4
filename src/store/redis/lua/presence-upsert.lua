-- ENTER/UPDATE of one member, atomically with the member limit and the re-entry check.
-- KEYS[1] members hash, KEYS[2] the connection's member set on this channel
-- ARGV[1] memberKey, ARGV[2] value (`<memberId>\0<packed member>`), ARGV[3] maxMembers, ARGV[4] re-entry id or '',
-- ARGV[5] key TTL in ms (backstop; owners refresh it)
-- Returns 1 entered, 2 updated, 0 nothing to broadcast (re-entry of the current id), -1 member limit reached.
local old = redis.call('HGET', KEYS[1], ARGV[1])
local result
if old then
  if ARGV[4] ~= '' then
    local sep = string.find(old, '\0', 1, true)
    if sep and string.sub(old, 1, sep - 1) == ARGV[4] then return 0 end
  end
  result = 2
else
  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return -1 end
  result = 1
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return result
