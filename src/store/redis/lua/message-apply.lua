-- Records one operation on a message in one atomic step (needs lib/message-apply.lua), for an operation numbered
-- before (the broker's publish script records the operations it numbers itself).
-- KEYS[1] heads hash (serial -> head), KEYS[2] the message's data, KEYS[3] the message's operations list
-- ARGV[1] serial, ARGV[2] head, ARGV[3] 'append' or 'replace', ARGV[4] data (the piece, or the new data),
-- ARGV[5] '1' when ARGV[6] seeds the data (the message as created: first operation on it), ARGV[6] seed data,
-- ARGV[7] operation entry, ARGV[8] TTL ms. No event serial: head and operation carry their version serial themselves.
apply_message(KEYS[1], KEYS[2], KEYS[3], ARGV[1], '', ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
return 1
