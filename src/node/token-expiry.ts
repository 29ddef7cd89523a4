import type { Connection } from '../connection/connection.ts';
import { ErrorInfo } from '../errors/index.ts';
import { Action } from '../protocol/index.ts';
import type { Node } from './node.ts';

/** The token expiry each connection was last asked (AUTH) to renew, so it is asked once per token. */
const asked = new WeakMap<Connection, number>();

/**
 * Token expiry for a connected client, run from the liveness sweep (no timer per connection). Shortly before the
 * token expires (tokenRenewLead, at most half the token's lifetime, so short tokens do not loop) the server sends
 * AUTH and the SDK re-authorizes in band; at expiry a client that has not renewed gets DISCONNECTED 40142 and the
 * transport closes. The connection state and its members stay (an abrupt-drop), so the SDK's renewal and resume
 * (same connectionId) goes unnoticed by other members. Returns true when the transport was closed.
 */
export function checkTokenExpiry(node: Node, conn: Connection, now: number): boolean {
  const expires = conn.identity.expires;
  const transport = conn.transport;
  if (expires === undefined || !transport || conn.state !== 'connected') return false;
  if (now >= expires) {
    conn.send({ action: Action.DISCONNECTED, error: ErrorInfo.of('tokenExpired').toWire() });
    transport.close(1000, 'token expired');
    node.transportLost(conn, transport, 'token expired');
    return true;
  }
  const lead = Math.min(node.config.tokenRenewLead, (expires - (conn.identity.issued ?? expires)) / 2);
  if (now >= expires - lead && asked.get(conn) !== expires) {
    asked.set(conn, expires);
    conn.send({ action: Action.AUTH });
  }
  return false;
}
