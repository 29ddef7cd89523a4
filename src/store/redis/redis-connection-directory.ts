import type { ClusterBus } from '../../cluster/cluster-bus.ts';
import type { ConnectionDirectory, ConnectionRecord } from '../../cluster/connection-directory.ts';
import type { RedisKeys } from './keys.ts';
import { LuaScript } from './lua-script.ts';
import type { RedisClient } from './redis-client.ts';

const updateScript = new LuaScript('connection-update');
const forgetScript = new LuaScript('connection-forget');
const resumeScript = new LuaScript('connection-resume');

export interface RedisDirectoryOptions {
  nodeId: string;
  /** TTL of a connection's state: connectionStateTtl plus the time its owner may take to notice a drop, ms. */
  stateTtl: number;
}

/**
 * Connection state in one Redis hash per connection (`node`, `key`, `appId`, `clientId`, `state`, `leaveAt`,
 * `serial`, `rpf`), written only through owner-checked scripts. Failed writes are logged, never thrown: a client is
 * never refused because Redis is down; it only loses cross-node resume for that moment.
 */
export class RedisConnectionDirectory implements ConnectionDirectory {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly bus: ClusterBus,
    private readonly options: RedisDirectoryOptions,
    private readonly fail: (err: unknown) => void,
    /** Called once a connection moved here, before the claim resolves. */
    private readonly onClaimed: (connectionId: string) => Promise<void> = async () => {},
  ) {}

  connected(r: ConnectionRecord): void {
    this.update(r.id, [
      'key',
      r.key,
      'appId',
      r.appId,
      'clientId',
      JSON.stringify(r.clientId),
      'rpf',
      r.remainPresentFor,
      'serial',
      r.msgSerial,
      'state',
      'connected',
      // '' when none: a resume never presents an empty key.
      'prevKey',
      r.previousKey ?? '',
    ]);
    this.redis.zrem(this.keys.leaves(), r.id).catch(this.fail);
    this.redis.sadd(this.keys.nodeConnections(this.options.nodeId), r.id).catch(this.fail);
  }

  progressed(connectionId: string, msgSerial: number): void {
    this.update(connectionId, ['serial', msgSerial]);
  }

  disconnected(connectionId: string, msgSerial: number, leaveAt: number): void {
    this.update(connectionId, ['state', 'disconnected', 'leaveAt', leaveAt, 'serial', msgSerial]);
    // Due leaves are swept by every node, so the grace period ends even if this node dies first.
    this.redis.zadd(this.keys.leaves(), leaveAt, connectionId).catch(this.fail);
  }

  forget(connectionId: string): void {
    const k = this.keys;
    forgetScript
      .run(this.redis, [k.connection(connectionId), k.connectionChannels(connectionId)], [this.options.nodeId])
      .then((deleted) => {
        if (Number(deleted) !== 1) return;
        return Promise.all([
          this.redis.zrem(k.leaves(), connectionId),
          this.redis.srem(k.nodeConnections(this.options.nodeId), connectionId),
        ]);
      })
      .catch(this.fail);
  }

  async claim(resumeKey: string, newKey: string, appId: string, clientId: string | null): Promise<ConnectionRecord | undefined> {
    const id = resumeKey.slice(0, resumeKey.indexOf('!'));
    if (!id) return undefined;
    const k = this.keys;
    const reply = (await resumeScript.run(
      this.redis,
      [k.connection(id), k.connectionChannels(id), k.connectionLeaving(id)],
      [resumeKey, appId, JSON.stringify(clientId), this.options.nodeId, newKey, this.options.stateTtl],
    )) as Buffer[] | null;
    if (!reply) return undefined;
    const [previous, , serial] = reply.map((b) => b.toString());
    await this.redis.zrem(k.leaves(), id);
    await this.redis.sadd(k.nodeConnections(this.options.nodeId), id);
    if (previous && previous !== this.options.nodeId) {
      await this.redis.srem(k.nodeConnections(previous), id);
      this.bus.publish({ type: 'connection-moved', connectionId: id, to: this.options.nodeId }).catch(this.fail);
    }
    await this.onClaimed(id);
    const rpf = Number((await this.redis.hget(k.connection(id), 'rpf')) ?? 0);
    return { id, key: newKey, previousKey: resumeKey, appId, clientId, remainPresentFor: rpf, msgSerial: Number(serial ?? -1) };
  }

  private update(connectionId: string, fields: Array<string | number>): void {
    updateScript
      .run(this.redis, [this.keys.connection(connectionId)], [this.options.nodeId, this.options.stateTtl, ...fields])
      .catch(this.fail);
  }
}
