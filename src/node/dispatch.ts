import type { Connection } from '../connection/connection.ts';
import { ErrorInfo } from '../errors/index.ts';
import { Action, type ProtocolMessage } from '../protocol/index.ts';
import { annotate } from './annotate.ts';
import { attach, detach, requestSync } from './attach.ts';
import type { Node } from './node.ts';
import { presence } from './presence-ops.ts';
import { publish } from './publish.ts';
import { reauthorize } from './reauth.ts';
import { withAck } from './with-ack.ts';

const CONTROL_ACTIONS: ReadonlySet<number> = new Set([Action.HEARTBEAT, Action.CLOSE, Action.DISCONNECT]);

/**
 * Entry point for every inbound frame: size check, decode, rate limit, then the action's handler. Frames of one
 * connection are handled strictly in order, so ACKs and NACKs go out in msgSerial order. Nothing a client sends
 * can throw out of here.
 */
export function handleFrame(node: Node, conn: Connection, frame: Buffer, isBinary: boolean): void {
  conn.lastSeen = node.clock.now();
  const metrics = node.metrics;
  if (metrics) metrics.bytesReceived.value += frame.length;
  const oversized = frame.length > node.config.maxFrameSize;
  let message: ProtocolMessage;
  try {
    message = conn.options.codec.decode(frame, isBinary);
  } catch (err) {
    const error = oversized ? ErrorInfo.of('messageTooLarge', `frame exceeds ${node.config.maxFrameSize} bytes`) : err;
    // Queued behind earlier frames, so their ACKs still go out before the connection ends.
    conn.inbound = conn.inbound.then(() => fatal(node, conn, ErrorInfo.from(error))).catch(node.fail);
    return;
  }
  // Only operations count against the inbound rate: refusing a ping, CLOSE or DISCONNECT would fail the client.
  const limited = !CONTROL_ACTIONS.has(message.action) && !conn.rate.take();
  metrics?.received.inc(message.action);
  conn.inbound = conn.inbound
    .then(() => {
      if (conn.state === 'closed') return;
      if (oversized)
        return refuse(node, conn, message, ErrorInfo.of('messageTooLarge', `frame exceeds ${node.config.maxFrameSize} bytes`));
      if (limited) {
        metrics?.rateLimited.inc();
        return refuse(
          node,
          conn,
          message,
          ErrorInfo.of('rateLimited', `more than ${node.config.maxInboundRate} messages per second`),
        );
      }
      return route(node, conn, message);
    })
    .catch(node.fail);
}

/**
 * Rejects a frame: a NACK if it carries a msgSerial (so the ACK sequence stays whole), else a channel ERROR if it
 * names a channel, else a fatal connection ERROR.
 */
async function refuse(node: Node, conn: Connection, message: ProtocolMessage, error: ErrorInfo): Promise<void> {
  if (message.msgSerial !== undefined) {
    node.metrics?.nacks.get(error.code).inc();
    conn.send({ action: Action.NACK, msgSerial: message.msgSerial, count: 1, error: error.toWire() });
  } else if (message.channel !== undefined) {
    conn.send({ action: Action.ERROR, channel: message.channel, error: error.toWire() });
  } else await fatal(node, conn, error);
}

/**
 * An ERROR without a channel fails the client's connection for good (Ably §1.5: the SDK goes FAILED and drops its
 * connection key), so nothing can resume it: free its state and members now and close the socket, rather than
 * keeping them for connectionStateTtl.
 */
async function fatal(node: Node, conn: Connection, error: ErrorInfo): Promise<void> {
  if (conn.state === 'closed') return;
  const transport = conn.transport;
  conn.send({ action: Action.ERROR, error: error.toWire() });
  await node.dispose(conn, `connection error ${error.code}`, 'failed');
  transport?.close(1000, 'protocol error');
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
    case Action.ANNOTATION:
      return withAck(conn, message, () => annotate(node, conn, message));
    case Action.SYNC:
      return requestSync(node, conn, message);
    case Action.AUTH:
      return reauthorize(node, conn, message);
    case Action.DISCONNECT:
      if (conn.transport) {
        const transport = conn.transport;
        node.transportLost(conn, transport, 'client sent DISCONNECT');
        transport.close(1000, 'disconnect requested');
      }
      return;
    case Action.CLOSE:
      return node.close(conn);
    default:
      return refuse(node, conn, message, ErrorInfo.of('protocolError', `unsupported action ${message.action}`));
  }
}
