import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as Ably from 'ably';
import { Collector, OTHER_APP_KEY, PROTOCOLS, startServer, TEST_KEY } from '../helpers/server.ts';

const LIMITED_KEY = 'testapp.limited:limited-secret';
const KEYS = [
  { key: TEST_KEY },
  { key: OTHER_APP_KEY },
  {
    key: LIMITED_KEY,
    // open:* everything; read:* only subscribe + history; pres:* only presence.
    capability: { 'open:*': ['*'], 'read:*': ['history', 'subscribe'], 'pres:*': ['presence'] },
  },
];

const failedWith = (channel: Ably.RealtimeChannel) =>
  new Promise<number | undefined>((resolve) => channel.once('failed', (change) => resolve(change.reason?.code)));

for (const protocol of PROTOCOLS) {
  describe(`capabilities (${protocol})`, () => {
    it('attach: allowed channels attach with the permitted modes only; a forbidden one fails alone with 40160', async (t) => {
      const s = await startServer(t, { keys: KEYS });
      const client = s.realtime({ protocol, key: LIMITED_KEY, clientId: 'lim' });
      const open = client.channels.get('open:a');
      const read = client.channels.get('read:a');
      const pres = client.channels.get('pres:a');
      await Promise.all([open.attach(), read.attach(), pres.attach()]);
      assert.deepEqual([...open.modes].sort(), ['annotation_publish', 'presence', 'presence_subscribe', 'publish', 'subscribe']);
      assert.deepEqual([...read.modes].sort(), ['presence_subscribe', 'subscribe']);
      assert.deepEqual([...pres.modes].sort(), ['presence']);
      const secret = client.channels.get('secret');
      const failed = failedWith(secret);
      await assert.rejects(secret.attach(), { code: 40160 });
      assert.equal(await failed, 40160);
      assert.equal(client.connection.state, 'connected');
      assert.equal(open.state, 'attached');
    });

    it('publish: allowed on open:*, NACKed with 40160 on read:* while the channel stays attached', async (t) => {
      const s = await startServer(t, { keys: KEYS });
      const client = s.realtime({ protocol, key: LIMITED_KEY });
      await client.channels.get('open:a').publish('n', 'ok');
      const read = client.channels.get('read:a');
      await read.attach();
      await assert.rejects(read.publish('n', 'no'), { code: 40160 });
      assert.equal(read.state, 'attached');
    });

    it('presence enter: allowed on pres:*, NACKed with 40160 on read:*', async (t) => {
      const s = await startServer(t, { keys: KEYS });
      const client = s.realtime({ protocol, key: LIMITED_KEY, clientId: 'lim' });
      await client.channels.get('pres:a').presence.enter();
      await assert.rejects(client.channels.get('read:a').presence.enter(), { code: 40160 });
      const members = await s.rest().channels.get('pres:a').presence.get();
      assert.deepEqual(
        members.items.map((m) => m.clientId),
        ['lim'],
      );
    });

    it('presence subscribe and message subscribe: delivered with subscribe, withheld without it', async (t) => {
      const s = await startServer(t, { keys: KEYS });
      const limited = s.realtime({ protocol, key: LIMITED_KEY, clientId: 'lim' });
      const full = s.realtime({ protocol, clientId: 'full' });
      const onRead = new Collector<string>();
      const onPres = new Collector<string>();
      const read = limited.channels.get('read:a');
      const pres = limited.channels.get('pres:b');
      await read.subscribe((m) => onRead.push(`msg:${m.data}`));
      await read.presence.subscribe((m) => onRead.push(`presence:${m.action}`));
      await pres.attach();
      pres.subscribe((m) => onPres.push(`msg:${m.data}`));
      pres.presence.subscribe((m) => onPres.push(`presence:${m.action}:${m.clientId}`));
      // pres:b: only the limited client's own presence comes back (RTP17a); others' and messages do not.
      await full.channels.get('pres:b').presence.enter();
      await full.channels.get('pres:b').publish('n', 'hidden');
      await full.channels.get('read:a').presence.enter();
      await full.channels.get('read:a').publish('n', 'shown');
      await pres.presence.enter();
      // The full client's traffic was fanned out before its ACKs, so anything delivered on pres:b would have
      // arrived before the limited client's own enter echo.
      await onPres.until((items) => items.includes('presence:enter:lim'));
      await onRead.until((items) => items.includes('msg:shown'));
      assert.deepEqual(onRead.items, ['presence:enter', 'msg:shown']);
      assert.deepEqual(onPres.items, ['presence:enter:lim']);
    });

    it('history and REST reads: allowed with history/subscribe, 401 40160 without', async (t) => {
      const s = await startServer(t, { keys: KEYS });
      const rest = s.rest({ protocol, key: LIMITED_KEY });
      await rest.channels.get('open:a').publish('n', 'd');
      assert.equal((await rest.channels.get('read:a').history()).items.length, 0);
      assert.equal((await rest.channels.get('read:a').presence.history()).items.length, 0);
      assert.equal((await rest.channels.get('read:a').presence.get()).items.length, 0);
      await assert.rejects(rest.channels.get('pres:a').history(), { code: 40160, statusCode: 401 });
      await assert.rejects(rest.channels.get('pres:a').presence.history(), { code: 40160 });
      await assert.rejects(rest.channels.get('pres:a').presence.get(), { code: 40160 });
      await assert.rejects(rest.channels.get('read:a').publish('n', 'd'), { code: 40160 });
      // Realtime channel.history() goes over REST with the same credentials.
      const realtime = s.realtime({ protocol, key: LIMITED_KEY });
      assert.equal((await realtime.channels.get('open:a').history()).items.length, 1);
      await assert.rejects(realtime.channels.get('pres:a').history(), { code: 40160 });
    });
  });
}
