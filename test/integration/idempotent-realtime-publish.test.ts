import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { Collector, PROTOCOLS, startServer } from '../helpers/server.ts';

describe('idempotent realtime publishing (client-supplied message ids)', () => {
  for (const protocol of PROTOCOLS) {
    test(`the same id published three times, and from another connection, is delivered and stored once (${protocol})`, async (t) => {
      const s = await startServer(t);
      const a = s.realtime({ protocol });
      const b = s.realtime({ protocol });
      const channel = a.channels.get('idem');
      const got = new Collector<Ably.Message>();
      await channel.subscribe(got.push);
      await Promise.all([
        channel.publish({ name: 'event0', id: 'some_msg_id' }),
        channel.publish({ name: 'event0', id: 'some_msg_id' }),
        channel.publish({ name: 'event0', id: 'some_msg_id' }),
      ]);
      await b.channels.get('idem').publish({ name: 'event0', id: 'some_msg_id' });
      await channel.publish({ name: 'other', id: 'another_id' });
      await channel.publish('end', null);
      await got.until((items) => items.some((m) => m.name === 'end'));
      assert.deepEqual(
        got.items.map((m) => m.name),
        ['event0', 'other', 'end'],
      );
      const history = await s.rest({ protocol }).channels.get('idem').history({ direction: 'forwards' });
      assert.deepEqual(
        history.items.map((m) => m.name),
        ['event0', 'other', 'end'],
      );
    });
  }
});
