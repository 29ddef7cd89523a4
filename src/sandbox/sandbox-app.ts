import { randomBytes } from 'node:crypto';
import { channelKey } from '../channel/channel-name.ts';
import { createServer, type RollcallServer, type ServerOptions } from '../server/create-server.ts';
import { MemoryStatsStore } from '../stats/index.ts';
import type { AppSpec } from './app-spec.ts';

/** One provisioned key as the SDK test suites read it (Ably's sandbox response shape, plus the request's fields). */
export interface ProvisionedKey {
  id: string;
  value: string;
  keyName: string;
  keySecret: string;
  keyStr: string;
  /** JSON string, as Ably's sandbox returns it. */
  capability: string;
  [extra: string]: unknown;
}

/** The `POST /apps` response body. */
export interface AppDescription {
  appId: string;
  accountId: string;
  keys: ProvisionedKey[];
  namespaces: Array<Record<string, unknown>>;
  channels: AppSpec['channels'];
  /** Where clients of this app connect: `endpoint` (a hostname the SDK uses as is) and `port`, plain HTTP/WS. */
  endpoint: string;
  port: number;
  tls: false;
}

const token = (bytes: number): string => randomBytes(bytes).toString('base64url');

/**
 * A test app: its own Rollcall server on its own port, so state, limits and history of two apps can never meet,
 * and deleting an app is closing that server. Presence fixtures are members held by the server itself (their
 * connectionId belongs to no client), so no connection can drop them.
 */
export class SandboxApp {
  readonly appId: string;
  readonly keys: ProvisionedKey[];
  /** `POST /stats` fixtures, served by the app's `GET /stats`. */
  readonly stats = new MemoryStatsStore();
  private readonly server: RollcallServer;
  private port = 0;

  constructor(
    private readonly spec: AppSpec,
    host: string,
    private readonly endpoint: string,
    serverOptions: ServerOptions,
  ) {
    // Ably app ids are short and URL-safe; `_` and `-` are avoided so an id is also a plain key prefix.
    this.appId = `sbx${randomBytes(5).toString('hex')}`;
    this.keys = spec.keys.map((k) => {
      const id = randomBytes(3).toString('hex');
      const value = token(24);
      const keyName = `${this.appId}.${id}`;
      return {
        ...k.extra,
        id,
        value,
        keyName,
        keySecret: value,
        keyStr: `${keyName}:${value}`,
        capability: JSON.stringify(k.capability),
      };
    });
    const limits = spec.maxMembersPerChannel === undefined ? {} : { maxMembersPerChannel: spec.maxMembersPerChannel };
    this.server = createServer({
      ...serverOptions,
      ...limits,
      host,
      port: 0,
      keys: this.keys.map((k, i) => ({
        key: k.keyStr,
        capability: spec.keys[i]?.capability,
        revocableTokens: spec.keys[i]?.extra.revocableTokens === true,
      })),
      stats: this.stats,
    });
  }

  /** Starts the app's server and seeds its presence fixtures; resolves once clients can connect. */
  async start(): Promise<void> {
    this.port = (await this.server.listen()).port;
    const { node } = this.server;
    const connectionId = `${this.appId}-fixtures`;
    for (const [c, channel] of this.spec.channels.entries()) {
      const key = channelKey(this.appId, channel.name);
      const timestamp = node.clock.now();
      const items = [];
      for (const [i, member] of channel.presence.entries()) {
        const diff = await node.presence.store.upsert(
          key,
          { id: `${connectionId}:${c}:${i}`, connectionId, timestamp, ...member },
          node.config.maxMembersPerChannel,
        );
        items.push(...node.presence.itemsOf(diff));
      }
      // Broadcast like any entry, so the fixtures are also in the channel's presence history (as on Ably's sandbox).
      if (items.length > 0)
        await node.presence.broadcast(key, { id: `${connectionId}:${c}`, connectionId, timestamp, presence: items });
    }
  }

  describe(): AppDescription {
    return {
      appId: this.appId,
      accountId: `${this.appId}-account`,
      keys: this.keys,
      namespaces: this.spec.namespaces,
      channels: this.spec.channels,
      endpoint: this.endpoint,
      port: this.port,
      tls: false,
    };
  }

  /** Closes every client of the app and frees its port and state. */
  close(): Promise<void> {
    return this.server.close();
  }
}
