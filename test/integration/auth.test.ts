import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as Ably from 'ably';
import { authServer, codeOf, mintJwt, nextState, rawSocket } from '../helpers/auth.ts';
import { Collector, connectionState, PROTOCOLS, startServer, TEST_KEY } from '../helpers/server.ts';

const KEY_NAME = 'testapp.key1';
const SECRET = 'secret-one';
const ERROR = 9;
const CONNECTED = 4;
const AUTH = 17;

type Callback = Ably.AuthOptions['authCallback'];

/** An authCallback that answers with `make()` (TokenRequest, TokenDetails or JWT string) and counts its calls. */
function callback(make: (params: Ably.TokenParams) => Promise<unknown>): {
  authCallback: Callback;
  calls: Collector<Ably.TokenParams>;
} {
  const calls = new Collector<Ably.TokenParams>();
  const authCallback: Callback = (params, cb) => {
    calls.push(params);
    make(params).then(
      (value) => cb(null, value as Ably.TokenRequest),
      (err) => cb(err as Ably.ErrorInfo, null),
    );
  };
  return { authCallback, calls };
}

for (const protocol of PROTOCOLS) {
  describe(`token auth (${protocol})`, () => {
    it('authCallback returning a TokenRequest: the token clientId binds the connection and may enter presence', async (t) => {
      const s = await startServer(t);
      const signer = s.rest();
      const { authCallback, calls } = callback(() => signer.auth.createTokenRequest({ clientId: 'alice' }));
      const client = s.realtime({ protocol, key: undefined, authCallback });
      await connectionState(client, 'connected');
      assert.equal(client.auth.clientId, 'alice');
      assert.equal(calls.items.length, 1);
      const channel = client.channels.get('room');
      await channel.presence.enter('hi');
      const members = await s.rest({ protocol }).channels.get('room').presence.get();
      assert.deepEqual(
        members.items.map((m) => m.clientId),
        ['alice'],
      );
    });

    it('authUrl (a local backend) returning a TokenRequest, with the SDK passing its clientId', async (t) => {
      const s = await startServer(t);
      const signer = s.rest();
      const backend = await authServer(t, (q) => signer.auth.createTokenRequest({ clientId: q.get('clientId') ?? 'nobody' }));
      const client = s.realtime({ protocol, key: undefined, authUrl: backend.url, authParams: { clientId: 'bob' } });
      await connectionState(client, 'connected');
      assert.equal(client.auth.clientId, 'bob');
      await client.channels.get('room').presence.enter();
      assert.equal(backend.calls.items.length, 1);
    });

    it('authUrl returning a JWT (application/jwt)', async (t) => {
      const s = await startServer(t);
      const backend = await authServer(t, () => mintJwt({ keyName: KEY_NAME, secret: SECRET, clientId: 'carol' }));
      const client = s.realtime({ protocol, key: undefined, authUrl: backend.url });
      await connectionState(client, 'connected');
      assert.equal(client.auth.clientId, 'carol');
      await client.channels.get('room').presence.enter();
    });

    it('the token option (TokenDetails from requestToken) connects and REST accepts the same token', async (t) => {
      const s = await startServer(t);
      const details = await s.rest().auth.requestToken({ clientId: 'dave', capability: { 'room*': ['*'] } });
      assert.equal((details as Ably.TokenDetails & { keyName?: string }).keyName, KEY_NAME);
      assert.equal(details.clientId, 'dave');
      assert.ok(details.expires > details.issued);
      const client = s.realtime({ protocol, key: undefined, token: details.token });
      await connectionState(client, 'connected');
      assert.equal(client.auth.clientId, 'dave');
      await client.channels.get('room-1').presence.enter();
      const rest = s.rest({ protocol, key: undefined, token: details.token });
      const page = await rest.channels.get('room-1').presence.get();
      assert.equal(page.items[0]?.clientId, 'dave');
    });

    it('JWT from an authCallback: clientId and capability come from the claims', async (t) => {
      const s = await startServer(t);
      const { authCallback } = callback(() =>
        mintJwt({ keyName: KEY_NAME, secret: SECRET, clientId: 'erin', capability: { 'chat:*': ['presence', 'subscribe'] } }),
      );
      const client = s.realtime({ protocol, key: undefined, authCallback });
      await connectionState(client, 'connected');
      assert.equal(client.auth.clientId, 'erin');
      await client.channels.get('chat:lobby').presence.enter();
      await assert.rejects(client.channels.get('chat:lobby').publish('x', 'y'), { code: 40160 });
      await assert.rejects(client.channels.get('elsewhere').attach(), { code: 40160 });
      assert.equal(client.connection.state, 'connected');
    });

    it('a JWT the server cannot accept gives the right error code (401xx; 40400 for an app that does not exist)', async (t) => {
      const s = await startServer(t);
      const cases: Array<[string, Promise<string>, number]> = [
        ['wrong signature', mintJwt({ keyName: KEY_NAME, secret: 'not-the-secret' }), 40144],
        ['alg HS512', mintJwt({ keyName: KEY_NAME, secret: SECRET, alg: 'HS512' }), 40144],
        ['unknown kid', mintJwt({ keyName: 'testapp.nope', secret: SECRET }), 40101],
        ['kid of an app that does not exist', mintJwt({ keyName: 'invalid.invalid', secret: SECRET }), 40400],
        ['expired', mintJwt({ keyName: KEY_NAME, secret: SECRET, expiresIn: -5 }), 40142],
        ['not a JWT at all', Promise.resolve('eyJ.garbage.here'), 40144],
        ['alg none', Promise.resolve(`${b64({ alg: 'none', kid: KEY_NAME })}.${b64({ exp: 9e9, iat: 1 })}.`), 40144],
      ];
      for (const [what, jwt, code] of cases) {
        const raw = await rawSocket(t, s.port, protocol, { access_token: await jwt });
        const first = raw.frames.items[0] as Record<string, unknown>;
        assert.equal(first.action, ERROR, what);
        assert.equal(codeOf(first), code, what);
        await raw.closed;
      }
      // Over REST too (Bearer base64(token)).
      const expired = await mintJwt({ keyName: KEY_NAME, secret: SECRET, expiresIn: -5 });
      const res = await fetch(`http://127.0.0.1:${s.port}/channels/x/messages`, {
        headers: { authorization: `Bearer ${Buffer.from(expired).toString('base64')}` },
      });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('x-ably-errorcode'), '40142');
    });

    it('an SDK whose authCallback keeps returning a bad JWT ends up disconnected with 40144, not connected', async (t) => {
      const s = await startServer(t);
      const { authCallback, calls } = callback(() => mintJwt({ keyName: KEY_NAME, secret: 'wrong' }));
      const client = s.realtime({ protocol, key: undefined, authCallback });
      const change = await nextState(client, 'disconnected');
      assert.equal(change.reason?.code, 40144);
      // A token error makes the SDK fetch a new token once before giving up for this attempt (Ably §1.5).
      assert.ok(calls.items.length >= 2);
    });
  });

  describe(`clientId rules (${protocol})`, () => {
    it('a query clientId conflicting with the token clientId is refused with 40102', async (t) => {
      const s = await startServer(t);
      const details = await s.rest().auth.requestToken({ clientId: 'alice' });
      const raw = await rawSocket(t, s.port, protocol, { access_token: details.token, clientId: 'mallory' });
      assert.equal(codeOf(raw.frames.items[0] as Record<string, unknown>), 40102);
      const jwt = await mintJwt({ keyName: KEY_NAME, secret: SECRET, clientId: 'alice' });
      const raw2 = await rawSocket(t, s.port, protocol, { access_token: jwt, clientId: 'mallory' });
      assert.equal(codeOf(raw2.frames.items[0] as Record<string, unknown>), 40102);
    });

    it('a token-bound client may not enter or publish as someone else (40012); its own clientId works', async (t) => {
      const s = await startServer(t);
      const { authCallback } = callback(() => s.rest().auth.createTokenRequest({ clientId: 'alice' }));
      const client = s.realtime({ protocol, key: undefined, authCallback });
      const channel = client.channels.get('room');
      await assert.rejects(channel.presence.enterClient('bob'), { code: 40012 });
      await assert.rejects(channel.publish({ name: 'n', data: 'd', clientId: 'bob' }), { code: 40012 });
      await channel.presence.enter();
      await channel.publish({ name: 'n', data: 'd', clientId: 'alice' });
      const members = await channel.presence.get();
      assert.deepEqual(
        members.map((m) => m.clientId),
        ['alice'],
      );
    });

    it('a wildcard (*) token may enter any clientId; an anonymous token cannot enter at all', async (t) => {
      const s = await startServer(t);
      const wildcard = s.realtime({
        protocol,
        key: undefined,
        authCallback: callback(() => s.rest().auth.createTokenRequest({ clientId: '*' })).authCallback,
      });
      const room = wildcard.channels.get('room');
      await room.presence.enterClient('u1');
      await room.presence.enterClient('u2');
      assert.deepEqual((await room.presence.get()).map((m) => m.clientId).sort(), ['u1', 'u2']);

      const anonymous = s.realtime({
        protocol,
        key: undefined,
        authCallback: callback(() => s.rest().auth.createTokenRequest({})).authCallback,
      });
      await connectionState(anonymous, 'connected');
      assert.equal(anonymous.auth.clientId, undefined);
      await assert.rejects(anonymous.channels.get('room').presence.enterClient('u3'), { code: 40012 });
    });

    it('in-band AUTH with a token for another clientId fails the connection with 40102', async (t) => {
      const s = await startServer(t);
      const alice = await s.rest().auth.requestToken({ clientId: 'alice' });
      const bob = await s.rest().auth.requestToken({ clientId: 'bob' });
      const raw = await rawSocket(t, s.port, protocol, { access_token: alice.token });
      assert.equal(raw.frames.items[0]?.action, CONNECTED);
      raw.send({ action: AUTH, auth: { accessToken: bob.token } });
      assert.equal(codeOf(await raw.next(ERROR)), 40102);
      await raw.closed;
    });

    it('in-band AUTH with a narrower token updates capability: a channel no longer allowed gets 40160, others stay', async (t) => {
      const s = await startServer(t);
      let capability: Ably.TokenParams['capability'] = { '*': ['*'] };
      const { authCallback } = callback(() => s.rest().auth.createTokenRequest({ clientId: 'alice', capability }));
      const client = s.realtime({ protocol, key: undefined, authCallback });
      const keep = client.channels.get('keep');
      const lose = client.channels.get('lose');
      await keep.attach();
      await lose.presence.enter();
      const failed = new Promise<Ably.ChannelStateChange>((resolve) => lose.once('failed', resolve));
      capability = { keep: ['*'] };
      const id = client.connection.id;
      await client.auth.authorize();
      assert.equal((await failed).reason?.code, 40160);
      assert.equal(client.connection.id, id);
      assert.equal(keep.state, 'attached');
      await keep.publish('still', 'works');
      assert.equal((await s.rest().channels.get('lose').presence.get()).items.length, 0);
    });
  });
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('POST /keys/{keyName}/requestToken', () => {
  const post = (port: number, keyName: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${port}/keys/${keyName}/requestToken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('verifies the MAC, the timestamp window and refuses a replayed nonce', async (t) => {
    const s = await startServer(t, { tokenRequestWindow: 60_000 });
    const signer = s.rest();
    const request = await signer.auth.createTokenRequest({ clientId: 'alice', ttl: 60_000 });
    const ok = await post(s.port, KEY_NAME, request);
    assert.equal(ok.status, 200);
    const details = (await ok.json()) as Ably.TokenDetails;
    assert.equal(details.clientId, 'alice');
    assert.equal(details.expires - details.issued, 60_000);

    const replay = await post(s.port, KEY_NAME, request);
    assert.equal(replay.headers.get('x-ably-errorcode'), '40105');

    const tampered = { ...(await signer.auth.createTokenRequest({ clientId: 'alice' })), clientId: 'admin' };
    assert.equal((await post(s.port, KEY_NAME, tampered)).headers.get('x-ably-errorcode'), '40101');

    const stale = await signer.auth.createTokenRequest({ clientId: 'alice', timestamp: Date.now() - 120_000 });
    assert.equal((await post(s.port, KEY_NAME, stale)).headers.get('x-ably-errorcode'), '40104');

    const wrongPath = await signer.auth.createTokenRequest({});
    assert.equal((await post(s.port, 'otherapp.key2', wrongPath)).headers.get('x-ably-errorcode'), '40101');
    const unknownKey = await s.rest({ key: 'testapp.ghost:x' }).auth.createTokenRequest({});
    assert.equal((await post(s.port, 'testapp.ghost', unknownKey)).headers.get('x-ably-errorcode'), '40130');
  });

  it('grants the intersection of requested and key capability; nothing in common is 40160', async (t) => {
    const s = await startServer(t, {
      keys: [{ key: TEST_KEY, capability: { 'chat:*': ['presence', 'subscribe'], news: ['subscribe'] } }],
    });
    const signer = s.rest();
    const asked = await signer.auth.createTokenRequest({ capability: { '*': ['*'], 'chat:x': ['publish'] } });
    const details = (await (await post(s.port, KEY_NAME, asked)).json()) as Ably.TokenDetails;
    assert.deepEqual(JSON.parse(details.capability), { 'chat:*': ['presence', 'subscribe'], news: ['subscribe'] });
    const disjoint = await signer.auth.createTokenRequest({ capability: { 'other:*': ['publish'] } });
    assert.equal((await post(s.port, KEY_NAME, disjoint)).headers.get('x-ably-errorcode'), '40160');
  });

  it('accepts plain token params with Basic auth of the same key, and refuses another key', async (t) => {
    const s = await startServer(t);
    const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(key).toString('base64')}` });
    const ok = await post(s.port, KEY_NAME, { clientId: 'zed', ttl: 5000 }, basic(TEST_KEY));
    assert.equal(ok.status, 200);
    const details = (await ok.json()) as Ably.TokenDetails;
    assert.equal(details.clientId, 'zed');
    assert.equal(details.expires - details.issued, 5000);
    const other = await post(s.port, KEY_NAME, { clientId: 'zed' }, basic('otherapp.key2:secret-two'));
    assert.equal(other.headers.get('x-ably-errorcode'), '40101');
    const none = await post(s.port, KEY_NAME, { clientId: 'zed' });
    assert.equal(none.status, 401);
  });

  it('a token from one server verifies on another with the same keys (no shared state)', async (t) => {
    const a = await startServer(t);
    const b = await startServer(t);
    const details = await a.rest().auth.requestToken({ clientId: 'roamer' });
    const raw = await rawSocket(t, b.port, 'json', { access_token: details.token });
    assert.equal(raw.frames.items[0]?.action, CONNECTED);
    assert.equal((raw.frames.items[0]?.connectionDetails as { clientId?: string } | undefined)?.clientId, 'roamer');
    const forged = `${details.token.split('.')[0]}.${Buffer.from('forged').toString('base64url')}`;
    const bad = await rawSocket(t, b.port, 'json', { access_token: forged });
    assert.equal(codeOf(bad.frames.items[0] as Record<string, unknown>), 40143);
  });
});

describe('secrets', () => {
  it('never appear in the server log or in error answers, whatever credentials fail', async (t) => {
    const log: string[] = [];
    const s = await startServer(t, { log: (m) => log.push(m) });
    const answers: unknown[] = [];
    const queries: Array<Record<string, string>> = [
      { key: 'testapp.key1:wrong-secret' },
      { key: 'testapp.key1' },
      { access_token: await mintJwt({ keyName: KEY_NAME, secret: 'wrong' }) },
      { access_token: 'garbage' },
    ];
    for (const query of queries) {
      answers.push((await rawSocket(t, s.port, 'json', query)).frames.items[0]);
    }
    const request = await s.rest().auth.createTokenRequest({});
    const res = await fetch(`http://127.0.0.1:${s.port}/keys/${KEY_NAME}/requestToken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...request, mac: 'bad' }),
    });
    answers.push(await res.json());
    const everything = JSON.stringify([log, answers]);
    assert.ok(
      answers.every((a) => codeOf(a as Record<string, unknown>) !== undefined),
      'every attempt was refused',
    );
    assert.ok(!everything.includes(SECRET), 'the key secret is never echoed or logged');
    assert.ok(!everything.includes('wrong-secret'), 'nor is a wrong secret a client tried');
  });
});
