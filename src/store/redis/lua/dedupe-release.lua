-- Forgets a publish claim that failed, but only while it is still this claimant's (a claim that expired and was
-- taken by another node is left alone).
-- KEYS[1] the dedupe key; ARGV[1] the claim token.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
