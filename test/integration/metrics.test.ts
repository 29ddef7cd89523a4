import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import WebSocket from 'ws';
import { Action } from '../../src/protocol/index.ts';
import { basicAuth, Scrape, scrape } from '../helpers/metrics.ts';
import { Collector, connectionState, PROTOCOLS, startServer, TEST_KEY } from '../helpers/server.ts';
import { connectionManager, dropTransport, reconnected } from '../helpers/transport.ts';

const has = (action: string, clientId: string) => (items: Ably.PresenceMessage[]) =>
  items.some((m) => m.action === action && m.clientId === clientId);

for (const protocol of PROTOCOLS) {
  describe(`metrics: counts from real SDK clients (${protocol})`, () => {
    test('connect, presence enter/update/leave, publish and a late SYNC move the counters exactly', async (t) => {
      const s = await startServer(t, { syncPageSize: 1 });
      const alice = s.realtime({ protocol, clientId: 'alice' });
      const bob = s.realtime({ protocol, clientId: 'bob' });
      const room = alice.channels.get('room');
      const bobRoom = bob.channels.get('room');
      const seen = new Collector<Ably.PresenceMessage>();
      const messages = new Collector<Ably.Message>();
      await bobRoom.presence.subscribe(seen.push);
      await bobRoom.subscribe(messages.push);

      await room.presence.enter('a');
      await room.presence.update('b');
      await bobRoom.presence.enter('x');
      for (let i = 0; i < 3; i++) await room.publish('n', `m${i}`);
      await messages.count(3);
      await seen.until((items) => has('enter', 'alice')(items) && has('update', 'alice')(items) && has('enter', 'bob')(items));
      // A late joiner's presence.get() attaches and waits for the SYNC: 2 members, one per page.
      const carol = s.realtime({ protocol, clientId: 'carol' });
      assert.equal((await carol.channels.get('room').presence.get()).length, 2);
      await room.presence.leave();
      await seen.until(has('leave', 'alice'));

      const m = await scrape(s.port);
      assert.equal(m.get('rollcall_connections_opened_total'), 3);
      assert.equal(m.get('rollcall_connections', { state: 'connected' }), 3);
      assert.equal(m.get('rollcall_connections', { state: 'disconnected' }), 0);
      assert.equal(m.get('rollcall_channels_active'), 1);
      assert.equal(m.get('rollcall_presence_members'), 1, 'bob is still present');
      assert.equal(m.get('rollcall_presence_events_total', { action: 'enter' }), 2);
      assert.equal(m.get('rollcall_presence_events_total', { action: 'update' }), 1);
      assert.equal(m.get('rollcall_presence_events_total', { action: 'leave' }), 1);
      assert.equal(m.get('rollcall_messages_received_total', { action: 'attach' }), 3);
      assert.equal(m.get('rollcall_messages_received_total', { action: 'presence' }), 4);
      assert.equal(m.get('rollcall_messages_received_total', { action: 'message' }), 3);
      // Alice's 3 enter/update/leave and 3 publishes, bob's enter.
      assert.equal(m.get('rollcall_acks_total'), 7);
      assert.equal(m.get('rollcall_messages_sent_total', { action: 'ack' }), 7);
      assert.deepEqual(m.series('rollcall_nacks_total'), []);
      assert.equal(m.get('rollcall_messages_sent_total', { action: 'connected' }), 3);
      assert.equal(m.get('rollcall_messages_sent_total', { action: 'attached' }), 3);
      // Each publish reaches alice (echo) and bob; carol attached afterwards.
      assert.equal(m.get('rollcall_messages_sent_total', { action: 'message' }), 6);
      // enter/update/enter to alice and bob, the leave also to carol.
      assert.equal(m.get('rollcall_messages_sent_total', { action: 'presence' }), 9);
      assert.equal(m.get('rollcall_sync_pages_sent_total'), 2);
      assert.equal(m.get('rollcall_messages_sent_total', { action: 'sync' }), 2);
      assert.ok(m.get('rollcall_received_bytes_total') > 0);
      assert.ok(m.get('rollcall_sent_bytes_total') > m.get('rollcall_received_bytes_total'));
      assert.equal(m.get('rollcall_resumes_total', { result: 'success' }), 0);
      assert.equal(m.get('rollcall_rate_limited_total'), 0);
    });

    test('a NACK and rate-limited publishes are counted by error code, matching what the SDK saw', async (t) => {
      const listener = 'testapp.listen:listen-secret';
      const s = await startServer(t, {
        maxInboundRate: 10,
        keys: [{ key: TEST_KEY }, { key: listener, capability: { '*': ['subscribe'] } }],
      });
      // A key that may only subscribe: its publish is NACKed by the server with 40160.
      const reader = s.realtime({ protocol, key: listener });
      await assert.rejects(reader.channels.get('room').publish('n', 'x'), { code: 40160 });
      const alice = s.realtime({ protocol, clientId: 'alice' });
      const room = alice.channels.get('room');
      await room.attach();

      // A burst well past the bucket (10 per second, burst 10): part of it is refused with 42910.
      const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => room.publish('burst', `b${i}`)));
      const refused = results.filter((r) => r.status === 'rejected' && (r.reason as Ably.ErrorInfo).code === 42910).length;
      const accepted = results.filter((r) => r.status === 'fulfilled').length;
      assert.ok(refused > 0, 'the burst hit the rate limit');
      assert.equal(refused + accepted, 40, 'every publish was either accepted or refused with 42910');

      const m = await scrape(s.port);
      assert.equal(m.get('rollcall_nacks_total', { code: '40160' }), 1);
      assert.equal(m.get('rollcall_nacks_total', { code: '42910' }), refused);
      assert.equal(m.get('rollcall_rate_limited_total'), refused);
      assert.equal(m.get('rollcall_acks_total'), accepted);
      assert.equal(m.get('rollcall_messages_sent_total', { action: 'nack' }), refused + 1);
      assert.equal(m.get('rollcall_messages_received_total', { action: 'message' }), 41);
    });
  });
}

