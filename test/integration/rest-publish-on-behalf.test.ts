import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { connectionState, OTHER_APP_KEY, PROTOCOLS, startServer } from '../helpers/server.ts';

describe('REST publish on behalf of a realtime connection (connectionKey, RSL1m)', () => {
  for (const protocol of PROTOCOLS) {
    test(`the message carries that connection's id and never its key; unknown keys are 40003 (${protocol})`, async (t) => {
      const s = await startServer(t);
      const realtime = s.realtime({ protocol });
      await connectionState(realtime, 'connected');
      const channel = realtime.channels.get('on-behalf');
      const received = new Promise<Ably.Message>((resolve) => channel.subscribe(resolve));
      await channel.attach();
      const connectionKey = realtime.connection.key as string;
      await s.rest({ protocol }).channels.get('on-behalf').publish({ name: 'foo', data: 'bar', connectionKey });
      const message = await received;
      assert.equal(message.connectionId, realtime.connection.id);
      assert.equal((message as { connectionKey?: string }).connectionKey, undefined);
      const history = await s.rest({ protocol }).channels.get('on-behalf').history();
      assert.equal(history.items[0]?.connectionId, realtime.connection.id);
      assert.equal((history.items[0] as { connectionKey?: string } | undefined)?.connectionKey, undefined);

      const bogus = s.rest({ protocol }).channels.get('on-behalf').publish({ name: 'x', connectionKey: 'nobody!here' });
      await assert.rejects(bogus, (err: Ably.ErrorInfo) => err.code === 40003 && err.statusCode === 400);
      // A key of a connection of another app is refused the same way.
      const stranger = s.realtime({ protocol, key: OTHER_APP_KEY });
      await connectionState(stranger, 'connected');
      const foreign = s
        .rest({ protocol })
        .channels.get('on-behalf')
        .publish({ name: 'x', connectionKey: stranger.connection.key as string });
      await assert.rejects(foreign, (err: Ably.ErrorInfo) => err.code === 40003);
    });
  }
});
