-- One piece of a whole-set read (read-only), in entry order: the values of up to ARGV[3] members whose stamps are
-- after ARGV[1] and at most ARGV[2] ('+inf': no bound), packed into ONE string of `<4-byte big-endian length>
-- <value>` records. One bulk reply instead of two per member: parsing 100k members' worth of small replies is
-- what made reading a big set slow on the node. The pieces come from presence-read-plan.lua.
-- KEYS[1] the members' entry order, KEYS[2] members hash
-- Returns {more, last stamp read, packed values}: `more` is 1 when entries up to the bound follow.
-- Scores are not asked for (formatting 1000 doubles costs more than the rest): only the last one is looked up.
local limit = tonumber(ARGV[3])
local fields = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], ARGV[2], 'LIMIT', 0, limit + 1)
local n = math.min(#fields, limit)
local more = (#fields > n) and 1 or 0
fields[n + 1] = nil
if n == 0 then return { more, ARGV[1], '' } end
local values = redis.call('HMGET', KEYS[2], unpack(fields))
-- Length and value as two parts each: table.concat copies every byte once, where `pack(..) .. v` copies twice.
local parts = {}
for i = 1, n do
  local v = values[i]
  if v then
    parts[#parts + 1] = struct.pack('>I4', #v)
    parts[#parts + 1] = v
  end
end
return { more, redis.call('ZSCORE', KEYS[1], fields[n]), table.concat(parts) }
