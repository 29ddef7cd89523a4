-- Lists one annotation already numbered (lib/annotation-list.lua). KEYS[1] the message's annotations zset.
-- ARGV[1] the annotation's serial, ARGV[2] its msgpack, ARGV[3] TTL ms.
list_annotation(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
return 1
