import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { resolveConfig } from '../../src/config/index.ts';
import type { GraceEntry } from '../../src/dashboard/grace-tracker.ts';
import type { NodeStatus } from '../../src/dashboard/node-status.ts';
import { Action } from '../../src/protocol/index.ts';
import { bearer, dashboardLogin, latest, loginWithKey, openStream } from '../helpers/dashboard.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { OTHER_APP_KEY, startServer, TEST_KEY } from '../helpers/server.ts';

interface ChannelsEvent {
  upsert: Array<{ name: string; connections: number; members: number; users: number }>;
  remove: string[];
}

const get = (port: number, path: string, headers: Record<string, string> = {}) =>
  fetch(`http://127.0.0.1:${port}${path}`, { headers, redirect: 'manual' });

describe('dashboard: pages and routing', () => {
  test('a browser asking for / is sent to /dashboard/; API clients keep their JSON 404', async (t) => {
    const s = await startServer(t);
    const html = await get(s.port, '/', { accept: 'text/html,application/xhtml+xml' });
    assert.equal(html.status, 302);
    assert.equal(html.headers.get('location'), '/dashboard/');
    const api = await get(s.port, '/', { accept: 'application/json' });
    assert.equal(api.status, 404);
    assert.equal(((await api.json()) as { error: { code: number } }).error.code, 40400);
    assert.equal((await get(s.port, '/dashboard')).headers.get('location'), '/dashboard/');
  });

  test('the page, its modules and the SDK browser build are served locally with a strict CSP', async (t) => {
    const s = await startServer(t);
    const page = await get(s.port, '/dashboard/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const body = await page.text();
    for (const src of ['vendor/ably.min.js', 'app.js', 'style.css']) assert.ok(body.includes(src), src);
    const app = await get(s.port, '/dashboard/app.js');
    assert.match(app.headers.get('content-type') ?? '', /^text\/javascript/);
    const sdk = await get(s.port, '/dashboard/vendor/ably.min.js');
    assert.equal(sdk.status, 200);
    assert.match(await sdk.text(), /Ably JavaScript Library v2\./);
  });

  test('anything else under /dashboard/ is a 404 Ably error: no path escapes the folder, no test sources', async (t) => {
    const s = await startServer(t);
    for (const path of [
      '/dashboard/..%2Fpackage.json',
      '/dashboard/dashboard.test.ts',
      '/dashboard/vendor/ably.js',
      '/dashboard/nope.js',
    ]) {
      const res = await get(s.port, path);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get('x-ably-errorcode'), '40400', path);
    }
    const post = await fetch(`http://127.0.0.1:${s.port}/dashboard/app.js`, { method: 'POST' });
    assert.equal(post.headers.get('x-ably-errorcode'), '40500');
    assert.equal((await get(s.port, '/dashboard/api/nothing')).headers.get('x-ably-errorcode'), '40400');
  });

  test('dashboard: false turns it off: / and /dashboard/ answer as the REST API does', async (t) => {
    const s = await startServer(t, { dashboard: false });
    assert.equal((await get(s.port, '/', { accept: 'text/html' })).status, 404);
    assert.equal((await get(s.port, '/dashboard/')).headers.get('x-ably-errorcode'), '40400');
  });
});

describe('dashboard: login', () => {
  test('a key gets a read-only token of its app; a wrong secret is 40101; no credentials 40106', async (t) => {
    const s = await startServer(t);
    const login = await loginWithKey(s.port, TEST_KEY);
    assert.equal(login.appId, 'testapp');
    assert.deepEqual(JSON.parse(login.capability), { '*': ['channel-metadata', 'history', 'subscribe'] });
    assert.ok(login.expires > Date.now());
    const wrong = await dashboardLogin(s.port, `Basic ${Buffer.from('testapp.key1:nope').toString('base64')}`);
    assert.equal(wrong.status, 401);
    assert.equal((wrong.body as { error: { code: number } }).error.code, 40101);
    const none = await fetch(`http://127.0.0.1:${s.port}/dashboard/api/login`, { method: 'POST' });
    assert.equal(none.headers.get('x-ably-errorcode'), '40106');
    // The token it gave cannot publish.
    const res = await fetch(`http://127.0.0.1:${s.port}/channels/x/messages`, {
      method: 'POST',
      headers: { authorization: bearer(login.token), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'n', data: 'd' }),
    });
    assert.equal(res.headers.get('x-ably-errorcode'), '40160');
  });

  test('the configured dashboardToken logs in as the first key; a wrong one is refused', async (t) => {
    const dashboardToken = 'operators-only-0123456789';
    const s = await startServer(t, { dashboardToken });
    const ok = await dashboardLogin(s.port, bearer(dashboardToken));
    assert.equal(ok.status, 200);
    assert.equal((ok.body as { keyName: string }).keyName, 'testapp.key1');
    const wrong = await dashboardLogin(s.port, bearer('operators-only-0123456780'));
    assert.equal(wrong.status, 401);
  });

  test('a key without channel-metadata anywhere is refused with 40160', async (t) => {
    const s = await startServer(t, { keys: [{ key: 'narrow.k:secret', capability: { 'chat:*': ['subscribe', 'presence'] } }] });
    const res = await dashboardLogin(s.port, `Basic ${Buffer.from('narrow.k:secret').toString('base64')}`);
    assert.equal(res.status, 401);
    assert.equal((res.body as { error: { code: number } }).error.code, 40160);
  });

  test('a short dashboardToken is refused at start-up', () => {
    assert.throws(() => resolveConfig({ dashboardToken: 'short' }), /dashboardToken/);
  });
});

