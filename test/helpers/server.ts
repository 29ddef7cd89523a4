import type { TestContext } from 'node:test';
import * as Ably from 'ably';
import { createServer, type RollcallServer, type ServerOptions } from '../../src/server/create-server.ts';

export const TEST_KEY = 'testapp.key1:secret-one';
export const OTHER_APP_KEY = 'otherapp.key2:secret-two';

export interface TestServer {
  server: RollcallServer;
  port: number;
  /** A realtime client for this server; closed when the test ends. */
  realtime(options?: Ably.ClientOptions & { protocol?: Protocol }): Ably.Realtime;
  rest(options?: Ably.ClientOptions & { protocol?: Protocol }): Ably.Rest;
}

export type Protocol = 'json' | 'msgpack';
export const PROTOCOLS: Protocol[] = ['json', 'msgpack'];

/** Starts a real server on port 0 with test keys; everything it and its clients hold is released at test end. */
export async function startServer(t: TestContext, overrides: ServerOptions = {}): Promise<TestServer> {
  const server = createServer({ port: 0, host: '127.0.0.1', keys: [{ key: TEST_KEY }, { key: OTHER_APP_KEY }], ...overrides });
  const { port } = await server.listen();
  const clients: Array<Ably.Realtime> = [];
  t.after(async () => {
    for (const c of clients) c.close();
    await server.close();
  });
  const base = (protocol: Protocol | undefined) => ({
    key: TEST_KEY,
    endpoint: 'localhost',
    port,
    tls: false,
    useBinaryProtocol: protocol !== 'json',
    logLevel: 0,
  });
  return {
    server,
    port,
    realtime(options = {}) {
      const { protocol, ...rest } = options;
      const client = new Ably.Realtime({ ...base(protocol), ...rest });
      clients.push(client);
      return client;
    },
    rest(options = {}) {
      const { protocol, ...rest } = options;
      return new Ably.Rest({ ...base(protocol), ...rest });
    },
  };
}

/** Resolves when the connection reaches `state` (or rejects on `failed` when waiting for something else). */
export function connectionState(
  client: Ably.Realtime,
  state: Ably.ConnectionState,
): Promise<Ably.ConnectionStateChange | undefined> {
  if (client.connection.state === state) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const listener = (change: Ably.ConnectionStateChange) => {
      if (change.current === state) {
        client.connection.off(listener);
        resolve(change);
      } else if (change.current === 'failed') {
        client.connection.off(listener);
        reject(Object.assign(new Error(`connection failed: ${change.reason?.message}`), { reason: change.reason }));
      }
    };
    client.connection.on(listener);
  });
}

/** Collects events into an array and lets a test wait until a predicate over them holds. */
export class Collector<T> {
  readonly items: T[] = [];
  private waiters: Array<{ check: () => boolean; resolve: () => void }> = [];

  readonly push = (item: T): void => {
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  };

  /** Resolves once `predicate(items)` is true. */
  until(predicate: (items: T[]) => boolean): Promise<T[]> {
    if (predicate(this.items)) return Promise.resolve(this.items);
    return new Promise((resolve) =>
      this.waiters.push({ check: () => predicate(this.items), resolve: () => resolve(this.items) }),
    );
  }

  count(n: number): Promise<T[]> {
    return this.until((items) => items.length >= n);
  }
}