describe('metrics: connection lifecycle', () => {
  test('resume after a dropped socket, a failed resume, a grace-period leave, expiry and CLOSE', async (t) => {
    const s = await startServer(t, { connectionStateTtl: 1000, remainPresentFor: 1000 });
    const node = s.server.node;
    const disposed = new Collector<string>();
    node.events.on('disposed', disposed.push);
    const watcher = s.realtime({ clientId: 'watcher' });
    const seen = new Collector<Ably.PresenceMessage>();
    await watcher.channels.get('room').presence.subscribe(seen.push);
    const alice = s.realtime({ clientId: 'alice' });
    const room = alice.channels.get('room');
    await room.presence.enter('here');

    // 1. The socket drops; the SDK resumes the same connection.
    let back = reconnected(alice);
    const firstId = alice.connection.id;
    dropTransport(s, alice);
    await back;
    assert.equal(alice.connection.id, firstId);
    let m = await scrape(s.port);
    assert.equal(m.get('rollcall_transports_lost_total'), 1);
    assert.equal(m.get('rollcall_resumes_total', { result: 'success' }), 1);
    assert.equal(m.get('rollcall_resumes_total', { result: 'failure' }), 0);
    assert.equal(m.get('rollcall_connections_opened_total'), 2, 'a resume is not a new connection');

    // 2. A resume the server cannot honour: a new connection; the old one's member leaves after its grace period
    // and the old connection expires after connectionStateTtl.
    back = reconnected(alice);
    connectionManager(alice).connectionKey = 'bogus!not-a-key-we-issued';
    dropTransport(s, alice);
    await back;
    assert.notEqual(alice.connection.id, firstId);
    await seen.until((items) => items.some((p) => p.action === 'leave' && p.connectionId === firstId));
    await disposed.until((ids) => ids.includes(firstId as string));
    m = await scrape(s.port);
    assert.equal(m.get('rollcall_resumes_total', { result: 'failure' }), 1);
    assert.equal(m.get('rollcall_transports_lost_total'), 2);
    assert.equal(m.get('rollcall_grace_period_leaves_total'), 1);
    assert.equal(m.get('rollcall_connections_closed_total', { reason: 'expired' }), 1);
    assert.equal(m.get('rollcall_connections_opened_total'), 3);

    // 3. A client CLOSE frees the state at once.
    const watcherId = watcher.connection.id as string;
    watcher.close();
    await connectionState(watcher, 'closed');
    await disposed.until((ids) => ids.includes(watcherId));
    m = await scrape(s.port);
    assert.equal(m.get('rollcall_connections_closed_total', { reason: 'closed' }), 1);
    assert.equal(m.get('rollcall_connections', { state: 'connected' }), 1);
    assert.equal(m.get('rollcall_connections', { state: 'disconnected' }), 0);
    assert.equal(m.get('rollcall_presence_members'), 1, "alice's re-entry from her new connection");
  });

  test('bytes in and out are the exact WebSocket frame sizes; an undecodable frame fails the connection', async (t) => {
    const s = await startServer(t);
    const socket = new WebSocket(`ws://127.0.0.1:${s.port}/?key=${encodeURIComponent(TEST_KEY)}&format=json&v=6`);
    t.after(() => socket.terminate());
    const frames = new Collector<{ action: number; bytes: number }>();
    socket.on('message', (data: Buffer) => frames.push({ action: JSON.parse(data.toString()).action, bytes: data.length }));
    await frames.count(1);
    const attach = JSON.stringify({ action: Action.ATTACH, channel: 'bytes-é' });
    socket.send(attach);
    await frames.until((f) => f.some((x) => x.action === Action.ATTACHED));

    let m = await scrape(s.port);
    assert.equal(m.get('rollcall_received_bytes_total'), Buffer.byteLength(attach));
    assert.equal(
      m.get('rollcall_sent_bytes_total'),
      frames.items.reduce((n, f) => n + f.bytes, 0),
    );
    assert.equal(m.get('rollcall_messages_sent_total', { action: 'attached' }), 1);

    const closed = once(socket, 'close');
    socket.send('{not json');
    await closed;
    m = await scrape(s.port);
    assert.equal(m.get('rollcall_received_bytes_total'), Buffer.byteLength(attach) + '{not json'.length);
    assert.equal(m.get('rollcall_connections_closed_total', { reason: 'failed' }), 1);
    assert.equal(m.get('rollcall_messages_sent_total', { action: 'error' }), 1);
  });

  test('refused connections are counted by error code', async (t) => {
    const s = await startServer(t);
    const wrong = s.realtime({ key: 'testapp.key1:wrong-secret' });
    await assert.rejects(connectionState(wrong, 'connected'));
    const m = await scrape(s.port);
    assert.equal(m.get('rollcall_connections_refused_total', { code: '40101' }), 1);
    assert.equal(m.get('rollcall_connections_opened_total'), 0);
  });
});