describe('dashboard: live stream and member state', () => {
  test('channels with occupancy, a dropped device in its grace period, and since when members are present', async (t) => {
    const s = await startServer(t, { dashboardPushInterval: 20 });
    const { token } = await loginWithKey(s.port, TEST_KEY);
    const events = await openStream(t, s.port, token);

    const device = await RawClient.open(t, s.port, 'json', { clientId: 'dev-1', remainPresentFor: '60000' });
    const connected = await device.next(Action.CONNECTED);
    device.send({ action: Action.ATTACH, channel: 'room' });
    await device.next(Action.ATTACHED);
    device.send({ action: Action.PRESENCE, channel: 'room', msgSerial: 0, presence: [{ action: 2, data: 'tablet' }] });
    await device.next(Action.ACK);
    const room = await latest<ChannelsEvent>(events, 'channels', (d) =>
      d.upsert.some((r) => r.name === 'room' && r.members === 1),
    );
    assert.deepEqual(
      room.upsert.find((r) => r.name === 'room'),
      { name: 'room', connections: 1, members: 1, users: 1 },
    );

    const lost = once(s.server.node.events, 'transport-lost');
    device.socket.terminate();
    await lost;
    const grace = await latest<GraceEntry[]>(events, 'grace', (d) => d.length === 1);
    assert.equal(grace[0]?.connectionId, connected.connectionId);
    assert.equal(grace[0]?.clientId, 'dev-1');
    assert.equal((grace[0]?.endsAt ?? 0) - (grace[0]?.since ?? 0), 60_000);
    // Still a member (grace period), no longer a live attachment.
    await latest<ChannelsEvent>(events, 'channels', (d) =>
      d.upsert.some((r) => r.name === 'room' && r.connections === 0 && r.members === 1),
    );

    const res = await get(s.port, '/dashboard/api/channels/room/members', { authorization: bearer(token) });
    const [since] = (await res.json()) as Array<{ clientId: string; connectionId: string; since: number }>;
    const history = await s.rest().channels.get('room').presence.history({ limit: 1 });
    assert.deepEqual(since, { clientId: 'dev-1', connectionId: connected.connectionId, since: history.items[0]?.timestamp });
  });

  test('a viewer sees only its own app and the channels its capability grants channel-metadata on', async (t) => {
    const s = await startServer(t, {
      dashboardPushInterval: 20,
      keys: [
        { key: TEST_KEY },
        { key: OTHER_APP_KEY },
        { key: 'testapp.ops:secret', capability: { 'ops:*': ['channel-metadata'], '*': ['subscribe'] } },
      ],
    });
    const sdk = s.realtime({ protocol: 'json' });
    await sdk.channels.get('ops:alerts').presence.enterClient('a', 'one');
    await sdk.channels.get('public').presence.enterClient('b', 'two');
    const other = s.realtime({ key: OTHER_APP_KEY });
    await other.channels.get('elsewhere').presence.enterClient('c', 'three');

    const ops = await loginWithKey(s.port, 'testapp.ops:secret');
    const events = await openStream(t, s.port, ops.token);
    const first = await latest<ChannelsEvent>(events, 'channels', () => true);
    assert.deepEqual(
      first.upsert.map((r) => r.name),
      ['ops:alerts'],
    );
    const denied = await get(s.port, '/dashboard/api/channels/public/members', { authorization: bearer(ops.token) });
    assert.equal(denied.headers.get('x-ably-errorcode'), '40160');
    const nodes = await latest<NodeStatus[]>(events, 'nodes', () => true);
    assert.deepEqual(
      nodes.map((n) => [n.nodeId, n.self, n.status]),
      [[s.server.config.serverId, true, 'up']],
    );
  });

  test('the stream needs credentials (40106) and ends when its token expires', async (t) => {
    const s = await startServer(t, { dashboardPushInterval: 20 });
    assert.equal((await get(s.port, '/dashboard/api/stream')).headers.get('x-ably-errorcode'), '40106');
    const short = await s.rest().auth.requestToken({ ttl: 300, capability: { '*': ['channel-metadata'] } });
    const res = await fetch(`http://127.0.0.1:${s.port}/dashboard/api/stream`, {
      headers: { authorization: bearer(short.token) },
    });
    assert.equal(res.status, 200);
    await res.text(); // resolves only when the server ends the stream
  });
});
