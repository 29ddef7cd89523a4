import { ErrorInfo } from '../errors/index.ts';
import type { Clock } from '../time/clock.ts';
import { parseCapability } from './capability.ts';
import { intersectCapabilities } from './capability-intersect.ts';
import { NonceMemory } from './nonce-memory.ts';
import { signToken } from './token.ts';
import { parseTokenRequest, type TokenParams, tokenRequestMac } from './token-request.ts';

/** Operations a token's capability may name (Ably's capability operations). */
const KNOWN_OPERATIONS = new Set([
  '*',
  'publish',
  'subscribe',
  'presence',
  'history',
  'channel-metadata',
  'statistics',
  'privileged-headers',
  'push-subscribe',
  'push-admin',
  'object-subscribe',
  'object-publish',
  'annotation-publish',
  'annotation-subscribe',
  'message-update-own',
  'message-update-any',
  'message-delete-own',
  'message-delete-any',
]);

/** Refuses (40003, HTTP 400) a requested capability Ably refuses: an empty or unknown operation, or `*` with others. */
function checkRequestedCapability(capability: Record<string, string[]>): void {
  for (const [resource, ops] of Object.entries(capability)) {
    if (ops.length === 0) throw ErrorInfo.of('invalidParameter', `capability for "${resource}" lists no operations`);
    const unknown = ops.find((op) => !KNOWN_OPERATIONS.has(op));
    if (unknown !== undefined) throw ErrorInfo.of('invalidParameter', `unknown capability operation "${unknown}"`);
    if (ops.includes('*') && ops.length > 1) throw ErrorInfo.of('invalidParameter', `"*" for "${resource}" must stand alone`);
  }
}

/** The TokenDetails the SDK expects from requestToken (it recognises them by `issued`). */
export interface TokenDetails {
  token: string;
  keyName: string;
  issued: number;
  expires: number;
  /** Capability as a JSON string, like Ably's. */
  capability: string;
  clientId?: string;
}

/** The key facts the issuer needs; Authenticator's RegisteredKey satisfies it. */
export interface SigningKey {
  name: string;
  secret: string;
  capability: Record<string, string[]>;
}

export interface TokenIssuerOptions {
  /** How far a TokenRequest timestamp may be from our clock, ms. */
  tokenRequestWindow: number;
  defaultTokenTtl: number;
  maxTokenTtl: number;
  /** Most TokenRequest nonces remembered for replay protection. */
  nonceMemorySize: number;
  maxClientIdLength: number;
}

/**
 * Issues self-contained tokens for `POST /keys/{keyName}/requestToken`: from a signed TokenRequest (MAC, timestamp
 * window, nonce not replayed) or for a caller that authenticated with the key itself. The token's capability is
 * the intersection of the requested one and the key's.
 */
export class TokenIssuer {
  private readonly nonces: NonceMemory;

  constructor(
    private readonly keyByName: (name: string) => SigningKey | undefined,
    private readonly clock: Clock,
    private readonly options: TokenIssuerOptions,
    private readonly secretsEqual: (a: string, b: string) => boolean,
  ) {
    this.nonces = new NonceMemory(options.nonceMemorySize);
  }

  /** Verifies a signed TokenRequest for `pathKeyName` and issues its token. Throws 401xx ErrorInfo on failure. */
  fromSignedRequest(pathKeyName: string, body: unknown): TokenDetails {
    const request = parseTokenRequest(body);
    if (request.keyName !== pathKeyName) throw ErrorInfo.of('invalidCredentials', 'keyName does not match the URL');
    const key = this.keyByName(request.keyName);
    if (!key) throw ErrorInfo.of('keyError', `key ${request.keyName} not recognised`);
    if (!this.secretsEqual(request.mac, tokenRequestMac(request, key.secret))) {
      throw ErrorInfo.of('invalidCredentials', 'TokenRequest MAC does not match');
    }
    const now = this.clock.now();
    const window = this.options.tokenRequestWindow;
    if (Math.abs(now - request.timestamp) > window) throw ErrorInfo.of('timestampNotCurrent');
    if (!this.nonces.remember(key.name, request.nonce, request.timestamp + window, now)) throw ErrorInfo.of('nonceReplayed');
    const ttl = request.ttl === undefined ? undefined : Number(request.ttl);
    if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0))
      throw ErrorInfo.of('invalidParameter', 'ttl must be a positive integer');
    return this.issue(key, { ttl, capability: request.capability, clientId: request.clientId });
  }

  /** Issues a token for a caller that proved possession of the key (Basic auth). */
  issue(key: SigningKey, params: TokenParams): TokenDetails {
    let capability = key.capability;
    if (params.capability !== undefined) {
      const requested = parseCapability(params.capability);
      if (!requested) throw ErrorInfo.of('invalidParameter', 'capability must be a JSON object of resource → operations');
      checkRequestedCapability(requested);
      capability = intersectCapabilities(requested, key.capability);
      if (Object.keys(capability).length === 0) {
        throw ErrorInfo.of('capabilityDenied', 'requested capability has nothing in common with the key');
      }
    }
    const clientId = params.clientId;
    if (clientId !== undefined && (clientId.length === 0 || clientId.length > this.options.maxClientIdLength)) {
      throw ErrorInfo.of('invalidClientId', `clientId must be 1..${this.options.maxClientIdLength} characters`);
    }
    // A ttl beyond the limit is refused rather than shortened, as Ably does (ably-js `Should error with excessive ttl`).
    if (params.ttl !== undefined && params.ttl > this.options.maxTokenTtl) {
      throw ErrorInfo.of('invalidParameter', `ttl exceeds the maximum of ${this.options.maxTokenTtl} ms`);
    }
    const issued = this.clock.now();
    const expires = issued + (params.ttl ?? this.options.defaultTokenTtl);
    const token = signToken({ keyName: key.name, clientId, capability, issued, expires }, key.secret);
    const details: TokenDetails = { token, keyName: key.name, issued, expires, capability: JSON.stringify(capability) };
    if (clientId !== undefined) details.clientId = clientId;
    return details;
  }
}
