import assert from 'node:assert/strict';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { Packr, Unpackr } from 'msgpackr';
import { spawnPresenceClient } from '../helpers/child.ts';
import { Collector, connectionState, PROTOCOLS, startServer, TEST_KEY } from '../helpers/server.ts';

/** The SDK's active transport (internal API, as ably-js's own tests read it). */
// biome-ignore lint/suspicious/noExplicitAny: the connection manager is not part of the SDK's typings.
const manager = (client: Ably.Realtime): any => (client.connection as any).connectionManager;
const transportName = (client: Ably.Realtime): string | undefined => manager(client).activeProtocol?.getTransport()?.shortName;

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ mapsAsObjects: true, int64AsType: 'number', useRecords: false });

/** The connection states the client goes through from now on. */
function stateChanges(client: Ably.Realtime): Collector<string> {
  const states = new Collector<string>();
  client.connection.on((change) => states.push(change.current));
  return states;
}

type Frame = Record<string, unknown> & { action: number };

/** A comet client by hand, for what the SDK never sends and for the wire as it is. */
async function rawConnect(port: number, format: 'json' | 'msgpack' = 'json') {
  const query = new URLSearchParams({ key: TEST_KEY, format, v: '6', clientId: 'raw' });
  const res = await fetch(`http://127.0.0.1:${port}/comet/connect?${query}`);
  assert.equal(res.status, 200);
  const body = Buffer.from(await res.arrayBuffer());
  const frames = (format === 'msgpack' ? unpackr.unpack(body) : JSON.parse(body.toString())) as Frame[];
  const connected = frames[0] as Frame & { connectionDetails: { connectionKey: string } };
  assert.equal(connected.action, 4, 'CONNECTED');
  return { key: connected.connectionDetails.connectionKey, frames, base: `http://127.0.0.1:${port}/comet/` };
}

