import {
  checkTargets,
  covers,
  type Revocation,
  type RevocationResult,
  revocationId,
  revocationIdOf,
  type TokenRevocations,
} from '../../auth/revocations.ts';

/** Revocations in process memory. Single node only: other nodes neither refuse the tokens nor end their connections. */
export class MemoryTokenRevocations implements TokenRevocations {
  private readonly byTarget = new Map<string, Revocation>();

  async revoke(keyName: string, targets: string[], issuedBefore: number, appliesAt: number): Promise<RevocationResult[]> {
    return checkTargets(targets).map(({ target, error }) => {
      if (error) return { target, error };
      this.byTarget.set(revocationId(keyName, target), { issuedBefore, appliesAt });
      return { target, issuedBefore, appliesAt };
    });
  }

  async isRevoked(keyName: string, clientId: string | null | undefined, issued: number, now: number): Promise<boolean> {
    return this.isKnownRevoked(keyName, clientId, issued, now);
  }

  isKnownRevoked(keyName: string, clientId: string | null | undefined, issued: number, now: number): boolean {
    const id = revocationIdOf(keyName, clientId);
    return id !== undefined && covers(this.byTarget.get(id), issued, now);
  }
}
