import { timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/index.ts';
import { ErrorInfo } from '../errors/index.ts';
import type { Clock } from '../time/clock.ts';
import { type ApiKey, parseApiKey } from './api-key.ts';
import { ALL_CAPABILITY, type Capability } from './capability.ts';
import { intersectCapabilities } from './capability-intersect.ts';
import type { Identity } from './identity.ts';
import { looksLikeJwt, verifyJwt } from './jwt.ts';
import type { TokenRevocations } from './revocations.ts';
import { expectedSignature, readToken } from './token.ts';
import { TokenIssuer } from './token-issuer.ts';

/** Credentials as presented by a client (query string on WS, Authorization header on REST). */
export interface Credentials {
  key?: string;
  accessToken?: string;
  /** The clientId the client asks to act as (query `clientId` / `X-Ably-ClientId`). */
  clientId?: string;
}

export interface RegisteredKey extends ApiKey {
  capability: Capability;
  /** Tokens issued with this key can be revoked. */
  revocableTokens: boolean;
}

/** Constant-time string comparison, so secrets cannot be guessed byte by byte from timing. */
export function secretsEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** What a verified token (Rollcall token or JWT) grants, before the requested clientId is bound. */
interface TokenGrant {
  keyName: string;
  clientId?: string;
  capability: Capability;
  issued: number;
  expires: number;
}

export type AuthConfig = Pick<
  Config,
  'keys' | 'tokenRequestWindow' | 'defaultTokenTtl' | 'maxTokenTtl' | 'nonceMemorySize' | 'maxClientIdLength'
>;

/**
 * Verifies credentials against the configured keys; used by both realtime and REST. Key auth and Rollcall tokens
 * are checked synchronously; JWT verification (jose) is asynchronous, hence the Promise.
 */
export class Authenticator {
  private readonly keys = new Map<string, RegisteredKey>();
  /** Issues tokens for POST /keys/{keyName}/requestToken. */
  readonly issuer: TokenIssuer;
  constructor(
    config: AuthConfig,
    private readonly clock: Clock,
    /** Revocations of tokens issued with revocable keys (POST /keys/{keyName}/revokeTokens). */
    readonly revocations: TokenRevocations,
  ) {
    for (const k of config.keys) {
      const parsed = parseApiKey(k.key);
      if (parsed) {
        this.keys.set(parsed.name, {
          ...parsed,
          capability: k.capability ?? ALL_CAPABILITY,
          revocableTokens: k.revocableTokens === true,
        });
      }
    }
    this.issuer = new TokenIssuer((name) => this.keys.get(name), clock, config, secretsEqual);
  }

  keyByName(name: string): RegisteredKey | undefined {
    return this.keys.get(name);
  }

  /** Resolves the Identity; rejects with ErrorInfo (401xx, or 40012 for a bad clientId) otherwise. */
  async authenticate(credentials: Credentials): Promise<Identity> {
    if (credentials.clientId === '*') throw ErrorInfo.of('invalidClientId', 'clientId "*" is reserved');
    if (credentials.key !== undefined) return this.withKey(credentials.key, credentials.clientId);
    if (credentials.accessToken !== undefined) {
      const token = credentials.accessToken;
      const grant = looksLikeJwt(token)
        ? await verifyJwt(
            token,
            (name) => this.keys.get(name)?.secret,
            this.clock.now(),
            (appId) => [...this.keys.values()].some((k) => k.appId === appId),
          )
        : this.verifyToken(token);
      return await this.withGrant(grant, credentials.clientId);
    }
    throw ErrorInfo.of('noCredentials', 'no key or token supplied');
  }

  private withKey(key: string, clientId: string | undefined): Identity {
    const parsed = parseApiKey(key);
    if (!parsed) throw ErrorInfo.of('invalidCredentials', 'malformed key');
    const registered = this.keys.get(parsed.name);
    // Ably answers an unknown key like a wrong secret (40101), and SDK suites expect it (ably-js invalid_cred_failure);
    // 40130 stays for TokenRequests that name an unknown key.
    if (!registered) throw ErrorInfo.of('invalidCredentials', `key ${parsed.name} not recognised`);
    if (!secretsEqual(parsed.secret, registered.secret)) throw ErrorInfo.of('invalidCredentials', 'wrong key secret');
    return {
      appId: registered.appId,
      keyName: registered.name,
      clientId: clientId ?? null,
      capability: registered.capability,
      viaKey: true,
    };
  }

  /** A Rollcall token: signature by a known key's secret, then expiry against the Clock. */
  private verifyToken(token: string): TokenGrant {
    const parsed = readToken(token);
    const key = this.keys.get(parsed.claims.keyName);
    if (!key || !secretsEqual(parsed.signature, expectedSignature(parsed, key.secret))) {
      throw ErrorInfo.of('tokenUnrecognised');
    }
    return parsed.claims;
  }

  /**
   * Binds the clientId (Ably §6.5): a concrete token clientId is the identity and a different requested one is
   * refused (40102); a `*` token takes the requested clientId (or stays `*`) and may act as anyone; an anonymous
   * token cannot name a clientId. The capability is re-intersected with the key's current one, so narrowing a
   * key in config narrows the tokens already issued under it.
   */
  private async withGrant(grant: TokenGrant, requested: string | undefined): Promise<Identity> {
    const key = this.keys.get(grant.keyName);
    if (!key) throw ErrorInfo.of('tokenUnrecognised');
    if (grant.expires <= this.clock.now()) throw ErrorInfo.of('tokenExpired');
    if (key.revocableTokens && (await this.revocations.isRevoked(key.name, grant.clientId, grant.issued, this.clock.now()))) {
      throw ErrorInfo.of('tokenRevoked');
    }
    let clientId: string | null;
    if (grant.clientId === '*') clientId = requested ?? '*';
    else if (requested !== undefined && requested !== grant.clientId) {
      throw ErrorInfo.of('incompatibleCredentials', `clientId ${requested} does not match the token's clientId`);
    } else clientId = grant.clientId ?? null;
    return {
      appId: key.appId,
      keyName: key.name,
      clientId,
      capability: intersectCapabilities(grant.capability, key.capability),
      viaKey: false,
      wildcard: grant.clientId === '*',
      issued: grant.issued,
      expires: grant.expires,
    };
  }
}
