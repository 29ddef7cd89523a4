import type { Connection } from '../connection/connection.ts';
import { ErrorInfo } from '../errors/index.ts';
import { Action } from '../protocol/index.ts';
import type { Node } from './node.ts';

/** The token expiry each connection was last asked (AUTH) to renew, so it is asked once per token. */
const asked = new WeakMap<Connection, number>();

/**
 * Token expiry for a connected client, run from the liveness sweep (no timer per connection). `tokenRenewLead` before
 * the token expires the server sends AUTH and the SDK re-authorizes in band. As on Ably, a token that lives no longer
 * than the lead is never asked: a client holding only a token has no way to renew and would fail on AUTH (40171),
 * where Ably's SDK suites expect it to see DISCONNECTED 40142 at expiry (ably-js `auth_token_expires`). At expiry a client that has not renewed gets DISCONNECTED 40142 and the
 * transport closes. The connection state and its members stay (an abrupt-drop), so the SDK's renewal and resume
 * (same connectionId) goes unnoticed by other members. Returns true when the transport was closed.
 */
export function checkTokenExpiry(node: Node, conn: Connection, now: number): boolean {
  const { expires, issued, keyName, clientId } = conn.identity;
  const transport = conn.transport;
  if (expires === undefined || !transport || conn.state !== 'connected') return false;
  // A revoked token ends the connection like an expired one, with 40141; the SDK's reconnect is then refused.
  const revoked =
    issued !== undefined &&
    node.auth.keyByName(keyName)?.revocableTokens === true &&
    node.auth.revocations.isKnownRevoked(keyName, conn.identity.wildcard ? '*' : clientId, issued, now);
  if (now >= expires || revoked) {
    conn.send({ action: Action.DISCONNECTED, error: ErrorInfo.of(revoked ? 'tokenRevoked' : 'tokenExpired').toWire() });
    transport.close(1000, revoked ? 'token revoked' : 'token expired');
    node.transportLost(conn, transport, revoked ? 'token revoked' : 'token expired');
    return true;
  }
  const lead = node.config.tokenRenewLead;
  const lifetime = expires - (conn.identity.issued ?? expires);
  if (lead > 0 && lifetime > lead && now >= expires - lead && asked.get(conn) !== expires) {
    asked.set(conn, expires);
    conn.send({ action: Action.AUTH });
  }
  return false;
}