for (const protocol of PROTOCOLS) {
  describe(`comet transport, SDK with useBinaryProtocol ${protocol === 'msgpack'}`, () => {
    test('connect, attach, presence and publish both ways with a WebSocket client', async (t) => {
      const s = await startServer(t);
      const comet = s.realtime({ protocol, clientId: 'poller', transports: ['comet'] });
      const ws = s.realtime({ protocol, clientId: 'socket', transports: ['web_socket'] });
      await connectionState(comet, 'connected');
      await connectionState(ws, 'connected');
      assert.equal(transportName(comet), 'comet');
      assert.equal(transportName(ws), 'web_socket');

      const wsChannel = ws.channels.get('room');
      const presence = new Collector<Ably.PresenceMessage>();
      await wsChannel.presence.subscribe(presence.push);
      const atWs = new Collector<Ably.Message>();
      await wsChannel.subscribe(atWs.push);
      const cometChannel = comet.channels.get('room');
      const atComet = new Collector<Ably.Message>();
      await cometChannel.subscribe(atComet.push);

      await cometChannel.presence.enter({ via: 'comet' });
      const [enter] = await presence.count(1);
      assert.equal(enter?.action, 'enter');
      assert.equal(enter?.clientId, 'poller');
      assert.deepEqual(enter?.data, { via: 'comet' });

      await cometChannel.publish('from-comet', { n: 1 });
      await wsChannel.publish('from-ws', 'hello');
      const fromComet = (await atWs.until((ms) => ms.some((m) => m.name === 'from-comet'))).find((m) => m.name === 'from-comet');
      assert.deepEqual(fromComet?.data, { n: 1 });
      assert.equal(fromComet?.connectionId, comet.connection.id);
      const fromWs = (await atComet.until((ms) => ms.some((m) => m.name === 'from-ws'))).find((m) => m.name === 'from-ws');
      assert.equal(fromWs?.data, 'hello');
      // The comet client's own members query goes through the same long-poll.
      assert.deepEqual((await cometChannel.presence.get()).map((m) => m.clientId).sort(), ['poller']);

      await cometChannel.presence.leave();
      const [, leave] = await presence.count(2);
      assert.equal(leave?.action, 'leave');
      assert.equal(leave?.clientId, 'poller');
    });

    test('a transport dropped by the client resumes with the same connectionId and keeps its member', async (t) => {
      const s = await startServer(t);
      const comet = s.realtime({ protocol, clientId: 'poller', transports: ['comet'] });
      const ws = s.realtime({ protocol, clientId: 'socket' });
      const wsChannel = ws.channels.get('room');
      const leaves = new Collector<Ably.PresenceMessage>();
      await wsChannel.presence.subscribe('leave', leaves.push);
      const cometChannel = comet.channels.get('room');
      await cometChannel.presence.enter('here');
      const connectionId = comet.connection.id;

      const states = stateChanges(comet);
      const lost = once(s.server.node.events, 'transport-lost');
      manager(comet).disconnectAllTransports();
      assert.deepEqual(await lost, [connectionId], 'the /disconnect request dropped the transport on the server');
      await states.until((cs) => cs.includes('connected'));
      assert.equal(states.items[0], 'disconnected');
      assert.equal(comet.connection.id, connectionId);
      assert.equal(transportName(comet), 'comet');

      const received = new Collector<Ably.Message>();
      await cometChannel.subscribe(received.push);
      await wsChannel.publish('after-resume', 'data');
      await received.count(1);
      assert.equal(leaves.items.length, 0, 'the member left across a resume');
      assert.deepEqual(
        (await wsChannel.presence.get()).map((m) => m.connectionId),
        [connectionId],
      );
    });

    test('a transport the server drops is resumed by the SDK with the same connectionId', async (t) => {
      const s = await startServer(t);
      const comet = s.realtime({ protocol, clientId: 'poller', transports: ['comet'] });
      await connectionState(comet, 'connected');
      const connectionId = comet.connection.id as string;
      const conn = s.server.node.connections.get(connectionId);
      const states = stateChanges(comet);
      const lost = once(s.server.node.events, 'transport-lost');
      conn?.transport?.terminate();
      await lost;
      await states.until((cs) => cs.includes('connected'));
      assert.equal(states.items[0], 'disconnected');
      assert.equal(comet.connection.id, connectionId);
    });

    test('close ends the connection at once: the member leaves without waiting for remainPresentFor', async (t) => {
      const s = await startServer(t);
      const ws = s.realtime({ protocol, clientId: 'socket' });
      const leaves = new Collector<Ably.PresenceMessage>();
      await ws.channels.get('room').presence.subscribe('leave', leaves.push);
      const comet = s.realtime({
        protocol,
        clientId: 'poller',
        transports: ['comet'],
        transportParams: { remainPresentFor: 60_000 },
      });
      await comet.channels.get('room').presence.enter();
      comet.close();
      const [leave] = await leaves.count(1);
      assert.equal(leave?.clientId, 'poller');
    });

    test('a client that stops polling is declared gone and leaves after remainPresentFor', async (t) => {
      const heartbeatInterval = 500;
      const heartbeatMargin = 300;
      const remainPresentFor = 1000;
      const s = await startServer(t, { minHeartbeatInterval: 100, heartbeatMargin });
      const ws = s.realtime({ protocol, clientId: 'agent' });
      const leaves = new Collector<Ably.PresenceMessage>();
      await ws.channels.get('session').presence.subscribe('leave', leaves.push);
      const device = await spawnPresenceClient(t, {
        port: s.port,
        key: TEST_KEY,
        protocol,
        channel: 'session',
        clientId: 'user-polling',
        data: 'laptop',
        transports: ['comet'],
        transportParams: { remainPresentFor, heartbeatInterval },
      });
      const lost = once(s.server.node.events, 'transport-lost');
      device.process.kill('SIGSTOP');
      const frozenAt = performance.now();
      assert.deepEqual(await lost, [device.connectionId]);
      const [leave] = await leaves.count(1);
      const elapsed = performance.now() - frozenAt;
      assert.equal(leave?.clientId, 'user-polling');
      assert.equal(leave?.connectionId, device.connectionId);
      assert.equal(leave?.data, 'laptop');
      assert.ok(elapsed >= remainPresentFor, `left after ${elapsed} ms: sooner than remainPresentFor`);
      const bound = heartbeatInterval + heartbeatMargin + remainPresentFor;
      assert.ok(elapsed < bound + 1000, `left after ${elapsed} ms; bound is ${bound} ms`);
    });
  });
}

