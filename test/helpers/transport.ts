import type * as Ably from 'ably';
import type { TestServer } from './server.ts';

/** The SDK's connection manager, for the few tests that must reach inside (drop a transport, forge a key). */
export interface ConnectionManagerInternals {
  connectionKey?: string;
  disconnectAllTransports(): void;
}

export const connectionManager = (client: Ably.Realtime): ConnectionManagerInternals =>
  (client.connection as unknown as { connectionManager: ConnectionManagerInternals }).connectionManager;

/** Drops a client's socket from the server side without CLOSE, as a network failure would. */
export function dropTransport(s: TestServer, client: Ably.Realtime): void {
  const conn = s.server.node.connections.get(client.connection.id as string);
  if (!conn?.transport) throw new Error('client has no live transport on the server');
  conn.transport.terminate();
}

/** Resolves on the next time the client reaches `connected` after having left it. */
export function reconnected(client: Ably.Realtime): Promise<Ably.ConnectionStateChange> {
  return new Promise((resolve) => {
    let left = client.connection.state !== 'connected';
    const listener = (change: Ably.ConnectionStateChange) => {
      if (change.current !== 'connected') left = true;
      else if (left) {
        client.connection.off(listener);
        resolve(change);
      }
    };
    client.connection.on(listener);
  });
}
