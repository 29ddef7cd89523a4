import { Action } from '../protocol/index.ts';
import type { Node } from './node.ts';
import { checkTokenExpiry } from './token-expiry.ts';

/**
 * One periodic sweep instead of a timer per connection: probes each connection at its heartbeatInterval (a WS
 * ping, plus a HEARTBEAT frame for clients that asked for `heartbeats=true`) and drops connections silent for
 * longer than heartbeatInterval + heartbeatMargin, which then follow the abrupt-disconnect path. In cluster mode it
 * also shares each connection's msgSerial progress.
 */
export function checkLiveness(node: Node): void {
  const now = node.clock.now();
  for (const conn of node.connections.values()) {
    const transport = conn.transport;
    if (!transport) continue;
    if (checkTokenExpiry(node, conn, now)) continue;
    node.saveProgress(conn);
    const interval = conn.options.heartbeatInterval;
    if (now - conn.lastSeen > interval + node.config.heartbeatMargin) {
      transport.terminate();
      node.transportLost(conn, transport, `silent for ${now - conn.lastSeen} ms (heartbeat timeout)`);
      continue;
    }
    if (now - conn.lastPing >= interval) {
      conn.lastPing = now;
      transport.ping();
      if (conn.options.heartbeats) conn.send({ action: Action.HEARTBEAT });
    }
  }
}
