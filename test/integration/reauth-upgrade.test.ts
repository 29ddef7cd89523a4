import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { PROTOCOLS, startServer } from '../helpers/server.ts';

describe('in-band AUTH that widens the capability', () => {
  for (const protocol of PROTOCOLS) {
    test(`grants the modes the channel asked for and could not have before, without re-attaching (${protocol})`, async (t) => {
      const s = await startServer(t);
      let capability: Ably.TokenParams['capability'] = { room: ['subscribe'] };
      const client = s.realtime({
        protocol,
        key: undefined,
        authCallback: (_params, cb) => {
          s.rest()
            .auth.createTokenRequest({ clientId: 'alice', capability })
            .then(
              (request) => cb(null, request),
              (err) => cb(err, null),
            );
        },
      });
      const room = client.channels.get('room');
      await room.attach();
      await assert.rejects(room.publish('before', 'x'), (err: Ably.ErrorInfo) => err.code === 40160 || err.code === 40165);
      capability = { room: ['subscribe', 'publish'] };
      const id = client.connection.id;
      await client.auth.authorize();
      assert.equal(client.connection.id, id);
      assert.equal(room.state, 'attached');
      await room.publish('after', 'y');
    });
  }
});
