import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { PROTOCOLS, startServer } from '../helpers/server.ts';

const rejected400 = (err: Ably.ErrorInfo) => err.statusCode === 400 && err.code === 40003;

describe('token requests Ably refuses', () => {
  for (const protocol of PROTOCOLS) {
    test(`malformed capabilities are 400: unknown operation, "*" with others, no operations (${protocol})`, async (t) => {
      const s = await startServer(t);
      const rest = s.rest({ protocol });
      for (const capability of [{ room: ['publish_'] }, { room: ['*', 'publish'] }, { room: [] }]) {
        // Sent as a JSON string: the SDK's types (rightly) do not allow these shapes.
        await assert.rejects(rest.auth.requestToken({ capability: JSON.stringify(capability) }), rejected400);
      }
      const ok = await rest.auth.requestToken({ capability: { room: ['publish', 'annotation-publish'] } });
      assert.deepEqual(JSON.parse(ok.capability), { room: ['annotation-publish', 'publish'] });
    });

    test(`a ttl over maxTokenTtl is 400 instead of being shortened (${protocol})`, async (t) => {
      const s = await startServer(t, { maxTokenTtl: 60_000, defaultTokenTtl: 30_000 });
      const rest = s.rest({ protocol });
      await assert.rejects(rest.auth.requestToken({ ttl: 365 * 24 * 60 * 60 * 1000 }), rejected400);
      await assert.rejects(rest.auth.requestToken({ ttl: 60_001 }), rejected400);
      const atLimit = await rest.auth.requestToken({ ttl: 60_000 });
      assert.equal(atLimit.expires - atLimit.issued, 60_000);
    });
  }
});
