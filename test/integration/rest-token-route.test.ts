import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PROTOCOLS, startServer } from '../helpers/server.ts';

describe('REST token route answers other methods as Ably does', () => {
  for (const protocol of PROTOCOLS) {
    test(`GET /keys/{key}/requestToken is 404 40400, not 405 (${protocol})`, async (t) => {
      const s = await startServer(t);
      const res = await s.rest({ protocol }).request('get', '/keys/testapp.key1/requestToken', 3, null, null, null);
      assert.equal(res.success, false);
      assert.equal(res.statusCode, 404);
      assert.equal(res.errorCode, 40400);
      assert.ok(res.errorMessage);
    });
  }
});
