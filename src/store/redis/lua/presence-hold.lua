-- Holds one connection's presence keys on one channel until at least ARGV[1] ms from now (lib/ttl.lua), so its
-- members are still there when its grace period ends and leave through the sweep, with a LEAVE.
-- KEYS[1] members hash, KEYS[2] the connection's member set on this channel, KEYS[3] the members' entry order,
-- KEYS[4] their version
for _, key in ipairs(KEYS) do extend_ttl(key, ARGV[1]) end
return 1
