import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { TokenRevocations } from '../../auth/revocations.ts';

export interface TokenRevocationsContractOptions {
  name: string;
  /**
   * Two handles on one backend, as two nodes would hold, and `later()`: a handle started after the revocations
   * were made, as a node joining the cluster (memory: the same one each time).
   */
  create(t: TestContext): Promise<{ revocations: TokenRevocations; peer: TokenRevocations; later(): Promise<TokenRevocations> }>;
  skipAll?: string | false;
}

const KEY = 'app.key';

/** The TokenRevocations contract: every backend runs it. */
export function runTokenRevocationsContract(o: TokenRevocationsContractOptions): void {
  describe(`TokenRevocations contract: ${o.name}`, { skip: o.skipAll || false }, () => {
    it('a revocation on one handle is seen by the other when a token is presented, and by a later handle', async (t) => {
      const { revocations, peer, later } = await o.create(t);
      const results = await revocations.revoke(KEY, ['clientId:c1', 'clientId:c2', 'channel:x', 'clientId:'], 1000, 500);
      assert.deepEqual(
        results.map((r) =>
          'error' in r ? [r.target, r.error.code, r.error.statusCode] : [r.target, r.issuedBefore, r.appliesAt],
        ),
        [
          ['clientId:c1', 1000, 500],
          ['clientId:c2', 1000, 500],
          ['channel:x', 40003, 400],
          ['clientId:', 40003, 400],
        ],
      );
      assert.equal(await peer.isRevoked(KEY, 'c1', 999, 600), true);
      assert.equal(await peer.isRevoked(KEY, 'c2', 999, 600), true);
      assert.equal(await peer.isRevoked(KEY, 'c1', 1000, 600), false, 'issued at issuedBefore or later: not revoked');
      assert.equal(await peer.isRevoked(KEY, 'c1', 999, 499), false, 'not before appliesAt');
      assert.equal(await peer.isRevoked(KEY, 'c3', 999, 600), false, 'another clientId');
      assert.equal(await peer.isRevoked('app.other', 'c1', 999, 600), false, 'another key');
      assert.equal(await peer.isRevoked(KEY, undefined, 999, 600), false, 'a token without clientId');
      assert.equal(revocations.isKnownRevoked(KEY, 'c1', 999, 600), true, 'the revoking node knows at once');
      const joined = await later();
      assert.equal(joined.isKnownRevoked(KEY, 'c2', 999, 600), true, 'a node that starts later knows it');
      assert.equal(joined.isKnownRevoked(KEY, 'c3', 999, 600), false);
    });

    it('the latest revocation of a target wins', async (t) => {
      const { revocations, peer } = await o.create(t);
      await revocations.revoke(KEY, ['clientId:c'], 1000, 0);
      await peer.revoke(KEY, ['clientId:c'], 5000, 0);
      assert.equal(await revocations.isRevoked(KEY, 'c', 4000, 10), true);
      assert.equal(await peer.isRevoked(KEY, 'c', 5000, 10), false);
    });
  });
}
