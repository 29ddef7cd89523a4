import type { IncomingMessage } from 'node:http';
import { parseApiKey } from '../auth/api-key.ts';
import { secretsEqual } from '../auth/authenticator.ts';
import type { Capability } from '../auth/capability.ts';
import type { SigningKey, TokenDetails } from '../auth/token-issuer.ts';
import { ErrorInfo } from '../errors/index.ts';
import type { Node } from '../node/node.ts';
import { authenticateRequest } from '../rest/rest-auth.ts';

/** What a dashboard token may do: watch (presence and its history) and list channels, never publish or enter. */
export const DASHBOARD_CAPABILITY: Capability = { '*': ['subscribe', 'history', 'channel-metadata'] };

/** What the login answers: a token the page uses for everything (SDK, event stream, REST), and its app. */
export interface DashboardLogin extends Pick<TokenDetails, 'token' | 'expires'> {
  appId: string;
  keyName: string;
  capability: string;
}

const grantsMetadata = (capability: Capability): boolean =>
  Object.values(capability).some((ops) => ops.includes('*') || ops.includes('channel-metadata'));

/**
 * `POST /dashboard/api/login`: exchanges what the operator typed for a read-only token.
 * - An API key (Basic auth): a token cut from that key with {@link DASHBOARD_CAPABILITY} ∩ the key's capability.
 * - The configured `dashboardToken` (Bearer): the same, cut from the first configured key.
 * - An Ably token or JWT (Bearer): accepted as it is, until it expires.
 * The result must grant `channel-metadata` somewhere, or the channel list would be empty: 40160.
 */
export async function dashboardLogin(node: Node, req: IncomingMessage): Promise<DashboardLogin> {
  const [scheme, value = ''] = (req.headers.authorization ?? '').split(' ', 2);
  const configured = node.config.dashboardToken;
  if (configured !== undefined && scheme?.toLowerCase() === 'bearer') {
    const typed = Buffer.from(value, 'base64').toString('utf8');
    if (secretsEqual(typed, configured)) return fromKey(node, firstKey(node));
  }
  const identity = await authenticateRequest(node, req, new URLSearchParams());
  if (identity.viaKey) {
    const key = node.auth.keyByName(identity.keyName);
    if (!key) throw ErrorInfo.of('keyError', `key ${identity.keyName} not recognised`);
    return fromKey(node, key);
  }
  if (!grantsMetadata(identity.capability)) throw denied();
  const token = Buffer.from(value, 'base64').toString('utf8');
  return {
    token: /^[\x20-\x7e]+$/.test(token) ? token : value,
    expires: identity.expires ?? node.clock.now(),
    appId: identity.appId,
    keyName: identity.keyName,
    capability: JSON.stringify(identity.capability),
  };
}

function fromKey(node: Node, key: SigningKey): DashboardLogin {
  const details = node.auth.issuer.issue(key, { capability: JSON.stringify(DASHBOARD_CAPABILITY) });
  if (!grantsMetadata(JSON.parse(details.capability) as Capability)) throw denied();
  const appId = key.name.slice(0, key.name.indexOf('.'));
  return { token: details.token, expires: details.expires, appId, keyName: key.name, capability: details.capability };
}

function firstKey(node: Node): SigningKey {
  const first = node.config.keys[0];
  const parsed = first ? parseApiKey(first.key) : undefined;
  const key = parsed ? node.auth.keyByName(parsed.name) : undefined;
  if (!key) throw ErrorInfo.of('keyError', 'dashboardToken needs at least one configured key to sign with');
  return key;
}

const denied = (): ErrorInfo => ErrorInfo.of('capabilityDenied', 'the dashboard needs a key or token granting channel-metadata');
