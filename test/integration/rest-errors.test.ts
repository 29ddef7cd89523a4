import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { PROTOCOLS, startServer, TEST_KEY } from '../helpers/server.ts';

const LIMITED_KEY = 'testapp.limited:secret-three';
const LIMITED_CAPABILITY = {
  'public:*': ['subscribe'],
  'outbox:*': ['publish'],
  'meta:*': ['channel-metadata'],
};
const NO_METADATA_KEY = 'testapp.nometa:secret-four';

/** Resolves with the ErrorInfo the SDK rejected with; fails the test if the call succeeded. */
async function rejection(p: Promise<unknown>): Promise<Ably.ErrorInfo> {
  try {
    await p;
  } catch (err) {
    return err as Ably.ErrorInfo;
  }
  assert.fail('expected the call to be rejected');
}

function assertCode(err: Ably.ErrorInfo, code: number, statusCode: number, label = ''): void {
  assert.equal(err.code, code, `${label} ${err.message}`);
  assert.equal(err.statusCode, statusCode, `${label} ${err.message}`);
}

for (const protocol of PROTOCOLS) {
  describe(`REST error paths (${protocol})`, () => {
    test('wrong secret and an unknown key are both 40101 (401), as on Ably', async (t) => {
      const s = await startServer(t);
      const wrongSecret = s.rest({ protocol, key: 'testapp.key1:not-the-secret' });
      assertCode(await rejection(wrongSecret.channels.get('x').presence.get()), 40101, 401);
      assertCode(await rejection(wrongSecret.channels.get('x').publish('n', 'd')), 40101, 401);
      const unknown = s.rest({ protocol, key: 'testapp.nosuchkey:whatever' });
      assertCode(await rejection(unknown.channels.get('x').history()), 40101, 401);
      // The right key still works on the same server.
      assert.deepEqual((await s.rest({ protocol }).channels.get('x').presence.get()).items, []);
    });

    test('each operation needs its capability (40160), and only on the channels it names', async (t) => {
      const s = await startServer(t, {
        keys: [
          { key: TEST_KEY },
          { key: LIMITED_KEY, capability: LIMITED_CAPABILITY },
          { key: NO_METADATA_KEY, capability: { '*': ['subscribe'] } },
        ],
      });
      const limited = s.rest({ protocol, key: LIMITED_KEY });
      const open = limited.channels.get('public:lobby');

      assert.deepEqual((await open.presence.get()).items, [], 'subscribe grants presence get');
      assertCode(await rejection(limited.channels.get('private').presence.get()), 40160, 401);
      assertCode(await rejection(open.history()), 40160, 401);
      assertCode(await rejection(open.presence.history()), 40160, 401);
      assertCode(await rejection(open.publish('n', 'd')), 40160, 401);
      assertCode(await rejection(open.status()), 40160, 401);

      const outbox = limited.channels.get('outbox:jobs');
      assert.equal((await outbox.publish('job', 'run')).serials.length, 1, 'publish grants publish');
      assert.equal((await limited.channels.get('meta:x').status()).channelId, 'meta:x');

      const full = s.realtime({ protocol });
      for (const name of ['meta:a', 'public:b', 'meta:c']) await full.channels.get(name).attach();
      const listed = await limited.request('get', '/channels', 6, { by: 'id' });
      assert.deepEqual(listed.items, ['meta:a', 'meta:c'], 'only channels with channel-metadata are listed');
      const refused = await s.rest({ protocol, key: NO_METADATA_KEY }).request('get', '/channels', 6, {});
      assert.equal(refused.statusCode, 401);
      assert.equal(refused.errorCode, 40160);
    });

    test('unknown routes are 404 (40400) and known paths with another method are 405 (40500)', async (t) => {
      const s = await startServer(t);
      const rest = s.rest({ protocol });
      for (const path of ['/nope', '/channels/x/unknown', '/channels/x/presence/history/more', '/channels/x/messages/']) {
        const res = await rest.request('get', path, 6, {});
        assert.equal(res.success, false, path);
        assert.equal(res.statusCode, 404, path);
        assert.equal(res.errorCode, 40400, path);
      }
      for (const [method, path] of [
        ['delete', '/channels/x/messages'],
        ['post', '/channels/x/presence'],
        ['put', '/channels/x'],
        ['post', '/time'],
      ] as const) {
        const res = await rest.request(method, path, 6, {}, {});
        assert.equal(res.statusCode, 405, `${method} ${path}`);
        assert.equal(res.errorCode, 40500, `${method} ${path}`);
      }
      const withAllow = await fetch(`http://127.0.0.1:${s.port}/channels/x/messages`, { method: 'DELETE' });
      assert.equal(withAllow.headers.get('allow'), 'GET, POST, OPTIONS');
      assert.equal(withAllow.headers.get('x-ably-errorcode'), '40500');
    });

    test('bad parameters and bodies are 400 with the code the SDK surfaces', async (t) => {
      const s = await startServer(t);
      const rest = s.rest({ protocol });
      const channel = rest.channels.get('params');
      const cases: Array<[string, () => Promise<unknown>, number]> = [
        ['limit too large', () => channel.history({ limit: 5000 }), 40003],
        ['limit zero', () => channel.presence.get({ limit: 0 }), 40003],
        ['direction', () => channel.history({ direction: 'sideways' as 'forwards' }), 40003],
        ['start after end', () => channel.presence.history({ start: 2000, end: 1000 }), 40003],
        ['start not a number', () => channel.history({ start: 'yesterday' } as unknown as Ably.RealtimeHistoryParams), 40003],
        ['presence cursor', () => channel.presence.get({ page: 'abc' } as Ably.RestPresenceParams), 40003],
      ];
      for (const [what, call, code] of cases) assertCode(await rejection(call()), code, 400, what);

      const fromSerial = await rest.request('get', '/channels/params/messages', 6, { from_serial: 'not-a-serial!' });
      assert.equal(fromSerial.errorCode, 40003);
      const by = await rest.request('get', '/channels', 6, { by: 'everything' });
      assert.equal(by.errorCode, 40003);
      const body = await rest.request('post', '/channels/params/messages', 6, {}, 'this is not a body');
      assert.equal(body.statusCode, 400);
      assert.equal(body.errorCode, 40001);
      const shape = await rest.request('post', '/channels/params/messages', 6, {}, [{ name: 42 }]);
      assert.equal(shape.errorCode, 40001);
      const name = await rest.request('get', `/channels/${encodeURIComponent('bad\u0001name')}/messages`, 6, {});
      assert.equal(name.errorCode, 40010);
    });
  });
}

describe('REST with token auth (Bearer, base64 as the SDK sends it)', () => {
  for (const protocol of PROTOCOLS) {
    test(`a token client reads presence and publishes as its token's clientId (${protocol})`, async (t) => {
      const s = await startServer(t);
      const backend = s.rest({ protocol });
      const member = s.realtime({ protocol, clientId: 'ada' });
      await member.channels.get('tok').presence.enter('here');
      const tokenRest = s.rest({
        protocol,
        key: undefined,
        authCallback: (_params, callback) => {
          backend.auth.createTokenRequest({ clientId: 'agent-1' }).then(
            (request) => callback(null, request),
            (err) => callback(err, null),
          );
        },
      });
      const channel = tokenRest.channels.get('tok');
      assert.deepEqual(
        (await channel.presence.get()).items.map((m) => m.clientId),
        ['ada'],
      );
      await channel.publish('from-token', 'x');
      const [m] = (await backend.channels.get('tok').history()).items;
      assert.equal(m?.clientId, 'agent-1');
    });
  }
});
