import type { IncomingMessage } from 'node:http';
import type { Identity } from '../auth/identity.ts';
import { ErrorInfo } from '../errors/index.ts';
import type { Node } from '../node/node.ts';

/**
 * REST credentials: `Basic base64(keyName:secret)` or `Bearer base64(token)` (the SDK base64-encodes tokens;
 * a raw token is accepted too). An `X-Ably-ClientId` header (base64) names the acting clientId.
 */
export async function authenticateRequest(node: Node, req: IncomingMessage, query: URLSearchParams): Promise<Identity> {
  const header = req.headers.authorization ?? '';
  const clientIdHeader = req.headers['x-ably-clientid'];
  const clientId = typeof clientIdHeader === 'string' ? Buffer.from(clientIdHeader, 'base64').toString('utf8') : undefined;
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'basic') {
    return node.auth.authenticate({ key: Buffer.from(value, 'base64').toString('utf8'), clientId });
  }
  if (scheme?.toLowerCase() === 'bearer') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const accessToken = /^[\x20-\x7e]+$/.test(decoded) && decoded.length > 0 ? decoded : value;
    return node.auth.authenticate({ accessToken, clientId });
  }
  const key = query.get('key');
  if (key) return node.auth.authenticate({ key, clientId });
  const token = query.get('access_token') ?? query.get('accessToken');
  if (token) return node.auth.authenticate({ accessToken: token, clientId });
  throw ErrorInfo.of('noCredentials', 'no Authorization header');
}
