-- The routine re-assertion of one connection's members on one channel when nothing says Redis lost any: refreshes
-- the TTL backstops of the channel's presence keys and the connection's member set without touching a member.
-- Rewriting each member (presence-reassert.lua) costs Redis ~17 µs per member and held it for ~170 ms per call for
-- a connection with 10,000 members, every memberTtl / 3; this costs the same for 1 member or 100,000.
-- Refuses (returns 0, nothing changed) when the keys do not look as this node left them, and the caller then
-- re-asserts every member: the connection's member set is missing or does not hold `count` members, the members
-- hash or the version is missing, or the entry order is shorter than the hash (a set written before the order).
-- KEYS[1] members hash, KEYS[2] the connection's member set on this channel, KEYS[3] the members' entry order,
-- KEYS[4] their version
-- ARGV[1] TTL ms (only ever extended: lib/ttl.lua), ARGV[2] how many members this node holds for the connection
-- Returns 1 when refreshed.
if redis.call('SCARD', KEYS[2]) ~= tonumber(ARGV[2]) then return 0 end
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[4]) == 0 then return 0 end
if redis.call('ZCARD', KEYS[3]) < redis.call('HLEN', KEYS[1]) then return 0 end
for i = 1, 4 do extend_ttl(KEYS[i], ARGV[1]) end
return 1