describe('comet wire', () => {
  test('an idle recv is answered with an empty array after cometPollTimeout', async (t) => {
    const s = await startServer(t, { cometPollTimeout: 200 });
    const { key, base } = await rawConnect(s.port);
    const res = await fetch(`${base}${key}/recv`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), []);
  });

  test('a held recv is answered as soon as frames are queued', async (t) => {
    const s = await startServer(t, { cometPollTimeout: 60_000 });
    const { key, base } = await rawConnect(s.port);
    const recv = fetch(`${base}${key}/recv`);
    const send = await fetch(`${base}${key}/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ action: 10, channel: 'room' }]),
    });
    assert.equal(send.status, 204);
    const frames = (await (await recv).json()) as Frame[];
    assert.deepEqual(
      frames.map((f) => [f.action, f.channel]),
      [[11, 'room']],
      'ATTACHED',
    );
  });

  test('format=msgpack: bodies are msgpack arrays both ways', async (t) => {
    const s = await startServer(t, { cometPollTimeout: 60_000 });
    const { key, base, frames } = await rawConnect(s.port, 'msgpack');
    assert.equal(frames.length, 1);
    const recv = fetch(`${base}${key}/recv`);
    const send = await fetch(`${base}${key}/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-msgpack' },
      body: new Uint8Array(packr.pack([{ action: 10, channel: 'room' }])),
    });
    assert.equal(send.status, 204);
    const res = await recv;
    assert.equal(res.headers.get('content-type'), 'application/x-msgpack');
    const attached = unpackr.unpack(Buffer.from(await res.arrayBuffer())) as Frame[];
    assert.deepEqual(
      attached.map((f) => f.action),
      [11],
    );
  });

  test('bad credentials: the connect request answers with an ERROR message', async (t) => {
    const s = await startServer(t);
    const res = await fetch(`http://127.0.0.1:${s.port}/comet/connect?key=testapp.key1:wrong&format=json`);
    const frames = (await res.json()) as Array<Frame & { error: { code: number } }>;
    assert.equal(frames[0]?.action, 9, 'ERROR');
    assert.equal(frames[0]?.error.code, 40101);
  });

  test('an unknown or superseded connection key is 404 with 80016, so the SDK resumes rather than fails', async (t) => {
    const s = await startServer(t);
    for (const path of ['nope!nope/recv', 'nope/send', 'recv']) {
      const res = await fetch(`http://127.0.0.1:${s.port}/comet/${path}`, { method: path.endsWith('send') ? 'POST' : 'GET' });
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as { error: { code: number } }).error.code, 80016, path);
    }
    const { key, base } = await rawConnect(s.port);
    const disconnect = await fetch(`${base}${key}/disconnect`);
    assert.equal(disconnect.status, 204);
    const after = await fetch(`${base}${key}/recv`);
    assert.equal(after.status, 404);
    assert.equal(((await after.json()) as { error: { code: number } }).error.code, 80016);
  });

  test('bad send bodies are refused with the right code and leave the connection usable', async (t) => {
    const s = await startServer(t, { maxFrameSize: 1024, maxMessageSize: 1024, cometPollTimeout: 60_000 });
    const { key, base } = await rawConnect(s.port);
    const post = (body: string) =>
      fetch(`${base}${key}/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const oversize = await post(JSON.stringify([{ action: 10, channel: 'x'.repeat(5000) }]));
    assert.equal(oversize.status, 400);
    assert.equal(((await oversize.json()) as { error: { code: number } }).error.code, 40009);
    const garbage = await post('{"not":"an array"}');
    assert.equal(garbage.status, 400);
    assert.equal(((await garbage.json()) as { error: { code: number } }).error.code, 40000);
    const unknownOp = await fetch(`${base}${key}/other`);
    assert.equal(unknownOp.status, 404);
    assert.equal(((await unknownOp.json()) as { error: { code: number } }).error.code, 40400);
    const recv = fetch(`${base}${key}/recv`);
    assert.equal((await post(JSON.stringify([{ action: 10, channel: 'ok' }]))).status, 204);
    assert.deepEqual(
      ((await (await recv).json()) as Frame[]).map((f) => f.action),
      [11],
    );
  });
});
