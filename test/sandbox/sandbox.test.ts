import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import * as Ably from 'ably';
import { type AppDescription, createSandbox } from '../../src/sandbox/index.ts';
import { connectionState, PROTOCOLS, type Protocol } from '../helpers/server.ts';

/** Our own app description in the shape SDK suites post: keys with and without capabilities, presence fixtures. */
const APP_BODY = {
  limits: { presence: { maxMembers: 3 } },
  keys: [{}, { capability: '{"readonly:*":["subscribe"]}', revocableTokens: true }],
  namespaces: [{ id: 'persisted', persisted: true }],
  channels: [
    {
      name: 'persisted:roster',
      presence: [
        { clientId: 'plain', data: 'hello' },
        { clientId: 'structured', data: '{"seat":4}', encoding: 'json' },
      ],
    },
  ],
};

async function startSandbox(t: TestContext) {
  const sandbox = createSandbox({ port: 0 });
  const { port } = await sandbox.listen();
  t.after(() => sandbox.close());
  const url = `http://127.0.0.1:${port}`;
  const basic = (keyStr: string) => `Basic ${Buffer.from(keyStr).toString('base64')}`;
  return {
    sandbox,
    url,
    async createApp(body: unknown = APP_BODY): Promise<AppDescription> {
      const res = await fetch(`${url}/apps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 201, await res.clone().text());
      return (await res.json()) as AppDescription;
    },
    deleteApp(app: AppDescription, keyStr = app.keys[0]?.keyStr as string) {
      return fetch(`${url}/apps/${app.appId}`, { method: 'DELETE', headers: { authorization: basic(keyStr) } });
    },
    postStats(keyStr: string | undefined, body: unknown) {
      return fetch(`${url}/stats`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(keyStr ? { authorization: basic(keyStr) } : {}) },
        body: JSON.stringify(body),
      });
    },
  };
}

/** An SDK client routed the way ably-js's suite routes it: the response's endpoint and port, no TLS. */
function clientOptions(app: AppDescription, keyIndex: number, protocol: Protocol): Ably.ClientOptions {
  return {
    key: app.keys[keyIndex]?.keyStr,
    endpoint: app.endpoint,
    port: app.port,
    tls: app.tls,
    useBinaryProtocol: protocol === 'msgpack',
    logLevel: 0,
  };
}

function realtime(t: TestContext, options: Ably.ClientOptions): Ably.Realtime {
  const client = new Ably.Realtime(options);
  t.after(() => client.close());
  return client;
}

describe('test-app sandbox (POST /apps, DELETE /apps/{id}, POST /stats)', () => {
  test('POST /apps answers the keys (capability as asked, full when absent, request fields echoed) and where to connect', async (t) => {
    const s = await startSandbox(t);
    const app = await s.createApp();
    assert.match(app.appId, /^\w+$/);
    assert.equal(app.keys.length, 2);
    const [full, limited] = app.keys;
    assert.deepEqual(JSON.parse(full?.capability ?? ''), { '*': ['*'] });
    assert.deepEqual(JSON.parse(limited?.capability ?? ''), { 'readonly:*': ['subscribe'] });
    assert.equal(limited?.revocableTokens, true);
    for (const k of app.keys) {
      assert.equal(k.keyStr, `${k.keyName}:${k.keySecret}`);
      assert.equal(k.keyName, `${app.appId}.${k.id}`);
      assert.equal(k.value, k.keySecret);
    }
    assert.deepEqual(app.namespaces, APP_BODY.namespaces);
    assert.equal(app.tls, false);
    assert.equal(app.endpoint, '127.0.0.1');
    assert.ok(app.port > 0);
  });

  for (const protocol of PROTOCOLS) {
    test(`presence fixtures are members held by the server, seen by realtime and REST clients (${protocol})`, async (t) => {
      const s = await startSandbox(t);
      const app = await s.createApp();
      const client = realtime(t, { ...clientOptions(app, 0, protocol), clientId: 'visitor' });
      const channel = client.channels.get('persisted:roster');
      const members = await channel.presence.get();
      const byId = new Map(members.map((m) => [m.clientId, m.data]));
      assert.deepEqual(Object.fromEntries(byId), { plain: 'hello', structured: { seat: 4 } });
      // A client that enters and drops does not take the fixtures with it.
      await channel.presence.enter('here');
      client.close();
      await connectionState(client, 'closed');
      const rest = new Ably.Rest(clientOptions(app, 0, protocol));
      const page = await rest.channels.get('persisted:roster').presence.get();
      assert.deepEqual(page.items.map((m) => m.clientId).sort(), ['plain', 'structured']);
      // Seeding is recorded like any entry: the fixtures are the first events of the channel's presence history.
      const history = await rest.channels.get('persisted:roster').presence.history({ direction: 'forwards' });
      assert.deepEqual(
        history.items.slice(0, 2).map((m) => [m.action, m.clientId, m.data]),
        [
          ['enter', 'plain', 'hello'],
          ['enter', 'structured', { seat: 4 }],
        ],
      );
    });
  }

  test('a key gets exactly the capability it was created with', async (t) => {
    const s = await startSandbox(t);
    const app = await s.createApp();
    const rest = new Ably.Rest(clientOptions(app, 1, 'json'));
    await assert.rejects(rest.channels.get('readonly:news').publish('m', 'x'), { code: 40160 });
    await rest.channels.get('readonly:news').presence.get();
  });

  test('apps are isolated: own port, own keys, own history and own limits', async (t) => {
    const s = await startSandbox(t);
    const a = await s.createApp();
    const b = await s.createApp({ keys: [{}] });
    assert.notEqual(a.appId, b.appId);
    assert.notEqual(a.port, b.port);
    const restA = new Ably.Rest(clientOptions(a, 0, 'json'));
    const restB = new Ably.Rest(clientOptions(b, 0, 'json'));
    await restA.channels.get('shared').publish('only-in-a', 'one');
    assert.equal((await restA.channels.get('shared').history()).items.length, 1);
    assert.equal((await restB.channels.get('shared').history()).items.length, 0);
    // A's key means nothing to B's server.
    const crossed = new Ably.Rest({ ...clientOptions(b, 0, 'json'), key: a.keys[0]?.keyStr });
    await assert.rejects(crossed.channels.get('shared').history(), (err: Ably.ErrorInfo) => err.statusCode === 401);
    // A's limit (3 members) holds on A, B keeps the default.
    const entrants = [1, 2, 3, 4].map((i) => realtime(t, { ...clientOptions(a, 0, 'json'), clientId: `m${i}` }));
    const channel = (c: Ably.Realtime) => c.channels.get('limited');
    for (const c of entrants.slice(0, 3)) await channel(c).presence.enter();
    await assert.rejects(channel(entrants[3] as Ably.Realtime).presence.enter(), { code: 91003 });
    const onB = realtime(t, { ...clientOptions(b, 0, 'json'), clientId: 'm4' });
    await channel(onB).presence.enter();
  });

  test("DELETE /apps/{id} frees the app, is idempotent, and needs one of that app's keys", async (t) => {
    const s = await startSandbox(t);
    const app = await s.createApp();
    const other = await s.createApp({ keys: [{}] });
    const wrongKey = await s.deleteApp(app, other.keys[0]?.keyStr);
    assert.equal(((await wrongKey.json()) as { error: { code: number } }).error.code, 40160);
    const client = realtime(t, clientOptions(app, 0, 'json'));
    await connectionState(client, 'connected');
    const gone = connectionState(client, 'disconnected');
    assert.equal((await s.deleteApp(app)).status, 204);
    await gone;
    assert.equal(s.sandbox.apps.has(app.appId), false);
    assert.equal((await s.deleteApp(app)).status, 204);
    const rest = new Ably.Rest({ ...clientOptions(app, 0, 'json'), httpMaxRetryCount: 0, fallbackHosts: [] });
    await assert.rejects(rest.time());
  });

  test('POST /stats keeps fixtures for the app whose key signs it; bad bodies and keys get Ably errors', async (t) => {
    const s = await startSandbox(t);
    const app = await s.createApp();
    const fixture = { intervalId: '2026-01-01:10:00', inbound: { realtime: { messages: { count: 5, data: 50 } } } };
    const ok = await s.postStats(app.keys[0]?.keyStr, [fixture]);
    assert.equal(ok.status, 201);
    const [stats] = (await new Ably.Rest(clientOptions(app, 0, 'json')).stats({ start: '2026-01-01:10:00' } as never)).items;
    assert.equal(stats?.entries['messages.inbound.all.messages.count'], 5);
    const noInterval = await s.postStats(app.keys[0]?.keyStr, [{ inbound: {} }]);
    assert.equal(((await noInterval.json()) as { error: { code: number } }).error.code, 40003);
    const anonymous = await s.postStats(undefined, [fixture]);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: { code: number } }).error.code, 40106);
    const stranger = await s.postStats(`${app.appId}.nokey:secret`, [fixture]);
    assert.equal(((await stranger.json()) as { error: { code: number } }).error.code, 40101);
    const bad = await fetch(`${s.url}/apps`, {
      method: 'POST',
      body: JSON.stringify({ keys: [{ capability: '{"x":"publish"}' }] }),
    });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: number } }).error.code, 40001);
  });
});
