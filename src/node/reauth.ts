import type { Connection } from '../connection/connection.ts';
import { ErrorInfo } from '../errors/index.ts';
import { Action, type ProtocolMessage } from '../protocol/index.ts';
import type { Node } from './node.ts';

/**
 * In-band AUTH (RTN22): new credentials for a live connection. Success is answered with CONNECTED (same
 * connectionId and key, §1.4); a token for another clientId fails the connection with 40102.
 */
export async function reauthorize(node: Node, conn: Connection, message: ProtocolMessage): Promise<void> {
  try {
    const accessToken = message.auth?.accessToken;
    if (!accessToken) throw ErrorInfo.of('noCredentials', 'AUTH without accessToken');
    const identity = node.auth.authenticate({ accessToken, clientId: conn.clientId ?? undefined });
    if (identity.appId !== conn.identity.appId || identity.clientId !== conn.clientId) {
      throw ErrorInfo.of('incompatibleCredentials', 'new token is for a different clientId or app');
    }
    conn.identity = identity;
    node.sendConnected(conn);
  } catch (err) {
    conn.send({ action: Action.ERROR, error: ErrorInfo.from(err).toWire() });
    const transport = conn.transport;
    await node.dispose(conn);
    transport?.close(1000, 'authentication failed');
  }
}
