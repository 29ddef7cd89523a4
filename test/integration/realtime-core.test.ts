import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { Collector, connectionState, OTHER_APP_KEY, PROTOCOLS, startServer } from '../helpers/server.ts';

/** The SDK keeps the CONNECTED connectionDetails on its connection manager. */
const connectionDetails = (client: Ably.Realtime): Record<string, unknown> =>
  (client.connection as unknown as { connectionManager: { connectionDetails: Record<string, unknown> } }).connectionManager
    .connectionDetails;

for (const protocol of PROTOCOLS) {
  describe(`realtime core (${protocol})`, () => {
    test('connects with an id, key and connectionDetails; close reaches CLOSED and frees the server state', async (t) => {
      const s = await startServer(t);
      const client = s.realtime({ protocol, clientId: 'user-1' });
      await connectionState(client, 'connected');
      const id = client.connection.id as string;
      assert.ok(id);
      assert.ok(client.connection.key?.startsWith(`${id}!`));
      assert.equal(client.auth.clientId, 'user-1');
      const details = connectionDetails(client);
      assert.equal(details.maxMessageSize, 65536);
      assert.equal(details.connectionStateTtl, 120_000);
      assert.equal(details.maxIdleInterval, 15_000);
      assert.equal(details.clientId, 'user-1');
      assert.equal(details.serverId, s.server.config.serverId);
      assert.ok(s.server.node.connections.has(id));

      const disposed = once(s.server.node.events, 'disposed');
      client.close();
      await connectionState(client, 'closed');
      assert.deepEqual(await disposed, [id]);
      assert.equal(s.server.node.connections.has(id), false);
    });

    test('attach and detach several channels; ATTACHED carries the default or the requested modes', async (t) => {
      const s = await startServer(t);
      const client = s.realtime({ protocol });
      const a = client.channels.get('room-a');
      const b = client.channels.get('room-b', { modes: ['SUBSCRIBE', 'PRESENCE_SUBSCRIBE'] });
      await Promise.all([a.attach(), b.attach()]);
      assert.equal(a.state, 'attached');
      assert.equal(b.state, 'attached');
      assert.deepEqual([...a.modes].sort(), ['annotation_publish', 'presence', 'presence_subscribe', 'publish', 'subscribe']);
      assert.deepEqual([...b.modes].sort(), ['presence_subscribe', 'subscribe']);
      const conn = s.server.node.connections.get(client.connection.id as string);
      assert.deepEqual([...(conn?.attachments.keys() ?? [])].sort(), ['room-a', 'room-b']);

      await a.detach();
      assert.equal(a.state, 'detached');
      assert.equal(b.state, 'attached');
      assert.deepEqual([...(conn?.attachments.keys() ?? [])], ['room-b']);
      await a.attach();
      assert.equal(a.state, 'attached');
    });

    test('publish/subscribe between two clients: data preserved, id, connectionId, timestamp and serial stamped', async (t) => {
      const s = await startServer(t);
      const publisher = s.realtime({ protocol, clientId: 'pub' });
      const subscriber = s.realtime({ protocol });
      const received = new Collector<Ably.InboundMessage>();
      await subscriber.channels.get('chat').subscribe(received.push);
      const channel = publisher.channels.get('chat');
      await channel.attach();

      const before = Date.now();
      await channel.publish('greeting', { text: 'hello', n: 1 });
      await channel.publish({ name: 'plain', data: 'just text', extras: { headers: { trace: 'abc' } } });
      await received.count(2);
      const [first, second] = received.items as [Ably.InboundMessage, Ably.InboundMessage];
      assert.equal(first.name, 'greeting');
      assert.deepEqual(first.data, { text: 'hello', n: 1 });
      assert.equal(first.clientId, 'pub');
      assert.equal(first.connectionId, publisher.connection.id);
      assert.match(first.id, new RegExp(`^${publisher.connection.id}:\\d+:0$`));
      assert.ok(first.timestamp >= before - 1000 && first.timestamp <= Date.now() + 1000, `timestamp ${first.timestamp}`);
      assert.equal(typeof first.serial, 'string');
      assert.equal(second.name, 'plain');
      assert.equal(second.data, 'just text');
      assert.deepEqual(second.extras, { headers: { trace: 'abc' } });
      assert.notEqual(first.id, second.id);
      assert.notEqual(first.serial, second.serial);
    });

    test('echoMessages:false: the publisher does not get its own messages, others do', async (t) => {
      const s = await startServer(t);
      const quiet = s.realtime({ protocol, echoMessages: false });
      const other = s.realtime({ protocol });
      const ownEcho = new Collector<Ably.InboundMessage>();
      const elsewhere = new Collector<Ably.InboundMessage>();
      await quiet.channels.get('echo').subscribe(ownEcho.push);
      await other.channels.get('echo').subscribe(elsewhere.push);

      await quiet.channels.get('echo').publish('from-quiet', 'one');
      await other.channels.get('echo').publish('from-other', 'two');
      // Both messages reached `other`; the one after quiet's own is proof that quiet's would have arrived by now.
      await elsewhere.count(2);
      await ownEcho.count(1);
      assert.deepEqual(
        ownEcho.items.map((m) => m.name),
        ['from-other'],
      );
      assert.deepEqual(
        elsewhere.items.map((m) => m.name),
        ['from-quiet', 'from-other'],
      );
    });

    test('1,000 rapid publishes are all ACKed in order and delivered in order', async (t) => {
      // The default inbound rate limit (250/s, as Ably advertises) would NACK a burst this size; lift it here.
      const s = await startServer(t, { maxInboundRate: 100_000 });
      const publisher = s.realtime({ protocol });
      const subscriber = s.realtime({ protocol });
      const received = new Collector<Ably.InboundMessage>();
      await subscriber.channels.get('burst').subscribe(received.push);
      const channel = publisher.channels.get('burst');
      await channel.attach();

      const N = 1000;
      const acked: number[] = [];
      const publishes = Array.from({ length: N }, (_, i) => channel.publish('n', String(i)).then(() => acked.push(i)));
      await Promise.all(publishes);
      assert.deepEqual(
        acked,
        Array.from({ length: N }, (_, i) => i),
      );
      await received.count(N);
      assert.deepEqual(
        received.items.map((m) => m.data),
        Array.from({ length: N }, (_, i) => String(i)),
      );
      const serials = received.items.map((m) => m.serial as string);
      assert.equal(new Set(serials).size, N);
    });

    test('past the inbound rate limit every publish is still answered exactly once, in order', async (t) => {
      const s = await startServer(t, { maxInboundRate: 20 });
      const channel = s.realtime({ protocol }).channels.get('limited');
      await channel.attach();
      const outcomes: Array<[number, string]> = [];
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          channel.publish('n', String(i)).then(
            () => outcomes.push([i, 'ack']),
            (err: Ably.ErrorInfo) => outcomes.push([i, `nack ${err.code}`]),
          ),
        ),
      );
      assert.deepEqual(
        outcomes.map(([i]) => i),
        Array.from({ length: 60 }, (_, i) => i),
      );
      const kinds = new Set(outcomes.map(([, o]) => o));
      assert.ok(kinds.has('ack'), 'the burst allowance is ACKed');
      assert.ok(kinds.has('nack 42910'), 'the excess is NACKed with 42910');
      assert.deepEqual([...kinds].sort(), ['ack', 'nack 42910']);
    });

    test('apps are isolated: the same channel name under two apps never shares messages', async (t) => {
      const s = await startServer(t);
      const appA = s.realtime({ protocol });
      const appB = s.realtime({ protocol, key: OTHER_APP_KEY });
      const seenA = new Collector<Ably.InboundMessage>();
      const seenB = new Collector<Ably.InboundMessage>();
      await appA.channels.get('shared-name').subscribe(seenA.push);
      await appB.channels.get('shared-name').subscribe(seenB.push);

      await appA.channels.get('shared-name').publish('a', 'from A');
      await appB.channels.get('shared-name').publish('b', 'from B');
      await seenA.count(1);
      await seenB.count(1);
      // A last message on each side, so anything leaked from the other app would have arrived before it.
      await appA.channels.get('shared-name').publish('a-end', 'end');
      await appB.channels.get('shared-name').publish('b-end', 'end');
      await seenA.count(2);
      await seenB.count(2);
      assert.deepEqual(
        seenA.items.map((m) => m.name),
        ['a', 'a-end'],
      );
      assert.deepEqual(
        seenB.items.map((m) => m.name),
        ['b', 'b-end'],
      );
    });

    test('an invalid channel name fails that channel with 40010; the connection carries on', async (t) => {
      const s = await startServer(t);
      const client = s.realtime({ protocol });
      const bad = client.channels.get('bad\u0001name');
      await assert.rejects(bad.attach(), (err: Ably.ErrorInfo) => err.code === 40010);
      assert.equal(bad.state, 'failed');
      assert.equal(bad.errorReason?.code, 40010);
      const good = client.channels.get('good');
      await good.attach();
      await good.publish('still', 'works');
      assert.equal(client.connection.state, 'connected');
    });

    test('a message over the server maxMessageSize is refused by the SDK with 40009 (from CONNECTED)', async (t) => {
      const s = await startServer(t, { maxMessageSize: 1024 });
      const client = s.realtime({ protocol });
      await connectionState(client, 'connected');
      assert.equal(connectionDetails(client).maxMessageSize, 1024);
      const channel = client.channels.get('sized');
      await channel.attach();
      await assert.rejects(channel.publish('big', 'x'.repeat(2000)), (err: Ably.ErrorInfo) => err.code === 40009);
      await channel.publish('small', 'x'.repeat(500));
    });
  });
}

describe('binary data across formats', () => {
  for (const [from, to] of [
    ['msgpack', 'json'],
    ['json', 'msgpack'],
    ['json', 'json'],
    ['msgpack', 'msgpack'],
  ] as const) {
    test(`${from} publisher → ${to} subscriber receives the same bytes`, async (t) => {
      const s = await startServer(t);
      const publisher = s.realtime({ protocol: from });
      const subscriber = s.realtime({ protocol: to });
      const received = new Collector<Ably.InboundMessage>();
      await subscriber.channels.get('bin').subscribe(received.push);
      const bytes = Buffer.from([0, 1, 2, 127, 128, 254, 255]);
      await publisher.channels.get('bin').publish('blob', bytes);
      await publisher.channels.get('bin').publish('text', 'AAEC'); // base64-looking text must stay text
      await received.count(2);
      const [blob, text] = received.items as [Ably.InboundMessage, Ably.InboundMessage];
      // Node SDKs hand binary data over as a Buffer, whichever format carried it.
      assert.ok(Buffer.isBuffer(blob.data), `binary, got ${typeof blob.data}`);
      assert.deepEqual(blob.data, bytes);
      assert.equal(blob.encoding ?? null, null);
      assert.equal(text.data, 'AAEC');
    });
  }
});
