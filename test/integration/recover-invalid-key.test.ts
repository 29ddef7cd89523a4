import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { connectionState, PROTOCOLS, startServer } from '../helpers/server.ts';

describe('recovering with a key we never issued', () => {
  for (const protocol of PROTOCOLS) {
    test(`connects afresh with 80018 (invalid connection key), not 80008 (${protocol})`, async (t) => {
      const s = await startServer(t);
      const recover = JSON.stringify({ connectionKey: '_____!not-a-rollcall-key____', msgSerial: 3, channelSerials: {} });
      const client = s.realtime({ protocol, recover });
      const change = (await connectionState(client, 'connected')) as Ably.ConnectionStateChange;
      assert.equal(change.reason?.code, 80018);
      assert.equal(client.connection.errorReason?.code, 80018);
      assert.ok(!client.connection.key?.includes('not-a-rollcall-key'));
    });

    test(`a key of our shape that expired is still 80008 (${protocol})`, async (t) => {
      const s = await startServer(t);
      const recover = JSON.stringify({ connectionKey: 'AAAAAAAAAAA!BBBBBBBBBBBBBBBB', msgSerial: 0, channelSerials: {} });
      const change = (await connectionState(s.realtime({ protocol, recover }), 'connected')) as Ably.ConnectionStateChange;
      assert.equal(change.reason?.code, 80008);
    });
  }
});
