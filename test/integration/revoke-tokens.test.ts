import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { nextState } from '../helpers/auth.ts';
import { connectionState, PROTOCOLS, startServer, TEST_KEY } from '../helpers/server.ts';

const REVOCABLE_KEY = 'testapp.revocable:secret-rev';
const OPTIONS = {
  keys: [{ key: TEST_KEY }, { key: REVOCABLE_KEY, revocableTokens: true }],
  // The liveness sweep, which also ends revoked connections, runs every minHeartbeatInterval / 4.
  minHeartbeatInterval: 200,
  revocationReauthMargin: 5_000,
};

describe('token revocation (rest.auth.revokeTokens)', () => {
  for (const protocol of PROTOCOLS) {
    test(`revoking clientIds ends their live connections with 40141 and refuses their tokens (${protocol})`, async (t) => {
      const s = await startServer(t, OPTIONS);
      const admin = s.rest({ protocol, key: REVOCABLE_KEY });
      const [t1, t2, other] = await Promise.all([
        admin.auth.requestToken({ clientId: 'c1' }),
        admin.auth.requestToken({ clientId: 'c2' }),
        admin.auth.requestToken({ clientId: 'untouched' }),
      ]);
      const clients = [t1, t2, other].map((tokenDetails) => s.realtime({ protocol, key: undefined, tokenDetails }));
      await Promise.all(clients.map((c) => connectionState(c, 'connected')));
      const dropped = clients.slice(0, 2).map((c) => nextState(c, 'disconnected'));
      const result = await admin.auth.revokeTokens([
        { type: 'clientId', value: 'c1' },
        { type: 'clientId', value: 'c2' },
        { type: 'invalidType', value: 'abc' },
      ]);
      assert.equal(result.successCount, 2);
      assert.equal(result.failureCount, 1);
      const [r1, , bad] = result.results;
      assert.ok(r1 && 'appliesAt' in r1 && typeof r1.issuedBefore === 'number' && r1.target === 'clientId:c1');
      assert.ok(bad && 'error' in bad && bad.error.statusCode === 400 && bad.target === 'invalidType:abc');
      for (const change of await Promise.all(dropped)) assert.equal(change.reason?.code, 40141);
      // Over plain HTTP (the SDK would try to renew the token and report 40171 instead).
      const refused = await fetch(`http://127.0.0.1:${s.port}/channels/x/messages`, {
        headers: { authorization: `Bearer ${Buffer.from(t1.token).toString('base64')}` },
      });
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get('x-ably-errorcode'), '40141');
      assert.equal(clients[2]?.connection.state, 'connected');
      // A token issued after the revocation works.
      const fresh = await admin.auth.requestToken({ clientId: 'c1' });
      await s.rest({ protocol, key: undefined, token: fresh.token }).channels.get('x').history();
    });

    test(`issuedBefore is kept; allowReauthMargin delays the revocation; other keys and token auth are refused (${protocol})`, async (t) => {
      const s = await startServer(t, OPTIONS);
      const admin = s.rest({ protocol, key: REVOCABLE_KEY });
      const now = await admin.time();
      const result = await admin.auth.revokeTokens([{ type: 'clientId', value: 'c' }], {
        issuedBefore: now - 60_000,
        allowReauthMargin: true,
      });
      const [r] = result.results as Ably.TokenRevocationSuccessResult[];
      assert.equal(r?.issuedBefore, now - 60_000);
      assert.ok((r?.appliesAt ?? 0) >= now + 5_000);
      await assert.rejects(s.rest({ protocol }).auth.revokeTokens([{ type: 'clientId', value: 'c' }]), {
        statusCode: 400,
      });
    });
  }
});
