import { ErrorInfo } from '../errors/index.ts';
import type { RestRequest } from './context.ts';
import { readBody } from './read-body.ts';
import { sendBody } from './respond.ts';
import { authenticateRequest } from './rest-auth.ts';

/**
 * `POST /keys/{keyName}/revokeTokens` (Ably RSA17, `rest.auth.revokeTokens`): with Basic auth by that key, revokes
 * its tokens for each `clientId:<id>` target issued before `issuedBefore` (default now), from now or, with
 * `allowReauthMargin`, after revocationReauthMargin. Answers `{successCount, failureCount, results}`.
 */
export async function revokeTokens(r: RestRequest, rawKeyName: string): Promise<void> {
  const identity = await authenticateRequest(r.node, r.req, r.query);
  const keyName = decodeURIComponent(rawKeyName);
  if (!identity.viaKey || identity.keyName !== keyName) {
    throw ErrorInfo.of('invalidCredentials', `revoking tokens needs Basic auth with the key ${keyName}`);
  }
  if (!r.node.auth.keyByName(keyName)?.revocableTokens) {
    throw ErrorInfo.of('badRequest', `key ${keyName} does not have revocableTokens enabled`);
  }
  const body = (await readBody(r.req, r.node.config.maxFrameSize)) as {
    targets?: unknown;
    issuedBefore?: unknown;
    allowReauthMargin?: unknown;
  };
  const targets = body?.targets;
  if (!Array.isArray(targets) || targets.length === 0 || !targets.every((t) => typeof t === 'string')) {
    throw ErrorInfo.of('invalidRequestBody', 'targets must be a non-empty list of "type:value" strings');
  }
  const now = r.node.clock.now();
  const issuedBefore = body.issuedBefore === undefined ? now : Number(body.issuedBefore);
  if (!Number.isFinite(issuedBefore)) throw ErrorInfo.of('invalidParameter', 'issuedBefore must be a timestamp in ms');
  const appliesAt = body.allowReauthMargin === true ? now + r.node.config.revocationReauthMargin : now;
  const results = await r.node.auth.revocations.revoke(keyName, targets as string[], issuedBefore, appliesAt);
  const failureCount = results.filter((x) => 'error' in x).length;
  sendBody(r.req, r.res, r.query, 201, { successCount: results.length - failureCount, failureCount, results });
}
