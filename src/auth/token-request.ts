import { createHmac } from 'node:crypto';
import { ErrorInfo } from '../errors/index.ts';

/** A signed TokenRequest as the SDK POSTs it to `/keys/{keyName}/requestToken` (Ably §6.3). Raw field values. */
export interface TokenRequest {
  keyName: string;
  ttl?: string;
  capability?: string;
  clientId?: string;
  timestamp: number;
  nonce: string;
  mac: string;
}

/** Optional token parameters (a key-authenticated request, or the signed fields of a TokenRequest). */
export interface TokenParams {
  ttl?: number;
  capability?: string;
  clientId?: string;
}

const optText = (v: unknown, name: string): string | undefined => {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw ErrorInfo.of('invalidRequestBody', `${name} must be a string`);
};

/** Parses the token parameters of a request body: ttl (ms), capability (JSON string or object), clientId. */
export function parseTokenParams(body: unknown): TokenParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw ErrorInfo.of('invalidRequestBody', 'expected an object');
  const b = body as Record<string, unknown>;
  const ttlText = optText(b.ttl, 'ttl');
  const ttl = ttlText === undefined ? undefined : Number(ttlText);
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0))
    throw ErrorInfo.of('invalidParameter', 'ttl must be a positive integer');
  const capability =
    typeof b.capability === 'object' && b.capability !== null
      ? JSON.stringify(b.capability)
      : optText(b.capability, 'capability');
  if (b.clientId !== undefined && b.clientId !== null && typeof b.clientId !== 'string')
    throw ErrorInfo.of('invalidClientId', 'clientId must be a string');
  return { ttl, capability, clientId: (b.clientId as string | undefined) || undefined };
}

/** True when the body looks like a signed TokenRequest (it carries a `mac`) rather than plain token params. */
export function isSignedTokenRequest(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'mac' in body;
}

/** Parses a signed TokenRequest body; 40001 when fields are missing or of the wrong type. */
export function parseTokenRequest(body: unknown): TokenRequest {
  const b = body as Record<string, unknown>;
  const keyName = optText(b.keyName, 'keyName');
  const nonce = optText(b.nonce, 'nonce');
  const mac = optText(b.mac, 'mac');
  const timestamp = Number(b.timestamp);
  if (!keyName || !nonce || !mac || !Number.isFinite(timestamp)) {
    throw ErrorInfo.of('invalidRequestBody', 'TokenRequest needs keyName, timestamp, nonce and mac');
  }
  if (nonce.length < 16) throw ErrorInfo.of('invalidRequestBody', 'nonce must have at least 16 characters');
  return {
    keyName,
    ttl: optText(b.ttl, 'ttl'),
    capability: optText(b.capability, 'capability'),
    clientId: optText(b.clientId, 'clientId'),
    timestamp,
    nonce,
    mac,
  };
}

/**
 * The MAC the SDK computes (`auth.ts _createTokenRequestImpl`): base64 HMAC-SHA256 over the raw field values,
 * newline-separated, with a trailing newline.
 */
export function tokenRequestMac(r: TokenRequest, secret: string): string {
  const text = `${r.keyName}\n${r.ttl ?? ''}\n${r.capability ?? ''}\n${r.clientId ?? ''}\n${r.timestamp}\n${r.nonce}\n`;
  return createHmac('sha256', secret).update(text, 'utf8').digest('base64');
}
