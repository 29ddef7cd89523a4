import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';

/** The Redis client type the Redis backends take (ioredis). Backends receive clients; they never create them. */
export type RedisClient = Redis;

/** The clients one node needs: commands and scripts on one, subscriptions on the other (a subscriber can do nothing else). */
export interface RedisClients {
  command: RedisClient;
  subscriber: RedisClient;
}

/**
 * Creates the clients for `url`. ioredis is loaded here, on demand, so a memory-mode process never loads it.
 * Commands fail fast while Redis is unreachable (no offline queue): callers turn that into an error for the client
 * instead of hanging. Reconnection is retried for ever with a capped backoff.
 */
export function createRedisClients(url: string): RedisClients {
  const require = createRequire(import.meta.url);
  const { Redis: RedisCtor } = require('ioredis') as { Redis: new (url: string, options: RedisOptions) => Redis };
  const options: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(50 * attempt, 500),
  };
  return {
    command: new RedisCtor(url, { ...options, connectionName: 'rollcall' }),
    // Subscriptions are re-issued by ioredis after a reconnect (autoResubscribe).
    subscriber: new RedisCtor(url, { ...options, connectionName: 'rollcall-sub', autoResubscribe: true }),
  };
}

/** Connects both clients; rejects if Redis is unreachable. */
export async function connectRedisClients(clients: RedisClients): Promise<void> {
  await Promise.all([clients.command.connect(), clients.subscriber.connect()]);
}

/** Closes both clients after their pending commands (QUIT); at once if Redis is gone. */
export async function closeRedisClients(clients: RedisClients): Promise<void> {
  await Promise.all(
    [clients.command, clients.subscriber].map((c) =>
      c.quit().then(
        () => c.disconnect(),
        () => c.disconnect(),
      ),
    ),
  );
}

/**
 * Reports how long each command of `client` took, from sending to its reply or failure, in seconds (for a latency
 * histogram). Wraps this one client's `sendCommand`, through which ioredis sends every command and script.
 */
export function timeCommands(client: RedisClient, observe: (seconds: number) => void): void {
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((...args: Parameters<RedisClient['sendCommand']>) => {
    // A monotonic duration, not wall time: performance.now() rather than the injected Clock.
    const start = performance.now();
    const done = () => observe((performance.now() - start) / 1000);
    // ioredis types the result as unknown; it is the command's promise.
    const reply = send(...args) as Promise<unknown>;
    reply.then(done, done);
    return reply;
  }) as RedisClient['sendCommand'];
}
