import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { connectionState, PROTOCOLS, startServer } from '../helpers/server.ts';

describe('invalid channel names (SDK)', () => {
  for (const protocol of PROTOCOLS) {
    test(`attaching ":hell" fails with 40010 on the channel and the connection stays usable (${protocol})`, async (t) => {
      const s = await startServer(t);
      const client = s.realtime({ protocol });
      await connectionState(client, 'connected');
      const bad = client.channels.get(':hell');
      await assert.rejects(bad.attach(), (err: Ably.ErrorInfo) => err.code === 40010);
      assert.equal(bad.errorReason?.code, 40010);
      const good = client.channels.get('fine');
      await good.attach();
      await good.publish('after', 'ok');
      assert.equal(client.connection.state, 'connected');
    });
  }
});
