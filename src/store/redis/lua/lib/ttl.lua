-- TTL backstops only ever grow: a member's keys may be held past its grace period (a disconnected member, a dead
-- node's members), and an unrelated write must never cut that short, or the member would expire without a LEAVE.
-- Sets the TTL of `key` to `ms` unless it is already longer; a key without a TTL gets one; a missing key is left.
local function extend_ttl(key, ms)
  local left = redis.call('PTTL', key)
  if left == -1 or (left >= 0 and left < tonumber(ms)) then redis.call('PEXPIRE', key, ms) end
end
