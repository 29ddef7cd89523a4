import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { Action, Flag } from '../../src/protocol/index.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { Collector, PROTOCOLS, startServer } from '../helpers/server.ts';

describe('ATTACH params: modes, echo, rewind (SDK)', () => {
  for (const protocol of PROTOCOLS) {
    test(`params.modes is granted and the recognised params come back as channel.params (${protocol})`, async (t) => {
      const s = await startServer(t);
      const client = s.realtime({ protocol });
      const params = { modes: 'subscribe', delta: 'vcdiff' };
      const channel = client.channels.get('p1', { params });
      await channel.attach();
      assert.deepEqual(channel.params, params);
      assert.deepEqual(channel.modes, ['subscribe']);
      await assert.rejects(channel.publish('x', 'y'), (err: Ably.ErrorInfo) => err.code >= 40160 && err.code <= 40165);
    });

    test(`params.modes wins over the modes option; modes alone keep params as sent (${protocol})`, async (t) => {
      const s = await startServer(t);
      const client = s.realtime({ protocol });
      const both = client.channels.get('p2', {
        params: { modes: 'presence,subscribe' },
        modes: ['PUBLISH', 'PRESENCE_SUBSCRIBE'],
      });
      await both.attach();
      assert.deepEqual(both.modes, ['presence', 'subscribe']);
      assert.deepEqual(both.params, { modes: 'presence,subscribe' });
      const modesOnly = client.channels.get('p3', { params: { delta: 'vcdiff' }, modes: ['PUBLISH', 'SUBSCRIBE'] });
      await modesOnly.attach();
      assert.deepEqual(modesOnly.modes, ['publish', 'subscribe']);
      assert.deepEqual(modesOnly.params, { delta: 'vcdiff' });
    });

    test(`rewind=N replays the last N messages with hasBacklog, again after a detach (${protocol})`, async (t) => {
      const s = await startServer(t);
      const rest = s.rest({ protocol });
      const empty = s.realtime({ protocol }).channels.get('nothing-yet', { params: { rewind: '1' } });
      const none = await empty.attach();
      assert.equal(none?.hasBacklog, false);
      for (const n of ['one', 'two', 'three']) await rest.channels.get('news').publish('n', n);
      const client = s.realtime({ protocol });
      const channel = client.channels.get('news', { params: { rewind: '2' } });
      const got = new Collector<Ably.Message>();
      const change = await channel.subscribe(got.push);
      assert.equal(change?.hasBacklog, true);
      await got.count(2);
      await channel.publish('n', 'live');
      await got.count(3);
      assert.deepEqual(
        got.items.map((m) => m.data),
        ['two', 'three', 'live'],
      );
      await channel.detach();
      const again = new Collector<Ably.Message>();
      channel.unsubscribe();
      await channel.subscribe(again.push);
      await again.count(2);
      assert.deepEqual(
        again.items.map((m) => m.data),
        ['three', 'live'],
      );
    });

    test(`an ATTACH_RESUME re-attach does not replay the rewind backlog again (${protocol})`, async (t) => {
      const s = await startServer(t);
      await s.rest({ protocol }).channels.get('again').publish('n', 'old');
      const raw = await RawClient.open(t, s.port, protocol);
      raw.send({ action: Action.ATTACH, channel: 'again', params: { rewind: '1' }, flags: Flag.ATTACH_RESUME });
      const attached = await raw.next(Action.ATTACHED, (f) => f.channel === 'again');
      assert.equal(((attached.flags as number) & Flag.HAS_BACKLOG) !== 0, false);
      // Live traffic still flows, and it is the first MESSAGE this client sees: the old one was not replayed.
      await s.rest({ protocol }).channels.get('again').publish('n', 'new');
      const first = await raw.next(Action.MESSAGE, (f) => f.channel === 'again');
      assert.equal((first.messages as Array<{ data: string }>)[0]?.data, 'new');
    });

    test(`rewind by duration replays what is recent; a bad rewind fails the attach with 40003 (${protocol})`, async (t) => {
      const s = await startServer(t);
      await s.rest({ protocol }).channels.get('recent').publish('n', 'kept');
      const client = s.realtime({ protocol });
      const got = new Collector<Ably.Message>();
      await client.channels.get('recent', { params: { rewind: '30s' } }).subscribe(got.push);
      assert.deepEqual(
        (await got.count(1)).map((m) => m.data),
        ['kept'],
      );
      const bad = client.channels.get('recent-bad', { params: { rewind: 'lots' } });
      await assert.rejects(bad.attach(), (err: Ably.ErrorInfo) => err.code === 40003);
      assert.equal(client.connection.state, 'connected');
    });
  }
});
