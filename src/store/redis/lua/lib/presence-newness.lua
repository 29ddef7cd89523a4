-- Presence newness for one connection (RTP2b2), shared by the presence scripts; mirrors src/presence/newness.ts.
-- Member values are `<id>\0<timestamp>\0<packed payload>`. Departed-member records (hash memberKey → record) are
-- 'L' .. leaveId .. '\0' after the client's own LEAVE, or 'S' .. member value after a server removal.

-- {msgSerial, index} of `id` when it is `<connectionId>:<msgSerial>:<index>`, else nil.
local function op_version(id, connection_id)
  if not id then return nil end
  local prefix = connection_id .. ':'
  if string.sub(id, 1, #prefix) ~= prefix then return nil end
  local serial, index = string.match(string.sub(id, #prefix + 1), '^(%d+):(%d+)$')
  if not serial then return nil end
  return { tonumber(serial), tonumber(index) }
end

-- True when operation `op` is not newer than `last` (so it must change nothing).
local function is_stale(op, last)
  if not op or not last then return false end
  return op[1] < last[1] or (op[1] == last[1] and op[2] <= last[2])
end

-- The id at the front of a member value or of a record's remainder.
local function id_of(value)
  local sep = string.find(value, '\0', 1, true)
  if not sep then return value end
  return string.sub(value, 1, sep - 1)
end

-- The packed payload of a member value (after id and timestamp).
local function payload_of(value)
  local first = string.find(value, '\0', 1, true)
  local second = string.find(value, '\0', first + 1, true)
  return string.sub(value, second + 1)
end

-- The `<id>\0<timestamp>\0` head of a member value.
local function head_of(value)
  local first = string.find(value, '\0', 1, true)
  local second = string.find(value, '\0', first + 1, true)
  return string.sub(value, 1, second)
end
