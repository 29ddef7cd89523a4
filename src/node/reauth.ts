import { grantModes, permittedModes } from '../channel/modes.ts';
import type { Connection } from '../connection/connection.ts';
import { ErrorInfo } from '../errors/index.ts';
import { Action, type ProtocolMessage } from '../protocol/index.ts';
import type { Node } from './node.ts';

/**
 * In-band AUTH (RTN22): new credentials for a live connection. Success replaces the identity (capability and
 * expiry) and is answered with CONNECTED (same connectionId and key, §1.4); a token for another clientId or app
 * fails the connection with 40102, as does any other credential error.
 */
export async function reauthorize(node: Node, conn: Connection, message: ProtocolMessage): Promise<void> {
  try {
    const accessToken = message.auth?.accessToken;
    if (!accessToken) throw ErrorInfo.of('noCredentials', 'AUTH without accessToken');
    // A wildcard connection never named a clientId, so there is none to hold the new token to.
    const clientId = conn.clientId === null || conn.clientId === '*' ? undefined : conn.clientId;
    const identity = await node.auth.authenticate({ accessToken, clientId });
    if (identity.appId !== conn.identity.appId || identity.clientId !== conn.clientId) {
      throw ErrorInfo.of('incompatibleCredentials', 'new token is for a different clientId or app');
    }
    if (conn.state === 'closed') return;
    conn.identity = identity;
    await regrantAttachments(node, conn);
    node.sendConnected(conn);
  } catch (err) {
    conn.send({ action: Action.ERROR, error: ErrorInfo.from(err).toWire() });
    const transport = conn.transport;
    await node.dispose(conn, 'reauthentication failed', 'failed');
    transport?.close(1000, 'authentication failed');
  }
}

/**
 * Applies a changed capability to existing attachments (Ably §1.11): each gets the modes it asked for that the new
 * capability permits, so an upgrade grants what was withheld (ably-js reauthCapabilityUpgradeAddPublish) and a
 * downgrade drops what is no longer allowed. A channel with none left gets a channel ERROR 40160 (the SDK fails
 * just that channel) and its members leave.
 */
async function regrantAttachments(node: Node, conn: Connection): Promise<void> {
  for (const att of [...conn.attachments.values()]) {
    const modes = grantModes(att.requestedModes, permittedModes(conn.identity.capability, att.name));
    if (modes !== 0) {
      att.modes = modes;
      continue;
    }
    node.removeAttachment(att);
    if (!att.derived) await node.presence.removeFromChannel(att.channel, conn.id);
    conn.send({
      action: Action.ERROR,
      channel: att.name,
      error: ErrorInfo.of('capabilityDenied', `new token has no access to channel ${att.name}`).toWire(),
    });
  }
}
