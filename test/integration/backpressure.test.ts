import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import type * as Ably from 'ably';
import { Action } from '../../src/protocol/index.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { Collector, startServer } from '../helpers/server.ts';

test('a subscriber that stops reading is dropped past maxOutboundBuffer; others get every message', async (t) => {
  const s = await startServer(t, { maxOutboundBuffer: 256 * 1024 });
  const stalled = await RawClient.open(t, s.port, 'msgpack', { clientId: 'stalled' });
  const stalledId = (await stalled.next(Action.CONNECTED)).connectionId as string;
  stalled.send({ action: Action.ATTACH, channel: 'firehose' });
  await stalled.next(Action.ATTACHED);
  // Stop reading: the kernel buffers fill, then the server's own send buffer grows.
  (stalled.socket as unknown as { _socket: Socket })._socket.pause();

  const lost = new Collector<string>();
  s.server.node.events.on('transport-lost', lost.push);
  const healthy = s.realtime({ clientId: 'healthy' });
  const received = new Collector<Ably.Message>();
  await healthy.channels.get('firehose').subscribe(received.push);
  const publisher = s.realtime({ clientId: 'publisher' });
  const channel = publisher.channels.get('firehose');
  const payload = 'x'.repeat(60_000);
  const total = 200;
  for (let i = 0; i < total; i++) await channel.publish('chunk', payload);

  await lost.until((ids) => ids.includes(stalledId));
  await received.count(total);
  assert.equal(received.items.length, total);
  const conn = s.server.node.connections.get(stalledId);
  assert.equal(conn?.state, 'disconnected', 'the stalled client keeps its state for resume');
});
