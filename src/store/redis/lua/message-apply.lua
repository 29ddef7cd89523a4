-- Records one operation on a message in one atomic step: its new head, its data (an append APPENDs the piece, so
-- a long stream of tokens never rewrites the text so far), and the operation in its version list.
-- KEYS[1] heads hash (serial -> head), KEYS[2] the message's data, KEYS[3] the message's operations list
-- ARGV[1] serial, ARGV[2] head, ARGV[3] 'append' or 'replace', ARGV[4] data (the piece, or the new data),
-- ARGV[5] '1' when ARGV[6] seeds the data (the message as created: first operation on it), ARGV[6] seed data,
-- ARGV[7] operation entry, ARGV[8] TTL ms
if ARGV[5] == '1' and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  redis.call('SET', KEYS[2], ARGV[6])
end
if ARGV[3] == 'append' then
  redis.call('APPEND', KEYS[2], ARGV[4])
else
  redis.call('SET', KEYS[2], ARGV[4])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
redis.call('PEXPIRE', KEYS[3], ARGV[8])
return 1
