import { ErrorInfo } from '../errors/index.ts';

/** One revocation: tokens of `keyName` for `clientId` issued before `issuedBefore` stop working at `appliesAt`. */
interface Revocation {
  issuedBefore: number;
  appliesAt: number;
}

/** The outcome for one target of a `revokeTokens` request, as the SDK reads it (TokenRevocationResult). */
export type RevocationResult =
  | { target: string; issuedBefore: number; appliesAt: number }
  | { target: string; error: ReturnType<ErrorInfo['toWire']> };

/**
 * Token revocation (Ably RSA17) for keys with `revocableTokens`: targets `clientId:<id>`. Kept in memory per
 * server (single node); the latest revocation per target wins, as a later revocation covers a later issuedBefore.
 */
export class TokenRevocations {
  private readonly byTarget = new Map<string, Revocation>();

  /** Records revocations for `keyName`; each target succeeds or fails on its own (400 for an unknown type). */
  revoke(keyName: string, targets: string[], issuedBefore: number, appliesAt: number): RevocationResult[] {
    return targets.map((target) => {
      const [type, value] = [target.slice(0, target.indexOf(':')), target.slice(target.indexOf(':') + 1)];
      if (type !== 'clientId' || !target.includes(':') || value === '') {
        return { target, error: ErrorInfo.of('invalidParameter', `cannot revoke by "${target}": use clientId:<id>`).toWire() };
      }
      this.byTarget.set(`${keyName}\n${target}`, { issuedBefore, appliesAt });
      return { target, issuedBefore, appliesAt };
    });
  }

  /** Whether a token of `keyName` for `clientId` issued at `issued` is revoked at `now`. */
  isRevoked(keyName: string, clientId: string | null | undefined, issued: number, now: number): boolean {
    if (!clientId) return false;
    const r = this.byTarget.get(`${keyName}\nclientId:${clientId}`);
    return r !== undefined && now >= r.appliesAt && issued < r.issuedBefore;
  }
}
