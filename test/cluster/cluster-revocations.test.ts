import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { nextState } from '../helpers/auth.ts';
import { redisSkip } from '../helpers/redis.ts';
import { startRedisBackends } from '../helpers/redis-topologies.ts';
import { connectionState, PROTOCOLS, TEST_KEY } from '../helpers/server.ts';
import { startNodes } from './cluster-helpers.ts';

const REVOCABLE_KEY = 'testapp.revocable:secret-rev';
const OPTIONS = {
  keys: [{ key: TEST_KEY }, { key: REVOCABLE_KEY, revocableTokens: true }],
  // The liveness sweep, which also ends revoked connections, runs every minHeartbeatInterval / 4.
  minHeartbeatInterval: 200,
};

const skip = redisSkip();
const backends = await startRedisBackends(after, skip);

for (const [topology, redis] of backends) {
  describe(`cluster on Redis: token revocation holds on every node (${topology})`, { skip }, () => {
    for (const protocol of PROTOCOLS) {
      it(`revoking through node 0 ends connections on node 1 with 40141 and node 1 refuses the token (${protocol})`, async (t) => {
        const prefix = redis.prefix(t);
        const [n0, n1] = await startNodes(t, redis.url, prefix, 2, OPTIONS);
        const admin = n0!.rest({ protocol, key: REVOCABLE_KEY });
        const [revoked, kept] = await Promise.all([
          admin.auth.requestToken({ clientId: 'c1' }),
          admin.auth.requestToken({ clientId: 'c2' }),
        ]);
        const onNode1 = [revoked, kept].map((tokenDetails) => n1!.realtime({ protocol, key: undefined, tokenDetails }));
        await Promise.all(onNode1.map((c) => connectionState(c, 'connected')));
        const dropped = nextState(onNode1[0]!, 'disconnected');
        const result = await admin.auth.revokeTokens([{ type: 'clientId', value: 'c1' }]);
        assert.equal(result.successCount, 1);
        // Over plain HTTP (the SDK would try to renew the token and report 40171 instead). Refused on the other node as soon as the revocation is answered (checked against Redis, not a copy).
        const refused = await fetch(`http://127.0.0.1:${n1!.port}/channels/x/messages`, {
          headers: { authorization: `Bearer ${Buffer.from(revoked.token).toString('base64')}` },
        });
        assert.equal(refused.status, 401);
        assert.equal(refused.headers.get('x-ably-errorcode'), '40141');
        assert.equal((await dropped).reason?.code, 40141);
        assert.equal(onNode1[1]?.connection.state, 'connected', 'another clientId keeps its connection');
        await n1!.rest({ protocol, key: undefined, token: kept.token }).channels.get('x').history();
        // A node that joins afterwards knows the revocation too.
        const [n2] = await startNodes(t, redis.url, prefix, 1, { ...OPTIONS, serverId: 'node-late' });
        const lateRefusal = await fetch(`http://127.0.0.1:${n2!.port}/channels/x/messages`, {
          headers: { authorization: `Bearer ${Buffer.from(revoked.token).toString('base64')}` },
        });
        assert.equal(lateRefusal.headers.get('x-ably-errorcode'), '40141');
      });
    }
  });
}
