-- Appends one event numbered elsewhere to a channel's history (needs lib/history-append.lua).
-- KEYS[1] history zset (score seq, member `<16-digit timestamp><msgpack event>`), KEYS[2] highest evicted seq
-- ARGV[1] seq, ARGV[2] member, ARGV[3] max per channel, ARGV[4] oldest timestamp kept, ARGV[5] TTL ms
append_history(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
return 1
