import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Unpackr } from 'msgpackr';
import { PROTOCOLS, startServer, TEST_KEY } from '../helpers/server.ts';

const ORIGIN = 'https://app.example.com';
const BASIC = `Basic ${Buffer.from(TEST_KEY).toString('base64')}`;
const unpackr = new Unpackr({ mapsAsObjects: true, int64AsType: 'number', useRecords: false });

/** What a browser SDK sends besides credentials (`x-ably-version`, `ably-agent`) and how it decodes the body. */
async function browserGet(port: number, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: { origin: ORIGIN, 'x-ably-version': '6', 'ably-agent': 'ably-js/2.28.0 browser', ...headers },
  });
  const type = res.headers.get('content-type');
  const raw = Buffer.from(await res.arrayBuffer());
  const body = type === 'application/x-msgpack' ? unpackr.unpack(raw) : JSON.parse(raw.toString('utf8'));
  return { res, type, body };
}

describe('REST for browsers (plain HTTP, as the browser SDK does it)', () => {
  test('CORS preflight with Origin allows credentials and the headers the SDK sends', async (t) => {
    const s = await startServer(t);
    const res = await fetch(`http://127.0.0.1:${s.port}/channels/room/presence?rnd=123`, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization,x-ably-version,ably-agent,x-ably-clientid,x-custom-header',
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /\bGET\b.*\bPOST\b/);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const h of [
      'authorization',
      'content-type',
      'accept',
      'x-ably-version',
      'ably-agent',
      'x-ably-clientid',
      'x-custom-header',
    ]) {
      assert.ok(allowed.includes(h), `allows ${h}`);
    }
  });

  for (const envelope of PROTOCOLS) {
    test(`envelope=${envelope} wraps status, body and Link header; CORS exposes what the SDK reads`, async (t) => {
      const s = await startServer(t);
      const a = s.realtime({ clientId: 'ada' });
      const b = s.realtime({ clientId: 'bob' });
      await a.channels.get('room').presence.enter('hi');
      await b.channels.get('room').presence.enter({ x: 1 });

      const { res, type, body } = await browserGet(s.port, `/channels/room/presence?envelope=${envelope}&rnd=42&limit=1`, {
        authorization: BASIC,
        accept: envelope === 'json' ? 'application/json' : 'application/x-msgpack',
      });
      assert.equal(res.status, 200);
      assert.equal(type, envelope === 'json' ? 'application/json' : 'application/x-msgpack');
      assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
      assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
      const exposed = res.headers.get('access-control-expose-headers') ?? '';
      for (const h of ['link', 'x-ably-errorcode', 'x-ably-errormessage']) assert.ok(exposed.includes(h), `exposes ${h}`);
      assert.equal(body.statusCode, 200);
      assert.deepEqual(
        body.response.map((m: { clientId: string; action: number; data: unknown }) => [m.clientId, m.action, m.data]),
        [['ada', 1, 'hi']],
      );
      const link: string = body.headers.link;
      assert.match(link, /<\.\/presence\?[^>]*page=\d+[^>]*>; rel="next"/);
      assert.ok(!/envelope|rnd/.test(link), 'transport params are not carried into links');
    });
  }

  test('errors carry X-Ably-Errorcode, an exact content type and CORS headers', async (t) => {
    const s = await startServer(t);
    const wrong = `Basic ${Buffer.from('testapp.key1:nope').toString('base64')}`;
    const { res, type, body } = await browserGet(s.port, '/channels/room/messages?envelope=json', { authorization: wrong });
    assert.equal(res.status, 401);
    assert.equal(type, 'application/json');
    assert.equal(res.headers.get('x-ably-errorcode'), '40101');
    assert.match(res.headers.get('x-ably-errormessage') ?? '', /credentials/i);
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'href', 'message', 'statusCode']);
    assert.equal(body.error.code, 40101);
    assert.equal(body.error.statusCode, 401);

    const missing = await browserGet(s.port, '/channels/room/messages');
    assert.equal(missing.res.status, 401);
    assert.equal(missing.res.headers.get('x-ably-errorcode'), String(missing.body.error.code));
  });

  test('GET /time needs no credentials', async (t) => {
    const s = await startServer(t);
    const { res, body } = await browserGet(s.port, '/time', { accept: 'application/json' });
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(body) && body.length === 1 && Math.abs(body[0] - Date.now()) < 60_000);
  });
});
