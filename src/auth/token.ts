import { createHmac } from 'node:crypto';
import { ErrorInfo } from '../errors/index.ts';
import { type Capability, parseCapability } from './capability.ts';

/** What a Rollcall token says about its bearer. Signed with the issuing key's secret, so any node can check it. */
export interface TokenClaims {
  keyName: string;
  /** Concrete clientId, `*` (may be any), or undefined (anonymous). */
  clientId?: string;
  capability: Capability;
  /** ms since epoch */
  issued: number;
  /** ms since epoch */
  expires: number;
}

// A label inside the MAC so a token signature can never be confused with a TokenRequest MAC made with the same secret.
const MAC_CONTEXT = 'rollcall-token-v1\n';

function mac(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(MAC_CONTEXT).update(payload).digest('base64url');
}

/**
 * Encodes and signs a token: `base64url(JSON claims).base64url(HMAC-SHA256(secret, payload))`. Two dot-separated
 * parts, so it is never mistaken for a JWT (three parts). Self-contained: verification needs only the key.
 */
export function signToken(claims: TokenClaims, secret: string): string {
  const payload = Buffer.from(
    JSON.stringify({
      keyName: claims.keyName,
      clientId: claims.clientId,
      capability: JSON.stringify(claims.capability),
      issued: claims.issued,
      expires: claims.expires,
    }),
  ).toString('base64url');
  return `${payload}.${mac(payload, secret)}`;
}

/** A token split into its claims and signature, not yet verified. */
export interface UnverifiedToken {
  claims: TokenClaims;
  payload: string;
  signature: string;
}

/** Parses a token's claims without checking the signature; 40143 when it is not a Rollcall token at all. */
export function readToken(token: string): UnverifiedToken {
  const unrecognised = () => ErrorInfo.of('tokenUnrecognised');
  const parts = token.split('.');
  if (parts.length !== 2) throw unrecognised();
  const [payload, signature] = parts as [string, string];
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw unrecognised();
  }
  if (typeof raw !== 'object' || raw === null) throw unrecognised();
  const r = raw as Record<string, unknown>;
  const capability = parseCapability(r.capability);
  if (
    typeof r.keyName !== 'string' ||
    (r.clientId !== undefined && typeof r.clientId !== 'string') ||
    !capability ||
    typeof r.issued !== 'number' ||
    typeof r.expires !== 'number'
  ) {
    throw unrecognised();
  }
  return {
    claims: { keyName: r.keyName, clientId: r.clientId as string | undefined, capability, issued: r.issued, expires: r.expires },
    payload,
    signature,
  };
}

/** The signature a token with this payload must carry under `secret` (compare with secretsEqual). */
export function expectedSignature(token: UnverifiedToken, secret: string): string {
  return mac(token.payload, secret);
}
