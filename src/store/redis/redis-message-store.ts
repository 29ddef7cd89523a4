import { packValue, unpackValue } from '../../cluster/cluster-message.ts';
import { withData } from '../../messages/fold.ts';
import type { MessageChange, MessageHead, MessageStore } from '../../messages/message-store.ts';
import type { Data, Message } from '../../protocol/index.ts';
import { guard } from './guard.ts';
import type { RedisKeys } from './keys.ts';
import { LuaScript } from './lua-script.ts';
import type { RedisClient } from './redis-client.ts';

const applyScript = new LuaScript('message-apply');

export interface RedisMessageStoreOptions {
  /** How long an operated-on message is kept after its last operation, ms (history's age limit). */
  ttl: number;
}

const bytes = (data: Data | undefined): Buffer | string => (data === undefined || data === null ? '' : data);

/**
 * Operated-on messages in Redis, shared by every node: per channel one hash of heads (serial → latest version
 * without data), and per message its data (a string APPENDed to by appends) and its operations (a list). All keys
 * of a channel share its hash slot, so each operation is one atomic script (Redis Cluster safe).
 * Concurrent operations on one message from different nodes are applied in the order they reach Redis; each
 * caller computes the head from the one it read, so the head's metadata follows the last writer.
 * Cannot: answer while Redis is unreachable (50300).
 */
export class RedisMessageStore implements MessageStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: RedisMessageStoreOptions,
  ) {}

  async head(channel: string, serial: string): Promise<MessageHead | undefined> {
    const raw = await guard(this.redis.hgetBuffer(this.keys.messageHeads(channel), serial));
    return raw ? unpackValue<MessageHead>(raw) : undefined;
  }

  async apply(channel: string, change: MessageChange): Promise<void> {
    const k = this.keys;
    await guard(
      applyScript.run(
        this.redis,
        [k.messageHeads(channel), k.messageData(channel, change.serial), k.messageOperations(channel, change.serial)],
        [
          change.serial,
          packValue(change.next),
          change.mode,
          bytes(change.data),
          change.seed ? '1' : '0',
          bytes(change.seed?.data),
          packValue(change.op),
          this.options.ttl,
        ],
      ),
    );
  }

  async latest(channel: string, serials: string[]): Promise<Map<string, Message>> {
    const out = new Map<string, Message>();
    if (serials.length === 0) return out;
    // Heads and data in one transaction, so a concurrent append never shows in one and not the other. One slot
    // (the channel's hash tag), so this works on Redis Cluster too.
    const replies = await guard(
      this.redis
        .multi()
        .hmgetBuffer(this.keys.messageHeads(channel), ...serials)
        .mgetBuffer(...serials.map((serial) => this.keys.messageData(channel, serial)))
        .exec(),
    );
    const [heads, data] = (replies ?? []).map(([err, value]) => {
      if (err) throw err;
      return value as Array<Buffer | null>;
    }) as [Array<Buffer | null>, Array<Buffer | null>];
    heads.forEach((raw, i) => {
      if (raw) out.set(serials[i] as string, withData(unpackValue<MessageHead>(raw), data[i]));
    });
    return out;
  }

  async operations(channel: string, serial: string): Promise<Message[]> {
    const raw = await guard(this.redis.lrangeBuffer(this.keys.messageOperations(channel, serial), 0, -1));
    return raw.map((entry) => unpackValue<Message>(entry));
  }
}