describe('metrics: access', () => {
  const token = 'prometheus-scrape-token-0123456789';
  const get = (port: number, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${port}/metrics`, { headers });

  test('401 without credentials, 200 with an API key or the metricsToken, 401 with an Ably token', async (t) => {
    const s = await startServer(t, { metricsToken: token });
    const none = await get(s.port);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { error: { code: number } }).error.code, 40106);
    assert.equal((await get(s.port, { authorization: basicAuth('testapp.key1:wrong') })).status, 401);
    assert.equal((await get(s.port, { authorization: `Bearer ${token}x` })).status, 401);

    const withKey = await get(s.port, { authorization: basicAuth() });
    assert.equal(withKey.status, 200);
    assert.ok(new Scrape(await withKey.text()).get('rollcall_connections_opened_total') >= 0);
    const withToken = await get(s.port, { authorization: `Bearer ${token}` });
    assert.equal(withToken.status, 200);
    const scraped = new Scrape(await withToken.text());
    assert.equal(scraped.types.get('rollcall_acks_total'), 'counter');
    assert.equal(scraped.types.get('nodejs_eventloop_lag_seconds'), 'gauge');
    assert.equal(scraped.types.get('process_cpu_seconds_total'), 'counter');
    assert.ok(scraped.get('process_resident_memory_bytes') > 0);
    assert.ok(scraped.get('nodejs_heap_size_used_bytes') > 0);
    // Left out on purpose: observing every garbage collection costs CPU on the hot path.
    assert.equal(scraped.types.get('nodejs_gc_duration_seconds'), undefined);

    // A valid Ably token (as handed to browsers) does not open the metrics, which cover every app.
    const details = await s.rest().auth.requestToken();
    const bearer = `Bearer ${Buffer.from(details.token).toString('base64')}`;
    const withAblyToken = await get(s.port, { authorization: bearer });
    assert.equal(withAblyToken.status, 401);
    assert.equal(((await withAblyToken.json()) as { error: { code: number } }).error.code, 40100);
  });

  test('metrics: false answers 404 even with a key', async (t) => {
    const s = await startServer(t, { metrics: false });
    assert.equal(s.server.metrics, undefined);
    const res = await get(s.port, { authorization: basicAuth() });
    assert.equal(res.status, 404);
    // The server itself works as before.
    const client = s.realtime({ clientId: 'x' });
    await client.channels.get('room').presence.enter();
  });
});
