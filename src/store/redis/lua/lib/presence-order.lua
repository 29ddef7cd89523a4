-- The members' version and entry order, kept by every script that changes a members hash (needs lib/ttl.lua).
-- The version is bumped once per change; a member's entry stamp is the version of its ENTER, so stamps grow and
-- a member keeps its stamp until it leaves (stable REST paging). A version key made afresh (first change, or its
-- TTL ran out) starts from the server's clock in microseconds rather than 1, so a value is never repeated for the
-- channel: nodes cache SYNC pages by version, and cursors hold stamps.
local function bump_version(key, ttl)
  local v = redis.call('INCR', key)
  if v == 1 then
    local t = redis.call('TIME')
    v = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, string.format('%d', v))
  end
  extend_ttl(key, ttl)
  return v
end

-- Records that `mk` entered now, at a fresh stamp; the order set lives as long as the members hash.
local function order_enter(order_key, version_key, mk, ttl)
  local v = bump_version(version_key, ttl)
  redis.call('ZADD', order_key, string.format('%d', v), mk)
  extend_ttl(order_key, ttl)
end
