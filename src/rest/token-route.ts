import { isSignedTokenRequest, parseTokenParams } from '../auth/token-request.ts';
import { ErrorInfo } from '../errors/index.ts';
import { authed, type RestRequest } from './context.ts';
import { readBody } from './read-body.ts';
import { sendBody } from './respond.ts';

/**
 * `POST /keys/{keyName}/requestToken` (Ably §6.3): a signed TokenRequest needs no Authorization header (the MAC
 * proves the key); plain token params need Basic auth with that same key. Answers TokenDetails as JSON, which the
 * SDK parses whatever format it uses elsewhere.
 */
export async function requestToken(r: RestRequest, rawKeyName: string): Promise<void> {
  let keyName: string;
  try {
    keyName = decodeURIComponent(rawKeyName);
  } catch {
    throw ErrorInfo.of('invalidCredentials', 'malformed key name');
  }
  const body = await readBody(r.req, r.node.config.maxFrameSize);
  const issuer = r.node.auth.issuer;
  if (isSignedTokenRequest(body)) return sendBody(r.req, r.res, r.query, 200, issuer.fromSignedRequest(keyName, body));
  const { identity } = await authed(r);
  const key = r.node.auth.keyByName(keyName);
  if (!identity.viaKey || identity.keyName !== keyName || !key) {
    throw ErrorInfo.of('invalidCredentials', 'requestToken without a TokenRequest needs Basic auth with the same key');
  }
  sendBody(r.req, r.res, r.query, 200, issuer.issue(key, parseTokenParams(body)));
}
