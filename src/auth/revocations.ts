import { ErrorInfo } from '../errors/index.ts';

/** One revocation: tokens of a key for one target issued before `issuedBefore` stop working at `appliesAt`. */
export interface Revocation {
  issuedBefore: number;
  appliesAt: number;
}

/** The outcome for one target of a `revokeTokens` request, as the SDK reads it (TokenRevocationResult). */
export type RevocationResult =
  | { target: string; issuedBefore: number; appliesAt: number }
  | { target: string; error: ReturnType<ErrorInfo['toWire']> };

/**
 * Token revocations (Ably RSA17) for keys with `revocableTokens`; targets are `clientId:<id>`. The latest
 * revocation of a target wins (a later revocation covers a later issuedBefore). In cluster mode every node sees
 * every revocation: a revoked token is refused on any node and its live connections end wherever they are.
 */
export interface TokenRevocations {
  /** Records revocations for `keyName`; each target succeeds or fails on its own (400 for an unknown type). */
  revoke(keyName: string, targets: string[], issuedBefore: number, appliesAt: number): Promise<RevocationResult[]>;
  /** Whether a token of `keyName` for `clientId` issued at `issued` is revoked at `now` (checked when a token is presented). */
  isRevoked(keyName: string, clientId: string | null | undefined, issued: number, now: number): Promise<boolean>;
  /**
   * The same question answered from what this node already knows, without waiting: for the sweep over live
   * connections. A revocation made on another node is known here once it has been announced (milliseconds).
   */
  isKnownRevoked(keyName: string, clientId: string | null | undefined, issued: number, now: number): boolean;
}

/** Splits the targets of a request into the ones that can be revoked and an error result for each that cannot. */
export function checkTargets(targets: string[]): Array<{ target: string; error?: ReturnType<ErrorInfo['toWire']> }> {
  return targets.map((target) => {
    const colon = target.indexOf(':');
    if (colon < 0 || target.slice(0, colon) !== 'clientId' || colon === target.length - 1) {
      return { target, error: ErrorInfo.of('invalidParameter', `cannot revoke by "${target}": use clientId:<id>`).toWire() };
    }
    return { target };
  });
}

/** The entry a revocation of `keyName` for `target` is held under (one per key and target). */
export const revocationId = (keyName: string, target: string): string => `${keyName}\n${target}`;

/** The entry to look up for a token's clientId; undefined for a token without one (nothing to revoke it by). */
export const revocationIdOf = (keyName: string, clientId: string | null | undefined): string | undefined =>
  clientId ? revocationId(keyName, `clientId:${clientId}`) : undefined;

/** Whether a token issued at `issued` falls under the revocation at `now`. */
export const covers = (r: Revocation | undefined, issued: number, now: number): boolean =>
  r !== undefined && now >= r.appliesAt && issued < r.issuedBefore;
