-- Plans a whole-set read (read-only): the entry stamps that cut the members' entry order into pieces of ARGV[1],
-- so the pieces (presence-read.lua, each the stamps in (previous cut, cut]) can be read several at a time instead
-- of each waiting for the last stamp of the one before. A member present throughout has one stamp, so it falls in
-- exactly one piece; members entering meanwhile get stamps past every cut, in the last, open-ended piece.
-- KEYS[1] the members' entry order, KEYS[2] members hash
-- Returns {order size, hash size, cut, cut, ...}. The sizes (taken atomically) tell the caller whether the order
-- holds every member (it may not, for a set written before the order existed until its owners re-assert it).
local size = redis.call('ZCARD', KEYS[1])
local out = { size, redis.call('HLEN', KEYS[2]) }
local piece = tonumber(ARGV[1])
-- A cut at the last entry would only leave an empty piece after it.
for rank = piece - 1, size - 2, piece do
  out[#out + 1] = redis.call('ZRANGE', KEYS[1], rank, rank, 'WITHSCORES')[2]
end
return out
