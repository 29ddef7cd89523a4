import { decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { ErrorInfo } from '../errors/index.ts';
import { dateAt } from '../time/date.ts';
import { type Capability, parseCapability } from './capability.ts';

/** What an Ably JWT grants once verified (Ably §6.4). */
export interface JwtGrant {
  keyName: string;
  clientId?: string;
  capability: Capability;
  /** ms since epoch */
  issued: number;
  /** ms since epoch */
  expires: number;
}

/** A JWT is three base64url parts; Rollcall's own tokens have two. */
export function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

const encoder = new TextEncoder();

/**
 * Verifies an Ably JWT with jose: HS256 only, `kid` names a configured key whose secret signed it, `iat`/`exp`
 * required and `exp` checked against `now` (the injected Clock), `x-ably-capability` a JSON capability string.
 * Wrong format, signature or algorithm → 40144; unknown kid → 40101, or 40400 when not even its app exists (as on
 * Ably, which ably-js's `JWT request with invalid key` checks); expired → 40142.
 */
export async function verifyJwt(
  token: string,
  secretFor: (keyName: string) => string | undefined,
  now: number,
  appKnown: (appId: string) => boolean = () => true,
): Promise<JwtGrant> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw ErrorInfo.of('invalidJwt', 'malformed JWT');
  }
  // Checked before any key lookup so `alg: none` and asymmetric-algorithm confusion never reach verification.
  if (header.alg !== 'HS256') throw ErrorInfo.of('invalidJwt', `JWT alg must be HS256, got ${String(header.alg)}`);
  const keyName = header.kid;
  const secret = typeof keyName === 'string' ? secretFor(keyName) : undefined;
  if (keyName === undefined || secret === undefined) {
    const appId = typeof keyName === 'string' ? keyName.split('.')[0] : undefined;
    if (appId !== undefined && keyName?.includes('.') && !appKnown(appId)) {
      throw ErrorInfo.of('notFound', `no app ${appId} for the JWT's key`);
    }
    throw ErrorInfo.of('invalidCredentials', 'JWT kid is not a known key');
  }
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, encoder.encode(secret), {
      algorithms: ['HS256'],
      requiredClaims: ['iat', 'exp', 'x-ably-capability'],
      currentDate: dateAt(now),
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw ErrorInfo.of('tokenExpired', 'JWT expired');
    throw ErrorInfo.of('invalidJwt', err instanceof errors.JOSEError ? err.code : 'JWT verification failed');
  }
  const capability = parseCapability(payload['x-ably-capability']);
  if (typeof payload['x-ably-capability'] !== 'string' || !capability) {
    throw ErrorInfo.of('invalidJwt', 'x-ably-capability must be a JSON capability string');
  }
  const clientId = payload['x-ably-clientId'];
  if (clientId !== undefined && (typeof clientId !== 'string' || clientId.length === 0)) {
    throw ErrorInfo.of('invalidJwt', 'x-ably-clientId must be a non-empty string');
  }
  return {
    keyName,
    clientId: clientId as string | undefined,
    capability,
    issued: (payload.iat as number) * 1000,
    expires: (payload.exp as number) * 1000,
  };
}
