import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { connectionState, PROTOCOLS, startServer, TEST_KEY } from '../helpers/server.ts';

const LIMITED_KEY = 'testapp.limited:secret-limited';
const KEYS = [
  { key: TEST_KEY },
  { key: LIMITED_KEY, capability: { allowed: ['publish'], members: ['presence', 'publish', 'subscribe'] } },
];

describe('batch publish and batch presence', () => {
  for (const protocol of PROTOCOLS) {
    test(`rest.batchPublish publishes per channel and reports refusals per channel (${protocol})`, async (t) => {
      const s = await startServer(t, { keys: KEYS });
      const limited = s.rest({ protocol, key: LIMITED_KEY });
      const results = await limited.batchPublish([
        { channels: ['allowed', 'forbidden'], messages: [{ data: 'm1' }, { data: 'm2' }] },
        { channels: ['members'], messages: [{ data: 'm3' }] },
      ]);
      assert.equal(results.length, 2);
      const [first, second] = results;
      assert.equal(first?.successCount, 1);
      assert.equal(first?.failureCount, 1);
      const [ok, refused] = first?.results ?? [];
      assert.equal(ok?.channel, 'allowed');
      assert.ok(ok && 'messageId' in ok && ok.messageId);
      assert.ok(!(ok && 'error' in ok));
      assert.equal(refused?.channel, 'forbidden');
      assert.ok(refused && 'error' in refused && refused.error.statusCode === 401 && refused.error.code === 40160);
      assert.equal(second?.successCount, 1);
      const history = await s.rest({ protocol }).channels.get('allowed').history({ direction: 'forwards' });
      assert.deepEqual(
        history.items.map((m) => m.data),
        ['m1', 'm2'],
      );
      assert.equal((await s.rest({ protocol }).channels.get('forbidden').history()).items.length, 0);
      // A single spec (as `rest.request` sends it) answers the flat list of channel results.
      const single = await s
        .rest({ protocol })
        .request('post', '/messages', 2, {}, { channels: ['a1', 'a2'], messages: { data: 'x' } });
      assert.equal(single.statusCode, 201);
      assert.deepEqual(
        single.items.map((i: { channel: string }) => i.channel),
        ['a1', 'a2'],
      );
    });

    test(`rest.batchPresence lists each channel's members or why it was refused (${protocol})`, async (t) => {
      const s = await startServer(t, { keys: KEYS });
      const member = s.realtime({ protocol, clientId: 'batcher' });
      await connectionState(member, 'connected');
      await member.channels.get('allowed').presence.enter('a');
      await member.channels.get('members').presence.enter({ seat: 1 });
      // ably.d.ts types the result as a list, but the SDK returns the body as is: one BatchResult (as Ably sends it).
      const result = (await s
        .rest({ protocol, key: LIMITED_KEY })
        .batchPresence(['allowed', 'members'])) as unknown as Ably.BatchResult<
        Ably.BatchPresenceSuccessResult | Ably.BatchPresenceFailureResult
      >;
      assert.equal(result.successCount, 1);
      assert.equal(result.failureCount, 1);
      const [refused, ok] = result.results;
      assert.equal(refused?.channel, 'allowed');
      assert.ok(refused && 'error' in refused && refused.error.statusCode === 401);
      assert.ok(ok && 'presence' in ok);
      // Batch presence items come as stored (the SDK does not decode them): JSON data keeps its `json` encoding.
      assert.deepEqual(
        ok.presence.map((m) => [m.clientId, m.data, m.encoding]),
        [['batcher', '{"seat":1}', 'json']],
      );
    });
  }
});
