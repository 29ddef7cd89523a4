import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { Collector, PROTOCOLS, startServer, TEST_KEY } from '../helpers/server.ts';

const QUALIFIED = 'testapp.derived:secret-derived';
const ELSEWHERE = 'testapp.elsewhere:secret-elsewhere';

describe('derived channels (channels.getDerived with a JMESPath filter)', () => {
  for (const protocol of PROTOCOLS) {
    test(`only the base channel's messages that pass the filter arrive, with their own ids (${protocol})`, async (t) => {
      const s = await startServer(t, {
        keys: [
          { key: TEST_KEY },
          { key: QUALIFIED, capability: { '[*]*': ['*'] } },
          { key: ELSEWHERE, capability: { other: ['*'] } },
        ],
      });
      const reader = s.realtime({ protocol, key: QUALIFIED });
      const filtered = reader.channels.getDerived('news', { filter: 'name == `"keep"` && headers.priority == `1`' });
      const got = new Collector<Ably.Message>();
      await filtered.subscribe(got.push);
      assert.deepEqual(filtered.modes, ['subscribe']);
      const base = s.rest({ protocol }).channels.get('news');
      await base.publish([
        { name: 'keep', data: 'a', extras: { headers: { priority: 1 } } },
        { name: 'keep', data: 'b', extras: { headers: { priority: 2 } } },
        { name: 'drop', data: 'c', extras: { headers: { priority: 1 } } },
      ]);
      await base.publish({ name: 'keep', data: 'no headers' });
      await base.publish({ name: 'keep', data: 'd', extras: { headers: { priority: 1 } } });
      await got.count(2);
      assert.deepEqual(
        got.items.map((m) => m.data),
        ['a', 'd'],
      );
      const history = await base.history({ direction: 'forwards' });
      const stored = history.items.find((m) => m.data === 'a');
      assert.equal(got.items[0]?.id, stored?.id, 'the id is the one the base channel gave the message');
      // `[*]*` covers the plain channel too; a key without the channel gets neither.
      await reader.channels.get('news').attach();
      const stranger = s.realtime({ protocol, key: ELSEWHERE });
      const derived = stranger.channels.getDerived('news', { filter: 'name == `"keep"`' });
      await assert.rejects(derived.attach(), (err: Ably.ErrorInfo) => err.code === 40160);
    });
  }
});
