-- One page of members in entry order (REST presence paging; read-only). Atomic, so the page is one state of the
-- set; across pages the entry stamps keep the cursor valid (lib/presence-order.lua).
-- KEYS[1] the members' entry order, KEYS[2] members hash
-- ARGV[1] the stamp after which to start (exclusive), ARGV[2] how many entries to read
-- Returns {more, stamp, value, stamp, value, ...}: `more` is 1 when entries follow the last one read. An entry
-- whose member is gone from the hash is skipped (the order set may lag a member that expired on its own).
local entries = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]) + 1)
local n = math.min(#entries / 2, tonumber(ARGV[2]))
local out = { (#entries / 2 > n) and 1 or 0 }
if n == 0 then return out end
local fields = {}
for i = 1, n do fields[i] = entries[2 * i - 1] end
local values = redis.call('HMGET', KEYS[2], unpack(fields))
for i = 1, n do
  local stamp = entries[2 * i]
  if values[i] then
    out[#out + 1] = stamp
    out[#out + 1] = values[i]
  else
    -- The stamp still counts as read, so the cursor moves past it.
    out[#out + 1] = stamp
    out[#out + 1] = false
  end
end
return out
