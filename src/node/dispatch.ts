import type { Connection } from '../connection/connection.ts';
import { ErrorInfo } from '../errors/index.ts';
import { Action, type ProtocolMessage } from '../protocol/index.ts';
import { attach, detach, requestSync } from './attach.ts';
import type { Node } from './node.ts';
import { presence } from './presence-ops.ts';
import { publish } from './publish.ts';
import { reauthorize } from './reauth.ts';
import { withAck } from './with-ack.ts';

/**
 * Entry point for every inbound frame: size check, decode, rate limit, then the action's handler. Frames of one
 * connection are handled strictly in order, so ACKs and NACKs go out in msgSerial order. Nothing a client sends
 * can throw out of here.
 */
export function handleFrame(node: Node, conn: Connection, frame: Buffer, isBinary: boolean): void {
  conn.lastSeen = node.clock.now();
  let message: ProtocolMessage;
  try {
    message = conn.options.codec.decode(frame, isBinary);
  } catch (err) {
    conn.send({ action: Action.ERROR, error: ErrorInfo.from(err).toWire() });
    return;
  }
  const oversized = frame.length > node.config.maxFrameSize;
  const limited = !conn.rate.take();
  conn.inbound = conn.inbound
    .then(() => {
      if (conn.state === 'closed') return;
      if (oversized)
        return refuse(conn, message, ErrorInfo.of('messageTooLarge', `frame exceeds ${node.config.maxFrameSize} bytes`));
      if (limited)
        return refuse(conn, message, ErrorInfo.of('rateLimited', `more than ${node.config.maxInboundRate} messages per second`));
      return route(node, conn, message);
    })
    .catch(node.fail);
}

/** Rejects a frame: a NACK if it carries a msgSerial (so the ACK sequence stays whole), else a non-channel ERROR. */
function refuse(conn: Connection, message: ProtocolMessage, error: ErrorInfo): void {
  if (message.msgSerial !== undefined) {
    conn.send({ action: Action.NACK, msgSerial: message.msgSerial, count: 1, error: error.toWire() });
  } else conn.send({ action: Action.ERROR, channel: message.channel, error: error.toWire() });
}

async function route(node: Node, conn: Connection, message: ProtocolMessage): Promise<void> {
  switch (message.action) {
    case Action.HEARTBEAT:
      // connection.ping() waits for a HEARTBEAT carrying its own id (RTN13e).
      if (message.id !== undefined) conn.send({ action: Action.HEARTBEAT, id: message.id });
      return;
    case Action.ATTACH:
      return attach(node, conn, message);
    case Action.DETACH:
      return detach(node, conn, message);
    case Action.MESSAGE:
      return withAck(conn, message, () => publish(node, conn, message));
    case Action.PRESENCE:
      return withAck(conn, message, () => presence(node, conn, message));
    case Action.SYNC:
      return requestSync(node, conn, message);
    case Action.AUTH:
      return reauthorize(node, conn, message);
    case Action.DISCONNECT:
      if (conn.transport) {
        const transport = conn.transport;
        node.transportLost(conn, transport);
        transport.close(1000, 'disconnect requested');
      }
      return;
    case Action.CLOSE:
      return node.close(conn);
    default:
      return refuse(conn, message, ErrorInfo.of('protocolError', `unsupported action ${message.action}`));
  }
}
