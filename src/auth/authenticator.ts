import { timingSafeEqual } from 'node:crypto';
import type { KeyConfig } from '../config/index.ts';
import { ErrorInfo } from '../errors/index.ts';
import { type ApiKey, parseApiKey } from './api-key.ts';
import { ALL_CAPABILITY, type Capability } from './capability.ts';
import type { Identity } from './identity.ts';

/** Credentials as presented by a client (query string on WS, Authorization header on REST). */
export interface Credentials {
  key?: string;
  accessToken?: string;
  clientId?: string;
}

export interface RegisteredKey extends ApiKey {
  capability: Capability;
}

/** Constant-time string comparison, so secrets cannot be guessed byte by byte from timing. */
export function secretsEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** Verifies credentials against the configured keys; used by both realtime and REST. */
export class Authenticator {
  private readonly keys = new Map<string, RegisteredKey>();

  constructor(keys: KeyConfig[]) {
    for (const k of keys) {
      const parsed = parseApiKey(k.key);
      if (parsed) this.keys.set(parsed.name, { ...parsed, capability: k.capability ?? ALL_CAPABILITY });
    }
  }

  keyByName(name: string): RegisteredKey | undefined {
    return this.keys.get(name);
  }

  /** Throws ErrorInfo (401xx) when the credentials are missing, unknown or wrong. */
  authenticate(credentials: Credentials): Identity {
    if (credentials.clientId === '*') throw ErrorInfo.of('invalidClientId', 'clientId "*" is reserved');
    if (credentials.key !== undefined) return this.withKey(credentials.key, credentials.clientId);
    if (credentials.accessToken !== undefined) throw ErrorInfo.of('tokenUnrecognised');
    throw ErrorInfo.of('noCredentials', 'no key or token supplied');
  }

  private withKey(key: string, clientId: string | undefined): Identity {
    const parsed = parseApiKey(key);
    if (!parsed) throw ErrorInfo.of('invalidCredentials', 'malformed key');
    const registered = this.keys.get(parsed.name);
    if (!registered) throw ErrorInfo.of('keyError', `key ${parsed.name} not recognised`);
    if (!secretsEqual(parsed.secret, registered.secret)) throw ErrorInfo.of('invalidCredentials', 'wrong key secret');
    return {
      appId: registered.appId,
      keyName: registered.name,
      clientId: clientId ?? null,
      capability: registered.capability,
      viaKey: true,
    };
  }
}
